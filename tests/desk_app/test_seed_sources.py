"""The seed catalogue: every row says where its facts come from and whether its code was verified."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desk_app.domain.model import CutoffRule, FeeKind, Procedure, TimeKind
from desk_app.services.catalog import load_seed

README = Path(__file__).parents[2] / "resources" / "catalog" / "README.md"


@pytest.fixture(scope="module")
def seed() -> dict[str, Procedure]:
    return {p.code.split(".000.00.00")[0]: p for p in load_seed()}


def test_every_row_has_a_source_and_unverified_codes_say_so(seed: dict[str, Procedure]) -> None:
    for code, p in seed.items():
        assert p.source.strip(), code
        if not p.code_verified:
            assert "Chưa tìm thấy nguồn" in p.source, code


def test_readme_lists_exactly_the_verified_codes(seed: dict[str, Procedure]) -> None:
    text = README.read_text(encoding="utf-8")
    verified = set(re.findall(r"^\| `(\d\.\d{6})` \|.*\| có \|", text, re.M))
    unverified = set(re.findall(r"^\| `(\d\.\d{6})` \|.*\| chưa \|", text, re.M))
    assert verified == {c for c, p in seed.items() if p.code_verified}
    assert unverified == {c for c, p in seed.items() if not p.code_verified}


def test_codes_fixed_per_public_sources(seed: dict[str, Procedure]) -> None:
    assert seed["2.001019"].name == "Chứng thực di chúc"
    assert seed["2.000913"].name.startswith("Chứng thực việc sửa đổi, bổ sung, hủy bỏ")
    assert "2.000843" not in seed  # "Chứng thực điểm chỉ" is part of 2.000884
    assert "điểm chỉ" in seed["2.000884"].name
    assert seed["1.012812"].name == "Hòa giải tranh chấp đất đai" and "2.000381" not in seed
    assert seed["1.002211"].name == "Công nhận hòa giải viên" and "2.000930" not in seed
    assert "1.011608" not in seed  # a giảm nghèo procedure elsewhere, not "Gia đình văn hóa"
    assert seed["1.001699"].time.days == 25


def test_common_commune_procedures_added(seed: dict[str, Procedure]) -> None:
    residence = seed["1.004222"]
    assert residence.name == "Đăng ký thường trú"
    assert residence.time.kind is TimeKind.WORKING_DAYS and residence.time.days == 7
    assert {"1.004194", "1.001612"} <= seed.keys()


def test_cutoff_rules_follow_the_sector(seed: dict[str, Procedure]) -> None:
    for p in seed.values():
        if p.time.kind is not TimeKind.SAME_DAY:
            continue
        expected = CutoffRule.HARD if p.field == "Chứng thực" else CutoffRule.CONDITIONAL
        assert p.cutoff is expected, p.code


def test_fees_set_by_the_province_are_left_to_its_catalogue(seed: dict[str, Procedure]) -> None:
    marriage_status = seed["1.004873"]
    assert marriage_status.fee.kind is FeeKind.FREE and "HĐND tỉnh" in marriage_status.fee.note
    assert "HĐND tỉnh" in seed["1.001193"].fee.note  # late birth registration
    for code in ("1.013225", "1.013229", "1.013227"):
        assert seed[code].fee.amount == 0 and "HĐND tỉnh" in seed[code].fee.note


def test_province_fee_text_imports_as_left_to_the_province() -> None:
    from desk_app.services.catalog import parse_fee

    rule = parse_fee("Theo mức thu lệ phí do Hội đồng nhân dân cấp tỉnh quy định")
    assert rule.kind is FeeKind.FREE and "Hội đồng nhân dân" in rule.note
    assert parse_fee("Lệ phí do HĐND tỉnh quy định: 3.000 đồng").amount == 3000  # an amount wins


def test_legal_columns_survive_export_and_import(tmp_path: Path, seed: dict[str, Procedure]) -> None:
    from desk_app.services.catalog import export_catalog, parse_catalog_file

    path = tmp_path / "danh_muc.csv"
    export_catalog(seed.values(), path)
    back = {p.code.split(".000.00.00")[0]: p for p in parse_catalog_file(path)}
    for code, p in seed.items():
        assert (back[code].cutoff, back[code].source, back[code].code_verified) == (
            p.cutoff,
            p.source,
            p.code_verified,
        )
    # a province's sheet without these columns imports with the defaults
    path.write_text(
        "Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn giải quyết\n1.001193,Đăng ký khai sinh,Hộ tịch,Trong ngày\n"
    )
    only = parse_catalog_file(path)[0]
    assert (only.cutoff, only.source, only.code_verified) == (CutoffRule.HARD, "", False)
