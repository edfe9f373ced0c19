"""Where scanned pages come from, without Qt: a watched folder and SANE's ``scanimage``.

A network scanner saves into a shared folder; ``FolderWatch.poll`` reports files
that appeared since the last poll once their size stopped changing (the scanner
may still be writing). The GUI polls from a worker thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from desk_app.attachments.pdf import ACCEPTED_SUFFIXES
from desk_app.domain.errors import DomainError

NO_SCANNER = "Không tìm thấy máy quét. Kiểm tra máy quét đã bật và đã nối với máy tính."
SCAN_TIMEOUT_S = 120


class ScannerError(DomainError):
    pass


@dataclass
class FolderWatch:
    """New files in one folder (not its subfolders), reported once each when complete."""

    folder: Path
    seen: set[str] = field(default_factory=set)
    _pending: dict[str, int] = field(default_factory=dict)

    @classmethod
    def starting_now(cls, folder: str | Path) -> FolderWatch:
        """Files already in the folder are not new: only what the scanner saves from now on."""
        watch = cls(Path(folder))
        watch.seen = {e.name for e in watch._entries()}
        return watch

    def _entries(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.folder) as it:
                return [
                    e
                    for e in it
                    if e.is_file()
                    and not e.name.startswith(".")
                    and e.name.lower().endswith(ACCEPTED_SUFFIXES)
                ]
        except OSError as exc:
            raise DomainError(f"Không đọc được thư mục máy quét “{self.folder}”.") from exc

    def poll(self) -> list[Path]:
        """Files whose size is the same as at the previous poll (ready), in name order."""
        ready: list[Path] = []
        sizes = {}
        for entry in self._entries():
            if entry.name in self.seen:
                continue
            size = entry.stat().st_size
            sizes[entry.name] = size
            if size > 0 and self._pending.get(entry.name) == size:
                ready.append(Path(entry.path))
        self._pending = {n: s for n, s in sizes.items() if n not in {p.name for p in ready}}
        self.seen.update(p.name for p in ready)
        return sorted(ready)


def _scanimage() -> str:
    exe = shutil.which("scanimage")
    if exe is None:
        raise ScannerError(NO_SCANNER)
    return exe


def list_scanners() -> list[str]:
    """SANE device names (``scanimage -f``), or ``ScannerError`` with a clear message."""
    exe = _scanimage()
    try:
        out = subprocess.run(
            [exe, "-f", "%d%n"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScannerError(NO_SCANNER) from exc
    devices = [line.strip() for line in out.splitlines() if line.strip()]
    if not devices:
        raise ScannerError(NO_SCANNER)
    return devices


def scan_page(device: str | None = None, dpi: int = 300) -> bytes:
    """One grey page from a SANE scanner as PNG bytes."""
    device = device or list_scanners()[0]
    exe = _scanimage()
    try:
        proc = subprocess.run(
            [exe, "-d", device, "--mode", "Gray", "--resolution", str(dpi), "--format=png"],
            capture_output=True,
            timeout=SCAN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ScannerError("Máy quét không phản hồi. Hãy kiểm tra máy quét rồi thử lại.") from exc
    if proc.returncode != 0 or not proc.stdout.startswith(b"\x89PNG"):
        raise ScannerError("Máy quét báo lỗi khi quét. Kiểm tra giấy trong máy rồi thử lại.")
    return proc.stdout
