"""Content-addressed file store beside the station database.

A file is named by the sha256 of its bytes (``ab/abcdef…``) in a folder only the
station's account can read (0700 folders, 0600 files). Writes go to a temporary
file in the same folder, are fsynced and then renamed, so a crash or a full disk
leaves either the whole file or nothing; the same bytes stored twice are one file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from desk_app.domain.errors import DomainError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1 << 20
# Attaching stops while less than this is free: the database and the OS need room too.
DEFAULT_RESERVE_BYTES = 200 * 2**20
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}

DISK_FULL_MESSAGE = (
    "Ổ đĩa đã đầy: không thể lưu bản số hóa. Hãy giải phóng dung lượng rồi đính kèm lại; "
    "hồ sơ và các tệp đã lưu không bị mất."
)


class FileStoreError(DomainError):
    """A file could not be stored or read; the message is for counter staff."""


class DiskFullError(FileStoreError):
    def __init__(self, message: str = DISK_FULL_MESSAGE):
        super().__init__(message)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_sha256(value: str) -> str:
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise FileStoreError("Mã băm của tệp không hợp lệ.")
    return value


@dataclass(frozen=True)
class DiskUsage:
    files: int
    bytes_used: int
    bytes_free: int


class FileStore:
    def __init__(self, root: str | Path, *, reserve_bytes: int = DEFAULT_RESERVE_BYTES):
        self.root = Path(root)
        self.reserve_bytes = reserve_bytes
        self._ensure_dir(self.root)

    @classmethod
    def beside(cls, db_path: str | Path, **kwargs: int) -> FileStore:
        return cls(Path(db_path).parent / "files", **kwargs)

    @staticmethod
    def _ensure_dir(path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask; the folder must be private whatever it is.
        os.chmod(path, 0o700)

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise FileStoreError("Tệp số hóa chưa có trên máy này (chưa tải về).") from exc

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def size(self, sha256: str) -> int:
        return self.path_for(sha256).stat().st_size

    def check_space(self, needed: int) -> None:
        free = shutil.disk_usage(self.root).free
        if free - needed < self.reserve_bytes:
            raise DiskFullError()

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its sha256. Raises ``DiskFullError`` and keeps nothing half-written."""
        digest = sha256_hex(data)
        return self._write(digest, iter((data,)), len(data))

    def put_stream(self, chunks: Iterator[bytes], expected_sha256: str, size: int) -> str:
        """Store streamed bytes that must hash to ``expected_sha256`` (e.g. fetched from the server)."""
        check_sha256(expected_sha256)
        return self._write(expected_sha256, chunks, size)

    def _write(self, digest: str, chunks: Iterator[bytes], size: int) -> str:
        final = self.path_for(digest)
        if final.is_file():
            return digest  # content-addressed: already stored
        self.check_space(size)
        self._ensure_dir(final.parent)
        tmp = final.parent / f".{digest}.{os.getpid()}.tmp"
        hasher = hashlib.sha256()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                for chunk in chunks:
                    hasher.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        written = os.write(fd, view)
                        view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            if hasher.hexdigest() != digest:
                raise FileStoreError("Nội dung tệp không khớp mã băm: tệp bị hỏng khi truyền, hãy thử lại.")
            os.replace(tmp, final)
            self._fsync_dir(final.parent)
        except OSError as exc:
            with suppress(OSError):
                tmp.unlink()
            if exc.errno in _DISK_FULL_ERRNOS:
                raise DiskFullError() from exc
            raise FileStoreError(f"Không ghi được tệp số hóa: {exc.strerror or exc}.") from exc
        except BaseException:
            with suppress(OSError):
                tmp.unlink()
            raise
        return digest

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        if os.name != "posix":
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def usage(self) -> DiskUsage:
        count = 0
        used = 0
        for sub in self.root.iterdir():
            if sub.is_dir():
                for f in sub.iterdir():
                    if not f.name.startswith("."):
                        count += 1
                        used += f.stat().st_size
        return DiskUsage(count, used, shutil.disk_usage(self.root).free)
