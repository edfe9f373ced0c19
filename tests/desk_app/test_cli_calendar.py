"""``motcua calendar``: shipped government decisions and where each day comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desk_app.cli import main


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_marks_the_source_of_each_day(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "station.sqlite3")
    assert run(capsys, "calendar", "add-day-off", "--db", db, "2026-12-31", "--note", "Kiểm kê")[0] == 0
    code, out, _ = run(capsys, "calendar", "show", "--db", db, "2026")
    assert code == 0
    lines = {line[:10]: line for line in out.splitlines()}
    assert (
        "nghỉ" in lines["2026-01-02"]
        and "[Quyết định: Văn bản 12729/VPCP-KGVX ngày 25/12/2025]" in lines["2026-01-02"]
    )
    assert "làm việc" in lines["2026-01-10"] and "12729/VPCP-KGVX" in lines["2026-01-10"]
    assert "[Đơn vị: Kiểm kê]" in lines["2026-12-31"]
    assert "chưa xác minh" in lines["2026-11-24"]  # 24/11: no enacted text found yet
    code, out, _ = run(capsys, "calendar", "show", "--db", db, "2024")
    assert "[Luật: Bộ luật Lao động 2019, Điều 112 (gói holidays" in out  # no shipped decision for 2024
    code, out, _ = run(capsys, "calendar", "due", "--db", db, "--received", "2026-01-02 09:00", "--days", "3")
    assert out.startswith("2026-01-08 07:30")
