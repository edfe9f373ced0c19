"""The chip CCCD card's QR: parsed in the core, every bad part named in Vietnamese."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.cccd_qr import looks_like_cccd_qr, parse_cccd_qr
from desk_app.domain.errors import ValidationError
from desk_app.validation import CCCD_PROVINCES

GOOD = "001185012345|012345678|Trần Thị Bình|17051985|Nữ|Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội|10082021"


def test_parses_all_fields() -> None:
    card = parse_cccd_qr(GOOD)
    assert card.id_number == "001185012345"
    assert card.old_id == "012345678"
    assert card.full_name == "Trần Thị Bình"
    assert card.birth_date == dt.date(1985, 5, 17)
    assert card.sex == "Nữ"
    assert card.address == "Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội"
    assert card.issued_on == dt.date(2021, 8, 10)


def test_no_old_id_and_no_issue_date() -> None:
    card = parse_cccd_qr("056090001234||Nguyễn Văn Dũng|17051990|Nam|Thôn Văn Đăng, Vĩnh Lương, Khánh Hòa")
    assert card.old_id == "" and card.issued_on is None


def test_decomposed_unicode_is_normalised() -> None:
    import unicodedata

    card = parse_cccd_qr(unicodedata.normalize("NFD", GOOD))
    assert card.full_name == "Trần Thị Bình"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("8934567890123", "không phải mã QR của thẻ căn cước"),
        ("001185012345|a|b", "có 3 phần"),
        (
            "001185012345||Trần Thị Bình|31021985|Nữ|Hà Nội|10082021",
            "ngày sinh “31021985” không phải ngày có thật",
        ),
        ("001185012345||Trần Thị Bình|1705198|Nữ|Hà Nội|10082021", "không có dạng ngàythángnăm"),
        ("001185012345||Trần Thị Bình|17051990|Nữ|Hà Nội|10082021", "không khớp năm sinh 1990"),
        ("001185012345||Tr4n|17051985|Nữ|Hà Nội|10082021", "không được chứa chữ số"),
        ("001185012345||Trần Thị Bình|17051985|X|Hà Nội|10082021", "Giới tính “X” không hợp lệ"),
        ("001185012345|12ab|Trần Thị Bình|17051985|Nữ|Hà Nội|10082021", "số CMND cũ “12ab”"),
        ("001185012345||Trần Thị Bình|17051985|Nữ|Hà Nội|99999999", "ngày cấp"),
    ],
)
def test_malformed_codes_are_refused_in_vietnamese(text: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_cccd_qr(text)
    assert caught.value.field == "cccd_qr"
    assert words in str(caught.value)


def test_looks_like() -> None:
    assert looks_like_cccd_qr(GOOD)
    assert not looks_like_cccd_qr("000.21.31.H56-261125-0001")
    assert not looks_like_cccd_qr("Nguyễn|Văn|Dũng")


_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


@given(
    province=st.sampled_from(sorted(CCCD_PROVINCES)),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)),
    female=st.booleans(),
    serial=st.integers(min_value=0, max_value=999_999),
    words=st.lists(st.text(alphabet=_LETTERS, min_size=1, max_size=7), min_size=2, max_size=5),
    address=st.text(alphabet=_LETTERS + " ,0123456789", min_size=0, max_size=60),
    issued=st.none() | st.dates(min_value=dt.date(2016, 1, 1), max_value=dt.date(2025, 12, 31)),
)
def test_any_valid_card_round_trips(
    province: str,
    birth: dt.date,
    female: bool,
    serial: int,
    words: list[str],
    address: str,
    issued: dt.date | None,
) -> None:
    digit = (birth.year // 100 - 19) * 2 + (1 if female else 0)
    number = f"{province}{digit}{birth.year % 100:02d}{serial:06d}"
    name = " ".join(w.capitalize() for w in words)
    parts = [number, "", name, f"{birth:%d%m%Y}", "Nữ" if female else "Nam", address]
    if issued is not None:
        parts.append(f"{issued:%d%m%Y}")
    card = parse_cccd_qr("|".join(parts))
    assert (card.id_number, card.full_name, card.birth_date, card.issued_on) == (number, name, birth, issued)
    assert card.sex == ("Nữ" if female else "Nam") and card.address == address.strip()
    assert looks_like_cccd_qr("|".join(parts))
