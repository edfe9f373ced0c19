"""Procedure catalogue: seed data, text parsers, spreadsheet import/export."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.domain.errors import ValidationError
from desk_app.domain.model import PROCEDURE_CODE_RE, Component, FeeKind, FeeRule, Procedure, ProcessingTime
from desk_app.services.catalog import (
    CatalogImportError,
    components_text,
    export_catalog,
    fee_text,
    import_catalog,
    load_seed,
    parse_catalog_file,
    parse_components,
    parse_fee,
    parse_time,
    procedure_from_dict,
    procedure_to_dict,
    seed_catalog,
    time_text,
)
from desk_app.store.db import Database
from desk_app.store.uow import UnitOfWork

PAGE_TEXT = "2.000đ/trang, từ trang thứ ba trở lên thu 1.000đ/trang nhưng tối đa không quá 200.000đ/bản"


def nfc(s: str) -> bool:
    return unicodedata.normalize("NFC", s) == s


@pytest.fixture(scope="module")
def seed() -> list[Procedure]:
    return load_seed()


def by_name(procs: list[Procedure], prefix: str) -> Procedure:
    found = [p for p in procs if p.name == prefix] or [p for p in procs if p.name.startswith(prefix)]
    assert len(found) == 1, prefix
    return found[0]


# ---------------------------------------------------------------- seed
def test_seed_size_fields_codes(seed: list[Procedure]) -> None:
    assert len(seed) >= 30
    assert len({p.field for p in seed}) >= 6
    codes = [p.code for p in seed]
    assert len(codes) == len(set(codes))
    assert all(PROCEDURE_CODE_RE.match(c) and c.count(".") == 5 for c in codes)
    assert by_name(seed, "Đăng ký khai sinh").code == "1.001193.000.00.00.H12"


def test_seed_components_and_text(seed: list[Procedure]) -> None:
    for p in seed:
        assert p.components, p.name
        assert p.result and p.lead_agency and p.field, p.name
        keys = [c.key for c in p.components]
        assert len(keys) == len(set(keys)), p.name
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in keys), keys
        texts = [p.name, p.field, p.result, p.lead_agency, p.fee.note]
        for c in p.components:
            texts += [c.name, *c.alternatives]
            assert " hoặc " not in c.name  # alternatives are separate
        assert all(nfc(t) for t in texts), p.name


def test_seed_file_is_nfc_and_has_diacritics() -> None:
    path = Path(__file__).parents[2] / "resources" / "catalog" / "seed_catalog.json"
    raw = path.read_text(encoding="utf-8")
    assert nfc(raw)
    assert "Giấy chứng sinh" in raw and "Hộ tịch" in raw
    data = json.loads(raw)
    assert data["version"] == 1


def test_dict_round_trip(seed: list[Procedure]) -> None:
    for p in seed:
        assert procedure_from_dict(json.loads(json.dumps(procedure_to_dict(p)))) == p


def test_birth_registration_components(seed: list[Procedure]) -> None:
    p = by_name(seed, "Đăng ký khai sinh")
    assert p.time == ProcessingTime.same_day()
    assert p.fee.kind is FeeKind.FREE and p.fee.compute() == 0
    assert p.result == "Giấy khai sinh (bản chính)"
    assert p.lead_agency == "UBND xã"
    birth = p.component("giay_chung_sinh")
    assert birth.originals == 1
    assert "Văn bản của người làm chứng xác nhận về việc sinh" in birth.alternatives
    ident = p.component("giay_to_tuy_than")
    assert ident.name == "Căn cước công dân"
    assert ident.alternatives == ("Hộ chiếu", "Giấy tờ tùy thân khác có ảnh")


def test_domain_table_fees_and_times(seed: list[Procedure]) -> None:
    copy = by_name(seed, "Chứng thực bản sao từ bản chính")
    assert copy.time == ProcessingTime.same_day()
    assert copy.fee == FeeRule(FeeKind.PER_PAGE, 2000, 1000, 3, 200000)
    assert copy.fee.compute(copies=1, pages=5) == 2 * 2000 + 3 * 1000 == 7000
    assert copy.fee.compute(copies=1, pages=1) == 2000
    assert copy.fee.compute(copies=1, pages=300) == 200000
    assert copy.fee.compute(copies=2, pages=5) == 14000

    extract = by_name(seed, "Cấp bản sao trích lục hộ tịch")
    assert extract.fee.kind is FeeKind.PER_COPY and extract.fee.compute(copies=3) == 24000
    assert extract.time == ProcessingTime.same_day()

    sig = by_name(seed, "Chứng thực chữ ký")
    assert sig.fee.kind is FeeKind.FLAT and sig.fee.compute() == 10000

    contract = by_name(seed, "Chứng thực hợp đồng, giao dịch")
    assert contract.fee.kind is FeeKind.FLAT and contract.fee.compute() == 50000
    assert contract.time == ProcessingTime.working_days(2)

    expected_days = {
        "Đăng ký kết hôn": None,
        "Đăng ký khai tử": None,
        "Đăng ký lại khai sinh": 5,
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch": 3,
        "Xác nhận tình trạng hôn nhân": 3,
        "Đăng ký giám hộ": 3,
        "Đăng ký nhận cha, mẹ, con": 3,
    }
    for name, days in expected_days.items():
        p = next(p for p in seed if p.name.startswith(name))
        want = ProcessingTime.same_day() if days is None else ProcessingTime.working_days(days)
        assert p.time == want, name


def test_seed_catalog_into_database(tmp_path: Path, seed: list[Procedure]) -> None:
    db = Database(tmp_path / "t.db")
    try:
        assert seed_catalog(db) == len(seed)
        with UnitOfWork(db, write=False) as uow:
            stored = uow.procedures.all()
            assert sorted(stored, key=lambda p: p.code) == sorted(seed, key=lambda p: p.code)
            assert any(p.name == "Đăng ký khai sinh" for p in uow.procedures.search("dang ky khai sinh"))
    finally:
        db.close()


# ---------------------------------------------------------------- text parsers
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trong ngày", ProcessingTime.same_day()),
        ("Ngay trong ngày", ProcessingTime.same_day()),
        ("trong ngày làm việc", ProcessingTime.same_day()),
        (
            "Trong ngày tiếp nhận yêu cầu hoặc ngày làm việc tiếp theo nếu tiếp nhận sau 15 giờ",
            ProcessingTime.same_day(),
        ),
        ("Trong ngày; trường hợp cần xác minh thì không quá 05 ngày làm việc", ProcessingTime.same_day()),
        ("03 ngày làm việc", ProcessingTime.working_days(3)),
        ("5 ngày", ProcessingTime.working_days(5)),
        ("Không quá 05 ngày làm việc", ProcessingTime.working_days(5)),
        ("05 (năm) ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", ProcessingTime.working_days(5)),
        ("KHÔNG QUÁ 30 NGÀY", ProcessingTime.working_days(30)),
        ("10", ProcessingTime.working_days(10)),
        ("Trực tiếp: Trong ngày làm việc", ProcessingTime.same_day()),
        ("Ngay khi nhận đủ hồ sơ hợp lệ", ProcessingTime.same_day()),
    ],
)
def test_parse_time(text: str, expected: ProcessingTime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "Theo quy định", "0 ngày làm việc", "Trong 04 giờ"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Miễn phí", FeeRule(FeeKind.FREE)),
        ("", FeeRule(FeeKind.FREE)),
        ("Không", FeeRule(FeeKind.FREE, note="Không")),
        ("Miễn lệ phí khai sinh đúng hạn", FeeRule(FeeKind.FREE, note="Miễn lệ phí khai sinh đúng hạn")),
        ("8.000 đồng/bản", FeeRule(FeeKind.PER_COPY, 8000)),
        ("8000đ/bản", FeeRule(FeeKind.PER_COPY, 8000, note="8000đ/bản")),
        ("10.000đ/trường hợp", FeeRule(FeeKind.FLAT, 10000, note="10.000đ/trường hợp")),
        ("50.000 đồng/hợp đồng", FeeRule(FeeKind.FLAT, 50000, note="50.000 đồng/hợp đồng")),
        ("Lệ phí: 75.000 VNĐ/giấy phép", FeeRule(FeeKind.FLAT, 75000, note="Lệ phí: 75.000 VNĐ/giấy phép")),
        (
            "2.000 đồng/trang; từ trang thứ 3 trở lên 1.000 đồng/trang, tối đa 200.000 đồng/bản",
            FeeRule(FeeKind.PER_PAGE, 2000, 1000, 3, 200000),
        ),
        (PAGE_TEXT, FeeRule(FeeKind.PER_PAGE, 2000, 1000, 3, 200000, note=PAGE_TEXT)),
    ],
)
def test_parse_fee(text: str, rule: FeeRule) -> None:
    assert parse_fee(text) == rule


def test_parse_fee_rejects_text_without_amount() -> None:
    with pytest.raises(ValueError, match="không đọc được mức phí"):
        parse_fee("Theo Nghị quyết 118/2025 của HĐND tỉnh")


_TIME_FORMATS = [
    "%02d ngày làm việc",
    "%d ngày làm việc",
    "Không quá %02d ngày làm việc",
    "%d ngày",
    "Trong thời hạn %02d ngày làm việc kể từ ngày nhận đủ hồ sơ",
    "%02d (ngày)",
    "%d Ngày làm việc",
]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 90),
    st.sampled_from(_TIME_FORMATS),
    st.sampled_from([str, str.upper, str.lower]),
    st.sampled_from(["NFC", "NFD"]),
    st.sampled_from(["", " ", "  \n"]),
)
def test_parse_time_variants(days: int, fmt: str, case: Callable[[str], str], form: str, pad: str) -> None:
    text = pad + unicodedata.normalize(form, case(fmt % days)) + pad
    assert parse_time(text) == ProcessingTime.working_days(days)
    assert parse_time(time_text(ProcessingTime.working_days(days))) == ProcessingTime.working_days(days)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 999).map(lambda k: k * 1000),
    st.sampled_from(["bản", "trường hợp", "hợp đồng", "hồ sơ", "giấy phép"]),
    st.sampled_from([" đồng", "đ", " VNĐ", " đ"]),
    st.booleans(),
    st.sampled_from(["NFC", "NFD"]),
)
def test_parse_fee_variants(amount: int, unit: str, currency: str, dots: bool, form: str) -> None:
    number = f"{amount:,}".replace(",", ".") if dots else str(amount)
    text = unicodedata.normalize(form, f"{number}{currency}/{unit}")
    rule = parse_fee(text)
    assert rule.amount == amount
    assert rule.kind is (FeeKind.PER_COPY if unit == "bản" else FeeKind.FLAT)
    assert rule.compute(copies=2) == (2 * amount if unit == "bản" else amount)
    assert parse_fee(fee_text(rule)).kind is rule.kind


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 20).map(lambda k: k * 500),
    st.integers(1, 20).map(lambda k: k * 500),
    st.integers(2, 6),
    st.integers(0, 400).map(lambda k: k * 1000),
)
def test_per_page_fee_text_round_trip(first: int, later: int, start: int, cap: int) -> None:
    rule = FeeRule(FeeKind.PER_PAGE, first, later, start if later != first else 3, cap)
    assert parse_fee(fee_text(rule)) == rule


def test_parse_components_province_cell() -> None:
    cell = (
        "a) Giấy tờ phải xuất trình:\n"
        "- Hộ chiếu hoặc chứng minh nhân dân hoặc thẻ căn cước công dân\n"
        "b) Giấy tờ phải nộp:\n"
        "- Tờ khai đăng ký khai sinh theo mẫu (01 bản chính);\n"
        "- Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh (01 bản chính)\n"
        "+ Trường hợp không có người làm chứng thì phải có giấy cam đoan về việc sinh;\n"
        "- Văn bản ủy quyền theo quy định của pháp luật (nếu có): 01 bản sao có chứng thực\n"
        "- Giấy tờ chứng minh nơi cư trú (02 bản photo)\n"
        "  kèm bản chính để đối chiếu\n"
        "- Giấy khai sinh: 01 bản sao y bản chính"
    )
    comps = parse_components(cell)
    assert [c.name for c in comps] == [
        "Hộ chiếu",
        "Tờ khai đăng ký khai sinh theo mẫu",
        "Giấy chứng sinh",
        "Trường hợp không có người làm chứng thì phải có giấy cam đoan về việc sinh",
        "Văn bản ủy quyền theo quy định của pháp luật",
        "Giấy tờ chứng minh nơi cư trú",
        "Giấy khai sinh",
    ]
    ident, form, birth, pledge, proxy, residence, cert = comps
    assert (cert.originals, cert.certified_copies) == (0, 1)
    assert (ident.originals, ident.certified_copies, ident.photocopies) == (0, 0, 0)
    assert ident.alternatives == ("Chứng minh nhân dân", "Thẻ căn cước công dân")
    assert form.originals == 1 and form.required
    assert birth.alternatives == ("Văn bản của người làm chứng xác nhận về việc sinh",)
    assert not pledge.required
    assert proxy.certified_copies == 1 and not proxy.required
    assert residence.photocopies == 2
    assert len({c.key for c in comps}) == len(comps)
    assert all(re.fullmatch(r"[a-z0-9_]+", c.key) for c in comps)


_WORDS = [
    "giấy",
    "tờ",
    "khai",
    "chứng",
    "nhận",
    "quyền",
    "sử",
    "dụng",
    "đất",
    "đơn",
    "đề",
    "nghị",
    "văn",
    "bản",
    "hộ",
    "tịch",
    "xác",
    "của",
    "người",
    "con",
    "sinh",
    "ủy",
    "Hội",
    "(theo mẫu)",
    "hợp",
    "đồng,",
]
_NAMES = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8).map(
    lambda ws: (lambda t: t[:1].upper() + t[1:])(" ".join(ws).rstrip(","))
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            _NAMES,
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(0, 3),
            st.lists(_NAMES, max_size=2),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_components_text_round_trip_generated(
    specs: list[tuple[str, int, int, int, list[str], bool]],
) -> None:
    comps = tuple(
        Component(f"k{i}", name, o, c, p, tuple(alts), req)
        for i, (name, o, c, p, alts, req) in enumerate(specs)
    )
    assert parse_components(components_text(comps), [c.key for c in comps]) == comps


def test_components_text_round_trip(seed: list[Procedure]) -> None:
    for p in seed:
        assert parse_components(components_text(p.components), [c.key for c in p.components]) == p.components


# ---------------------------------------------------------------- spreadsheets
HEADER = [
    "STT",
    "Mã TTHC",
    "Tên thủ tục hành chính",
    "Thời hạn giải quyết",
    "Phí, lệ phí",
    "Thành phần hồ sơ",
    "Kết quả",
    "Cơ quan thực hiện",
    "Cấp thực hiện",
]
BIRTH_COMPONENTS = (
    "- Tờ khai đăng ký khai sinh theo mẫu (01 bản chính)\n"
    "- Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh (01 bản chính)\n"
    "- Căn cước công dân hoặc hộ chiếu hoặc giấy tờ tùy thân khác có ảnh (xuất trình)"
)
COPY_COMPONENTS = "- Bản chính giấy tờ, văn bản (01 bản chính)\n- Bản sao cần chứng thực (01 bản photo)"


def province_rows(bad: bool = False) -> list[list[object]]:
    """A sheet as a province publishes it: titles, header, column numbers, section rows."""
    rows: list[list[object]] = [
        ["ỦY BAN NHÂN DÂN TỈNH MẪU"],
        ["DANH MỤC THỦ TỤC HÀNH CHÍNH THUỘC THẨM QUYỀN GIẢI QUYẾT CỦA UBND CẤP XÃ"],
        ["(Kèm theo Quyết định số 123/QĐ-UBND ngày 01/8/2025)"],
        [],
        HEADER,
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)"],
        ["I", "LĨNH VỰC HỘ TỊCH"],
        [
            1,
            "1.001193.000.00.00.H12",
            "Đăng ký khai sinh",
            "Trong ngày",
            "Miễn lệ phí",
            BIRTH_COMPONENTS,
            "Giấy khai sinh (bản chính)",
            "UBND cấp xã",
            "Cấp xã",
        ],
        [
            2,
            "2.000635",
            "Cấp bản sao trích lục hộ tịch",
            "Ngay trong ngày",
            "8.000 đồng/bản",
            "- Tờ khai cấp bản sao trích lục hộ tịch (01 bản chính)",
            "Bản sao trích lục hộ tịch",
            "UBND cấp xã",
            "Cấp tỉnh, cấp xã",
        ],
        [
            3,
            "1.004873",
            "Xác nhận tình trạng hôn nhân",
            "03 ngày làm việc",
            "Miễn phí",
            "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (01 bản chính)",
            "Giấy xác nhận tình trạng hôn nhân",
            "UBND cấp xã",
            "Cấp xã",
        ],
        ["II", "LĨNH VỰC CHỨNG THỰC"],
        [
            4,
            "2.000815",
            "Chứng thực bản sao từ bản chính",
            "Trong ngày",
            "2.000 đồng/trang; từ trang thứ 3 trở lên 1.000 đồng/trang, tối đa 200.000 đồng/bản",
            COPY_COMPONENTS,
            "Bản sao được chứng thực",
            "UBND cấp xã",
            "Cấp xã",
        ],
        [
            5,
            "2.001035",
            "Chứng thực hợp đồng, giao dịch",
            "02 ngày làm việc",
            "50.000 đồng/hợp đồng",
            "- Dự thảo hợp đồng (01 bản chính)",
            "Hợp đồng đã được chứng thực",
            "UBND cấp xã",
            "Cấp xã",
        ],
    ]
    if bad:
        rows += [
            [6, "", "Chứng thực chữ ký", "Trong ngày", "10.000đ/trường hợp", "- Giấy tờ (01 bản chính)"],
            [7, "2.88", "Chứng thực di chúc", "02 ngày làm việc", "50.000 đồng", "- Di chúc", "", "", ""],
            [8, "1.001193.000.00.00.H12", "Đăng ký khai sinh (lần 2)", "Trong ngày", "Miễn phí", "- Tờ khai"],
            [9, "1.000656", "Đăng ký khai tử", "sớm nhất có thể", "Miễn phí", "- Tờ khai", "", "", ""],
            [10, "1.000894", "Đăng ký kết hôn", "Trong ngày", "Theo quy định", "- Tờ khai", "", "", ""],
        ]
    return rows


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list[object]], bom: bool = True, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def check_province_import(procs: list[Procedure]) -> None:
    assert [p.code for p in procs] == [
        "1.001193.000.00.00.H12",
        "2.000635",
        "1.004873",
        "2.000815",
        "2.001035",
    ]
    birth, extract, marital, copy, contract = procs
    assert birth.field == marital.field == "Hộ tịch"
    assert copy.field == contract.field == "Chứng thực"
    assert birth.time == extract.time == copy.time == ProcessingTime.same_day()
    assert marital.time == ProcessingTime.working_days(3)
    assert contract.time == ProcessingTime.working_days(2)
    assert birth.fee.kind is FeeKind.FREE
    assert extract.fee.compute(copies=2) == 16000 and extract.level == "xa"
    assert copy.fee.compute(pages=5) == 7000 and copy.fee.compute(pages=300) == 200000
    assert contract.fee.compute() == 50000 and contract.fee.note == "50.000 đồng/hợp đồng"
    assert [c.name for c in birth.components] == [
        "Tờ khai đăng ký khai sinh theo mẫu",
        "Giấy chứng sinh",
        "Căn cước công dân",
    ]
    assert birth.components[1].alternatives == ("Văn bản của người làm chứng xác nhận về việc sinh",)
    assert birth.components[2].alternatives == ("Hộ chiếu", "Giấy tờ tùy thân khác có ảnh")
    assert birth.components[2].counts_label == "xuất trình"
    assert copy.components[1].photocopies == 1
    assert marital.components[0].originals == 1
    assert birth.result == "Giấy khai sinh (bản chính)" and birth.lead_agency == "UBND cấp xã"
    for p in procs:
        assert nfc(p.name) and all(nfc(c.name) for c in p.components)


def test_import_province_xlsx(tmp_path: Path) -> None:
    check_province_import(parse_catalog_file(write_xlsx(tmp_path / "tinh.xlsx", province_rows())))


@pytest.mark.parametrize(("bom", "delimiter"), [(True, ","), (False, ","), (True, ";")])
def test_import_province_csv(tmp_path: Path, bom: bool, delimiter: str) -> None:
    path = write_csv(tmp_path / "tinh.csv", province_rows(), bom=bom, delimiter=delimiter)
    check_province_import(parse_catalog_file(path))


def test_import_csv_nfd_text(tmp_path: Path) -> None:
    rows = [[unicodedata.normalize("NFD", str(c)) for c in r] for r in province_rows()]
    check_province_import(parse_catalog_file(write_csv(tmp_path / "nfd.csv", rows)))


def test_import_with_field_column_and_headers_without_diacritics(tmp_path: Path) -> None:
    rows = [
        ["Danh muc TTHC"],
        ["stt", "MA THU TUC", "TEN THU TUC", "LINH VUC", "THOI HAN GIAI QUYET (ngày)", "LE PHI", "HO SO"],
        [1, "1.001193", "Đăng ký khai sinh", "Hộ tịch", 0.0 + 1, "Không", "- Tờ khai (01 bản chính)"],
    ]
    rows.append([2, 1.0006, "Đăng ký giám hộ", "HỘ TỊCH", "03 ngày làm việc", "Không", "- Tờ khai"])
    p, q = parse_catalog_file(write_xlsx(tmp_path / "x.xlsx", rows))
    assert q.code == "1.000600" and q.field == "Hộ tịch"  # code typed as a number, field in capitals
    assert p.field == "Hộ tịch" and p.time == ProcessingTime.working_days(1) and p.fee.kind is FeeKind.FREE
    assert p.components[0].originals == 1


def test_bad_rows_are_all_reported_and_nothing_imported(tmp_path: Path, seed: list[Procedure]) -> None:
    db = Database(tmp_path / "t.db")
    try:
        seed_catalog(db)
        with UnitOfWork(db, write=False) as uow:
            before = uow.procedures.all()
        path = write_xlsx(tmp_path / "bad.xlsx", province_rows(bad=True))
        with pytest.raises(CatalogImportError) as info:
            import_catalog(db, path)
        err = info.value
        rows = {row for row, _ in err.errors}
        assert rows == {14, 15, 16, 17, 18}  # spreadsheet rows of the five bad entries
        reasons = dict(err.errors)
        assert "thiếu mã thủ tục" in reasons[14]
        assert "sai định dạng" in reasons[15]
        assert "trùng với dòng 8" in reasons[16]
        assert "thời hạn" in reasons[17]
        assert "mức phí" in reasons[18]
        report = str(err)
        assert report.splitlines()[1] == "Dòng 14: thiếu mã thủ tục"
        assert "chưa nhập thủ tục nào" in report.splitlines()[0]
        assert nfc(report)
        with UnitOfWork(db, write=False) as uow:
            assert uow.procedures.all() == before
            assert uow.procedures.get("2.000635") is None
    finally:
        db.close()


def test_import_good_file_upserts(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        seed_catalog(db)
        n = import_catalog(db, write_xlsx(tmp_path / "ok.xlsx", province_rows()))
        assert n == 5
        with UnitOfWork(db, write=False) as uow:
            got = uow.procedures.get("2.000635")
            assert got is not None and got.fee.amount == 8000
            birth = uow.procedures.get("1.001193.000.00.00.H12")
            assert birth is not None and birth.components[0].name.startswith("Tờ khai")
    finally:
        db.close()


def test_missing_header_and_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(CatalogImportError, match="Không tìm thấy dòng tiêu đề"):
        parse_catalog_file(write_xlsx(tmp_path / "a.xlsx", [["Danh mục"], ["a", "b"]]))
    with pytest.raises(CatalogImportError) as info:
        rows: list[list[object]] = [["x"], ["Mã thủ tục", "Tên thủ tục"], ["1.001193", "A"]]
        parse_catalog_file(write_xlsx(tmp_path / "b.xlsx", rows))
    assert info.value.errors == [(2, "thiếu cột “Thời hạn giải quyết”")]
    with pytest.raises(CatalogImportError, match="UTF-8"):
        (tmp_path / "c.csv").write_bytes("Mã thủ tục,Tên thủ tục\n".encode("utf-16"))
        parse_catalog_file(tmp_path / "c.csv")
    with pytest.raises(CatalogImportError, match=r"\.ods"):
        parse_catalog_file(tmp_path / "d.ods")


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_export_import_round_trip(tmp_path: Path, seed: list[Procedure], ext: str) -> None:
    path = tmp_path / f"danh_muc.{ext}"
    assert export_catalog(seed, path) == len(seed)
    assert parse_catalog_file(path) == seed


def test_export_then_import_into_database(tmp_path: Path, seed: list[Procedure]) -> None:
    path = tmp_path / "danh_muc.xlsx"
    export_catalog(seed, path)
    db = Database(tmp_path / "t.db")
    try:
        assert import_catalog(db, path) == len(seed)
        with UnitOfWork(db, write=False) as uow:
            assert sorted(uow.procedures.all(), key=lambda p: p.code) == sorted(seed, key=lambda p: p.code)
    finally:
        db.close()


def test_province_import_round_trips_through_export(tmp_path: Path) -> None:
    procs = parse_catalog_file(write_xlsx(tmp_path / "tinh.xlsx", province_rows()))
    export_catalog(procs, tmp_path / "lai.csv")
    assert parse_catalog_file(tmp_path / "lai.csv") == procs


def test_export_rejects_unknown_extension(tmp_path: Path, seed: list[Procedure]) -> None:
    with pytest.raises(ValidationError, match="pdf"):
        export_catalog(seed, tmp_path / "x.pdf")
