"""The ``motcua`` admin CLI, run in-process (and once as the installed script)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from desk_app.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "station.sqlite3")


def test_init_demo_list_show(capsys, db) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys,
        "init",
        "--db",
        db,
        "--unit-code",
        "000.21.31.H56",
        "--unit-name",
        "UBND xã Vĩnh Lương",
        "--admin-password",
        "admin123",
    )
    assert code == 0 and "000.21.31.H56" in out and "thủ tục" in out
    code, out, _ = run(capsys, "demo", "--db", db, "--dossiers", "40")
    assert code == 0 and "Đã tạo 40 hồ sơ" in out and "UBND xã Vĩnh Lương" in out
    code, out, _ = run(capsys, "dossier", "list", "--db", db, "--format", "json", "--limit", "100")
    rows = json.loads(out)
    assert len(rows) == 40 and all(r["code"].startswith("000.21.31.H56-") for r in rows)
    code, out, _ = run(capsys, "dossier", "show", "--db", db, rows[0]["code"])
    assert code == 0 and rows[0]["applicant"] in out and "Tiếp nhận hồ sơ" in out
    code, out, _ = run(capsys, "dossier", "list", "--db", db, "--format", "csv", "--status", "returned")
    assert code == 0 and out.splitlines()[0].startswith('"code",')


def test_demo_without_init_uses_demo_unit(capsys, db) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "demo", "--db", db, "--dossiers", "5")
    assert code == 0 and "000.21.31.H56" in out


def test_errors_go_to_stderr_with_nonzero_status(capsys, db) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "init", "--db", db, "--unit-code", "H56", "--unit-name", "X")
    assert code == 1 and out == "" and "Mã định danh cơ quan" in err
    code, _, err = run(capsys, "dossier", "show", "--db", db, "000.21.31.H56-261125-0001")
    assert code == 1 and "Không tìm thấy hồ sơ" in err
    code, _, err = run(capsys, "dossier", "list", "--db", db, "--status", "xyz")
    assert code == 1 and "Trạng thái" in err


def test_calendar_commands(capsys, db) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "calendar", "due", "--db", db, "--received", "2026-11-25 15:30", "--same-day")
    assert code == 0 and out.startswith("2026-11-26 17:00")
    code, out, _ = run(capsys, "calendar", "due", "--db", db, "--received", "2026-11-20 10:00", "--days", "3")
    assert out.startswith("2026-11-26 10:00")  # Fri + 3 working days, skipping the 24/11 holiday
    code, out, _ = run(capsys, "calendar", "show", "--db", db, "2026")
    assert "2026-11-24" in out and "2026-02-17" in out
    code, out, _ = run(capsys, "calendar", "add-day-off", "--db", db, "2026-11-26", "--note", "Bầu cử")
    assert code == 0
    code, out, _ = run(capsys, "calendar", "add-workday", "--db", db, "28/11/2026")
    assert code == 0
    code, out, _ = run(capsys, "calendar", "due", "--db", db, "--received", "2026-11-25 10:00", "--days", "2")
    assert out.startswith("2026-11-28 10:00")  # 26 off; 27 and the worked Saturday 28 count
    code, _, err = run(capsys, "calendar", "due", "--db", db, "--received", "25/11/2026", "--days", "2")
    assert code == 1 and "YYYY-MM-DD HH:MM" in err


def test_print_receipt_and_logbook(capsys, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "demo", "--db", db, "--dossiers", "12")
    code, out, _ = run(capsys, "dossier", "list", "--db", db, "--format", "json")
    first = json.loads(out)[0]
    pdf = tmp_path / "r.pdf"
    code, out, err = run(
        capsys, "print", "receipt", "--db", db, "--dossier", first["code"], "--out", str(pdf)
    )
    assert code == 0, err
    from pypdf import PdfReader

    text = PdfReader(pdf).pages[0].extract_text()
    assert first["code"] in text and "GIẤY TIẾP NHẬN" in text.upper()
    book = tmp_path / "book.pdf"
    code, _, err = run(
        capsys,
        "print",
        "logbook",
        "--db",
        db,
        "--from",
        "2020-01-01",
        "--to",
        "2030-01-01",
        "--out",
        str(book),
    )
    assert code == 0, err
    assert len(PdfReader(book).pages) >= 1


@pytest.mark.skipif(
    shutil.which("motcua") is None and not Path(".venv/bin/motcua").exists(),
    reason="console script not installed",
)
def test_installed_script_exit_status(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = shutil.which("motcua") or ".venv/bin/motcua"
    proc = subprocess.run(
        [script, "dossier", "list", "--db", str(tmp_path / "x.db"), "--status", "bad"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "Lỗi" in proc.stderr


def test_catalog_export_import_and_bad_file(capsys, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run(capsys, "init", "--db", db, "--unit-code", "000.21.31.H56", "--unit-name", "UBND xã Vĩnh Lương")
    out_file = tmp_path / "catalog.csv"
    code, out, _ = run(capsys, "catalog", "export", "--db", db, str(out_file))
    assert code == 0 and out_file.exists()
    code, out, _ = run(capsys, "catalog", "import", "--db", str(tmp_path / "other.db"), str(out_file))
    assert code == 0 and "Đã nhập" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn giải quyết\n,Đăng ký khai sinh,Hộ tịch,Trong ngày\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "catalog", "import", "--db", db, str(bad))
    assert code == 1 and "Dòng 2" in err
    code, _, err = run(capsys, "catalog", "import", "--db", db, str(tmp_path / "missing.xlsx"))
    assert code == 1 and "Không tìm thấy" in err


def test_no_command_opens_the_program(monkeypatch, db) -> None:  # type: ignore[no-untyped-def]
    import ui.app

    calls = []
    monkeypatch.setattr(
        ui.app, "main", lambda db_path=None, demo=False: calls.append((str(db_path), demo)) or 0
    )
    assert main([]) == 0
    assert main(["--db", db]) == 0
    assert calls == [("None", False), (db, False)]
