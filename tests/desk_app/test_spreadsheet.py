"""Exports never turn citizens' text into spreadsheet formulas (issue 10.7)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from desk_app.formats.spreadsheet import (
    FORMULA_PREFIXES,
    append_xlsx_row,
    is_formula_like,
    safe_cell,
    unescape_cell,
    write_csv,
)

HYPERLINK = '=HYPERLINK("http://x","y")'


def test_safe_cell_quotes_formula_text_and_keeps_numbers() -> None:
    for prefix in FORMULA_PREFIXES:
        assert safe_cell(prefix + "1+1") == "'" + prefix + "1+1"
    assert safe_cell("Nguyễn Văn A") == "Nguyễn Văn A"
    assert safe_cell(-5000) == -5000
    assert safe_cell(None) is None
    assert unescape_cell(safe_cell("'=x")) == "'=x"
    assert unescape_cell("'quoted") == "'quoted"


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_csv_cells_are_never_formulas_and_read_back_unchanged(cells: list[str]) -> None:
    buf = io.StringIO()
    write_csv(buf, ["a"] * len(cells), [cells])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert len(rows) == 2
    for written, read in zip(cells, rows[1], strict=True):
        assert not is_formula_like(read)
        assert unescape_cell(read) == written


def test_xlsx_keeps_hyperlink_as_text_and_negative_fee_as_number(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    append_xlsx_row(wb.active, [HYPERLINK, -5000, "#N/A", "@SUM(A1)", "a\x01b"])
    wb.save(tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    cells = list(ws.iter_rows(values_only=False))[0]
    assert [c.data_type for c in cells] == ["s", "n", "s", "s", "s"]
    assert [c.value for c in cells] == [HYPERLINK, -5000, "#N/A", "@SUM(A1)", "ab"]
    assert cells[0].quotePrefix  # Excel keeps it text even when the cell is edited


def test_dossier_list_csv_writes_formula_text_as_text(app, capsys) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from desk_app.cli import main
    from tests.helpers.fakes import BIRTH_CODE, birth_request

    with app.station.uow() as uow:
        birth = next(p for p in uow.procedures.all() if p.code == BIRTH_CODE)
        uow.procedures.upsert_many([dataclasses.replace(birth, name=HYPERLINK)], "2026-11-25T08:00:00+07:00")
        uow.commit()
    app.intake.receive("canbo1", birth_request())
    db_path = str(app.db.path)
    app.close()
    assert main(["dossier", "list", "--db", db_path, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["procedure"] == "'" + HYPERLINK
    assert not [v for r in rows for v in r.values() if is_formula_like(v)]
