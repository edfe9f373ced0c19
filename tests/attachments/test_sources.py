"""Scan sources without Qt: the watched folder and SANE."""

from __future__ import annotations

import os
import stat

import pytest

from desk_app.attachments import sources
from desk_app.attachments.sources import FolderWatch, ScannerError, list_scanners, scan_page


def test_folder_watch_reports_new_complete_files_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "old.jpg").write_bytes(b"old")
    watch = FolderWatch.starting_now(tmp_path)
    assert watch.poll() == []
    (tmp_path / "scan1.jpg").write_bytes(b"abc")
    (tmp_path / "notes.txt").write_bytes(b"not a scan")
    (tmp_path / ".partial.png").write_bytes(b"hidden")
    assert watch.poll() == []  # size seen once: may still be written
    with (tmp_path / "scan1.jpg").open("ab") as f:
        f.write(b"def")  # the scanner is still writing
    assert watch.poll() == []
    assert watch.poll() == [tmp_path / "scan1.jpg"]
    assert watch.poll() == []


def test_no_scanimage_gives_clear_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ScannerError, match="Không tìm thấy máy quét"):
        list_scanners()


def _fake_scanimage(folder, script: str) -> None:  # type: ignore[no-untyped-def]
    exe = folder / "scanimage"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


def test_scanimage_without_devices_gives_clear_message(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # SANE's scanimage prints nothing for -f when no device answers.
    _fake_scanimage(tmp_path, "exit 0\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(ScannerError, match="Không tìm thấy máy quét"):
        list_scanners()


def test_scanimage_device_scan_returns_png(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "page.png"
    from tests.attachments.scans import a4_page

    png.write_bytes(a4_page(1, dpi=50))
    _fake_scanimage(
        tmp_path,
        f'case "$1" in -f) echo "test:0";; -d) cat "{png}";; esac\n',
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert list_scanners() == ["test:0"]
    assert scan_page() == png.read_bytes()
    assert sources.NO_SCANNER.startswith("Không tìm thấy máy quét")
