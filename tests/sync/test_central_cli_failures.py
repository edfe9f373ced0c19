"""``motcua-central`` fails like a Unix tool: a Vietnamese message, exit 1, no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from central.cli import main
from desk_app.cli import EXIT_BROKEN_PIPE

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_argument(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "serve", "--port", "tám")
    assert code == 1 and out == ""
    assert "tham số --port: 'tám' không phải là số" in err and "Traceback" not in err


def test_server_database_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://motcua@127.0.0.1:{_closed_port()}/motcua?connect_timeout=2"
    code, out, err = run(capsys, "--db", url, "unit", "list")
    assert code == 1 and out == ""
    assert "Không kết nối được cơ sở dữ liệu của máy chủ" in err and "Traceback" not in err
    code, _, err = run(capsys, "-v", "--db", url, "unit", "list")
    assert code == 1 and "Traceback" in err


def test_bad_database_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", "oracle+khongco://x/y", "unit", "list")
    assert code == 1 and "URL cơ sở dữ liệu không hợp lệ" in err and "Traceback" not in err


def test_corrupt_sqlite_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "central.sqlite3"
    bad.write_bytes(b"not a database " * 200)
    code, _, err = run(capsys, "--db", f"sqlite:///{bad}", "unit", "list")
    assert code == 1 and "Tệp cơ sở dữ liệu bị hỏng" in err and "Traceback" not in err


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    assert main(["--db", db, "unit", "add", "--code", "000.21.31.H56", "--name", "UBND xã Vĩnh Lương"]) == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "central.cli", "--db", db, "unit", "list"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE and err == ""
