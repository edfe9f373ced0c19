"""Catalogue files from outside: formulas stay text, damage and size give Vietnamese errors.

Issue 10.7 (formula injection), 10.9 (damaged and huge files), 12.5 (the file
format module has no database access).
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk_app.formats import catalog_files
from desk_app.formats.catalog_files import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    CatalogImportError,
    load_seed,
    parse_catalog_file,
    write_catalog_file,
)

HYPERLINK = '=HYPERLINK("http://x","y")'
HEADER = ["Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Thời hạn giải quyết", "Kết quả"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def injected_csv(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "tiem.csv",
        [HEADER, ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Trong ngày", HYPERLINK]],
    )


def test_csv_formula_cell_exports_to_xlsx_as_text(tmp_path: Path) -> None:
    procs = parse_catalog_file(injected_csv(tmp_path))
    assert procs[0].result == HYPERLINK
    out = tmp_path / "xuat.xlsx"
    write_catalog_file(procs, out)
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert [c.value for c in cells if c.value == HYPERLINK]  # kept, as text
    assert isinstance(ws["A4"].value, int)  # STT stays a number
    assert parse_catalog_file(out) == procs


def test_csv_export_quotes_formula_cells_and_reads_them_back(tmp_path: Path) -> None:
    procs = parse_catalog_file(injected_csv(tmp_path))
    out = tmp_path / "xuat.csv"
    write_catalog_file(procs, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert f"'{HYPERLINK}" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert parse_catalog_file(out) == procs


def test_seed_round_trips_through_csv_despite_bulleted_components(tmp_path: Path) -> None:
    # Component cells begin with "- ": the export quotes them, the import unquotes them.
    seed = load_seed()
    write_catalog_file(seed, tmp_path / "seed.csv")
    assert parse_catalog_file(tmp_path / "seed.csv") == seed


def test_format_module_has_no_database_access() -> None:
    code = (
        "import sys, desk_app.formats.catalog_files, desk_app.formats.spreadsheet\n"
        "db = ('desk_app.store', 'desk_app.services', 'sqlalchemy')\n"
        "bad = [m for m in sys.modules if m.startswith(db)]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def damaged_error(path: Path) -> CatalogImportError:
    with pytest.raises(CatalogImportError) as info:
        parse_catalog_file(path)
    return info.value


def test_random_bytes_as_xlsx_and_csv(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(50_000)
    (tmp_path / "r.xlsx").write_bytes(noise)
    assert "Tệp Excel bị hỏng" in str(damaged_error(tmp_path / "r.xlsx"))
    (tmp_path / "r.csv").write_bytes(noise)
    assert "UTF-8" in str(damaged_error(tmp_path / "r.csv"))
    (tmp_path / "nul.csv").write_bytes(b"M\xc3\xa3 th\xe1\xbb\xa7 t\xe1\xbb\xa5c\x00,a\n")
    assert "nhị phân" in str(damaged_error(tmp_path / "nul.csv"))


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_xlsx(tmp_path: Path, keep: float) -> None:
    full = tmp_path / "full.xlsx"
    write_catalog_file(load_seed(), full)
    data = full.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert "Tệp Excel bị hỏng" in str(damaged_error(cut))


def test_byte_flipped_xlsx(tmp_path: Path) -> None:
    full = tmp_path / "full.xlsx"
    write_catalog_file(load_seed(), full)
    data = bytearray(full.read_bytes())
    for i in range(200, len(data) - 200, 97):  # inside the compressed members
        data[i] ^= 0xFF
    (tmp_path / "flip.xlsx").write_bytes(bytes(data))
    assert "Tệp Excel bị hỏng" in str(damaged_error(tmp_path / "flip.xlsx"))


def write_xlsx_with_big_cell(path: Path, text: str) -> Path:
    """openpyxl cuts cells at Excel's limit when writing: put the big text into the XML afterwards."""
    plain = path.with_suffix(".plain.xlsx")
    wb = openpyxl.Workbook()
    for row in [HEADER, ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Trong ngày", "PLACEHOLDER"]]:
        wb.active.append(row)
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info).replace(b"PLACEHOLDER", text.encode()))
    return path


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_cell_of_128_kb(tmp_path: Path, ext: str) -> None:
    big = "x" * 128 * 1024
    path = tmp_path / f"big.{ext}"
    if ext == "csv":
        write_csv(path, [HEADER, ["1.001193", "Đăng ký khai sinh", "Hộ tịch", "Trong ngày", big]])
    else:
        write_xlsx_with_big_cell(path, big)
    err = damaged_error(path)
    assert err.errors[0][0] == 2 and f"{MAX_CELL_CHARS:,}".replace(",", ".") in err.errors[0][1]
    assert "x" * 100 not in str(err)  # the message names the cell, it does not repeat it


def test_file_over_the_size_cap_is_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert "vượt giới hạn 20 MB" in str(damaged_error(path))


def test_too_many_rows(tmp_path: Path) -> None:
    rows = [HEADER] + [[f"1.{i:06d}", "Thủ tục", "Hộ tịch", "Trong ngày", ""] for i in range(MAX_ROWS + 5)]
    err = damaged_error(write_csv(tmp_path / "rows.csv", rows))
    assert f"Tệp có hơn {MAX_ROWS:,} dòng".replace(",", ".") in str(err)


def test_xlsx_that_unpacks_to_too_much(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.xlsx"
    write_catalog_file(load_seed(), path)
    with zipfile.ZipFile(path) as zf:
        unpacked = sum(info.file_size for info in zf.infolist())
    monkeypatch.setattr(catalog_files, "MAX_XLSX_UNPACKED_BYTES", unpacked - 1)
    assert "giải nén ra hơn" in str(damaged_error(path))


def test_cli_import_of_damaged_file_prints_words_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.cli import main

    (tmp_path / "r.xlsx").write_bytes(random.Random(3).randbytes(4096))
    assert main(["catalog", "import", "--db", str(tmp_path / "s.sqlite3"), str(tmp_path / "r.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "Tệp Excel bị hỏng" in err and "Traceback" not in err


def test_cli_import_csv_with_formula_then_export_xlsx_keeps_it_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk_app.cli import main

    db = str(tmp_path / "s.sqlite3")
    assert main(["catalog", "import", "--db", db, str(injected_csv(tmp_path))]) == 0
    out = tmp_path / "xuat.xlsx"
    assert main(["catalog", "export", "--db", db, str(out)]) == 0
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert HYPERLINK in [c.value for c in cells]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    capsys.readouterr()


@pytest.fixture(scope="module")
def seed_xlsx_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("seed") / "seed.xlsx"
    write_catalog_file(load_seed()[:5], path)
    return path.read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.floats(0.05, 1.0),
)
def test_mutated_xlsx_gives_only_catalogue_errors(
    tmp_path: Path, seed_xlsx_bytes: bytes, flips: list[tuple[int, int]], cut: float
) -> None:
    data = bytearray(seed_xlsx_bytes[: max(1, int(len(seed_xlsx_bytes) * cut))])
    for pos, mask in flips:
        data[pos % len(data)] ^= mask
    path = tmp_path / "m.xlsx"
    path.write_bytes(bytes(data))
    try:
        parse_catalog_file(path)
    except CatalogImportError as exc:
        assert str(exc).startswith("Không nhập được danh mục thủ tục")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=3000), ext=st.sampled_from(["csv", "xlsx", "txt"]))
def test_random_bytes_give_only_catalogue_errors(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"r.{ext}"
    path.write_bytes(data)
    with pytest.raises(CatalogImportError):
        parse_catalog_file(path)
