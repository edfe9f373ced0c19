"""``motcua`` as a Unix tool: quiet on a closed pipe, no traceback for expected failures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from desk_app import cli_core
from desk_app.cli import EXIT_BROKEN_PIPE
from desk_app.store import db as store_db
from ui.launcher import main  # the motcua entry point: core commands plus print and run

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def station_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo station with 12 dossiers, shared read-only by the tests here."""
    path = tmp_path_factory.mktemp("cli") / "station.sqlite3"
    assert main(["demo", "--db", str(path), "--dossiers", "12"]) == 0
    return path


def _motcua(*argv: str, **kwargs: object) -> subprocess.Popen[str]:
    # The real process: the interpreter's own last flush is part of what is tested.
    return subprocess.Popen(
        [sys.executable, "-m", "desk_app.cli", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def test_a_reader_that_goes_away_ends_the_command_quietly(station_db: Path) -> None:
    # Like `motcua dossier list --format json | head -1`, but deterministic: the
    # reader closes its end before the command has written anything.
    proc = _motcua("dossier", "list", "--db", str(station_db), "--format", "json")
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert err == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["dossier", "list", "--limit", "abc"], "tham số --limit: 'abc' không phải là số"),
        (["dossier", "list", "--format", "xml"], "tham số --format: giá trị 'xml' không hợp lệ"),
        (["dossier", "lisst"], "giá trị 'lisst' không hợp lệ"),
        (["dossier", "list", "--bogus"], "tham số không hợp lệ: --bogus"),
        (["print", "receipt"], "thiếu tham số bắt buộc"),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("Lỗi: motcua") and expected in err and "Traceback" not in err


def test_missing_database_is_not_created(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.sqlite3"
    out_pdf = str(tmp_path / "r.pdf")
    for argv in (
        ["dossier", "list"],
        ["dossier", "show", "X"],
        ["print", "receipt", "--dossier", "X", "--out", out_pdf],
    ):
        code, out, err = run(capsys, *argv, "--db", str(missing))
        assert code == 1 and out == "", argv
        assert f"Không có cơ sở dữ liệu của trạm tại “{missing}”" in err and "Traceback" not in err
    assert not missing.exists()


def test_corrupt_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "station.sqlite3"
    bad.write_bytes(b"this is not SQLite, just some text " * 100)
    code, out, err = run(capsys, "dossier", "list", "--db", str(bad))
    assert code == 1 and out == ""
    assert err.startswith("Lỗi: Tệp cơ sở dữ liệu của trạm") and "Traceback" not in err
    assert "motcua restore" in err  # says what to do
    # -v adds the details for the technician.
    code, _, err = run(capsys, "-v", "dossier", "list", "--db", str(bad))
    assert code == 1 and "Traceback" in err and "Tệp cơ sở dữ liệu của trạm" in err


def test_locked_database(
    capsys: pytest.CaptureFixture[str], station_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "station.sqlite3"
    with sqlite3.connect(station_db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 100)  # give up fast, not after 10 s
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is writing
        code, out, err = run(capsys, "calendar", "add-day-off", "--db", str(db), "2026-12-01")
    finally:
        holder.close()
    assert code == 1 and out == ""
    assert err.startswith("Lỗi: Cơ sở dữ liệu đang bận") and "Traceback" not in err


def test_an_unexpected_error_gives_a_message_and_the_trace_only_with_v(
    capsys: pytest.CaptureFixture[str], station_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_app: object, *_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli_core, "_dossier_dict", broken)
    code, out, err = run(capsys, "dossier", "list", "--db", str(station_db))
    assert code == 1 and out == "" and "Traceback" not in err
    assert "lỗi không mong đợi (RuntimeError: boom)" in err and "-v" in err
    code, _, err = run(capsys, "--verbose", "dossier", "list", "--db", str(station_db))
    assert code == 1 and "Traceback" in err and "RuntimeError: boom" in err


def test_dossier_list_says_how_many_more_there_are(
    capsys: pytest.CaptureFixture[str], station_db: Path
) -> None:
    code, out, err = run(
        capsys, "dossier", "list", "--db", str(station_db), "--limit", "5", "--format", "json"
    )
    assert code == 0 and len(json.loads(out)) == 5
    assert "Còn 7 hồ sơ nữa chưa hiện" in err and "--limit 12" in err and "--all" in err
    code, out, err = run(capsys, "dossier", "list", "--db", str(station_db), "--all", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 12 and err == ""
    code, out, err = run(capsys, "dossier", "list", "--db", str(station_db), "--limit", "12")
    assert code == 0 and "(12 hồ sơ)" in out and err == ""  # exactly all of them: nothing to add
