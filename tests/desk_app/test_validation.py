"""Validators: normalised value or ValidationError with a precise Vietnamese message."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desk_app.domain.errors import ValidationError
from desk_app.domain.model import IdKind
from desk_app.validation import (
    CCCD_PROVINCES,
    cccd_info,
    normalize_sex,
    validate_birth_date,
    validate_cccd,
    validate_cmnd,
    validate_email,
    validate_id,
    validate_name,
    validate_passport,
    validate_phone,
)
from desk_app.workcalendar import now_vn


def error(fn, *args, **kwargs) -> ValidationError:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert unicodedata.is_normalized("NFC", msg)
    return info.value


# -- CCCD ----------------------------------------------------------------------------


def test_province_table() -> None:
    assert len(CCCD_PROVINCES) == 63
    assert CCCD_PROVINCES["001"] == "Hà Nội"
    assert CCCD_PROVINCES["079"] == "Hồ Chí Minh"
    assert CCCD_PROVINCES["096"] == "Cà Mau"
    assert CCCD_PROVINCES["056"] == "Khánh Hòa"
    assert all(len(k) == 3 and k.isdigit() and "001" <= k <= "096" for k in CCCD_PROVINCES)
    assert all(unicodedata.is_normalized("NFC", v) for v in CCCD_PROVINCES.values())
    for gap in ("003", "005", "013", "097", "099", "000"):
        assert gap not in CCCD_PROVINCES


def test_cccd_ok_and_info() -> None:
    assert validate_cccd(" 079 085 001234 ") == "079085001234"
    assert validate_cccd("079085001234", birth_year=1985, sex="nam") == "079085001234"
    assert cccd_info("079085001234") == ("Hồ Chí Minh", "Nam", 1985)
    assert cccd_info("001301012345") == ("Hà Nội", "Nữ", 2001)
    assert cccd_info("096199000001") == ("Cà Mau", "Nữ", 1999)


def test_cccd_length_messages() -> None:
    e = error(validate_cccd, "0790850012")
    assert e.field == "id_number"
    assert "12 chữ số" in str(e) and "đang có 10" in str(e) and "thiếu 2" in str(e)
    assert "thừa 1" in str(error(validate_cccd, "0790850012345"))
    assert "CMND" in str(error(validate_cccd, "123456789"))
    assert "Chưa nhập" in str(error(validate_cccd, "  "))


def test_cccd_non_digit_message_names_character() -> None:
    assert "“O”" in str(error(validate_cccd, "O79085001234"))


def test_cccd_unknown_province_code() -> None:
    msg = str(error(validate_cccd, "099085001234"))
    assert "“099”" in msg and "mã tỉnh" in msg


def test_cccd_century_and_year_mismatch() -> None:
    msg = str(error(validate_cccd, "079285001234", birth_year=1985))
    assert "chữ số thứ 4 “2”" in msg and "1985" in msg and "0 hoặc 1" in msg
    msg = str(error(validate_cccd, "079086001234", birth_year=1985))
    assert "“86”" in msg and "“85”" in msg
    msg = str(error(validate_cccd, "079005001234", birth_year=2005))
    assert "chữ số thứ 4 “0”" in msg and "2 hoặc 3" in msg


def test_cccd_future_birth_year_rejected() -> None:
    next_year = now_vn().year + 1
    number = f"0792{next_year % 100:02d}001234"
    assert str(next_year) in str(error(validate_cccd, number))
    assert "2100" in str(error(validate_cccd, "079400001234"))


def test_cccd_sex_mismatch() -> None:
    msg = str(error(validate_cccd, "079085001234", sex="Nữ"))
    assert "Nam" in msg and "Nữ" in msg
    assert validate_cccd("079185001234", sex="F") == "079185001234"
    assert "Giới tính" in str(error(validate_cccd, "079185001234", sex="x"))


def test_normalize_sex() -> None:
    assert normalize_sex("NAM") == "Nam"
    assert normalize_sex("nữ") == "Nữ"
    assert normalize_sex("nu") == "Nữ"


@settings(max_examples=200)
@given(
    code=st.sampled_from(sorted(CCCD_PROVINCES)),
    year=st.integers(1900, 2025),
    female=st.booleans(),
    tail=st.integers(0, 999_999),
)
def test_cccd_roundtrip_property(code: str, year: int, female: bool, tail: int) -> None:
    digit = (year // 100 - 19) * 2 + int(female)
    number = f"{code}{digit}{year % 100:02d}{tail:06d}"
    assert validate_cccd(number, birth_year=year, sex="Nữ" if female else "Nam") == number
    assert cccd_info(number) == (CCCD_PROVINCES[code], "Nữ" if female else "Nam", year)
    other = year + 1 if year < 2025 else year - 1
    with pytest.raises(ValidationError):
        validate_cccd(number, birth_year=other)
    with pytest.raises(ValidationError):
        validate_cccd(number, sex="Nam" if female else "Nữ")


@settings(max_examples=150)
@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_cccd_random_numbers_accepted_only_with_known_province(number: str) -> None:
    try:
        validate_cccd(number)
    except ValidationError as e:
        known = number[:3] in CCCD_PROVINCES
        assert (not known and f"“{number[:3]}”" in str(e)) or (known and "năm sinh" in str(e))
    else:
        assert number[:3] in CCCD_PROVINCES


# -- CMND / passport / dispatch -------------------------------------------------------------


def test_cmnd() -> None:
    assert validate_cmnd("024 123 456") == "024123456"
    assert validate_cmnd("079085001234") == "079085001234"  # 12-digit CMND, CCCD structure
    assert "099" in str(error(validate_cmnd, "099085001234"))
    msg = str(error(validate_cmnd, "1234567"))
    assert "9 hoặc 12" in msg and "đang có 7" in msg
    assert "CMND" in msg
    assert "“a”" in str(error(validate_cmnd, "12345678a"))


def test_passport() -> None:
    assert validate_passport("c 1234567") == "C1234567"
    assert validate_passport("P0012345", vietnamese=True) == "P0012345"
    assert validate_passport("X12345") == "X12345"  # foreign, 6 chars
    assert validate_passport("123456789") == "123456789"
    assert "1 chữ cái và 7 chữ số" in str(error(validate_passport, "CC123456", vietnamese=True))
    assert "đang có 5" in str(error(validate_passport, "AB123"))
    assert "đang có 10" in str(error(validate_passport, "AB12345678"))
    assert "“#”" in str(error(validate_passport, "AB#12345"))
    assert "“Đ”" in str(error(validate_passport, "Đ1234567"))


def test_validate_id_dispatch() -> None:
    assert validate_id(IdKind.CCCD, "079085001234", birth_year=1985) == "079085001234"
    assert validate_id("cmnd", "024123456") == "024123456"
    assert validate_id(IdKind.PASSPORT, "c1234567") == "C1234567"
    assert validate_id(IdKind.NONE, "  ") == ""
    with pytest.raises(ValidationError):
        validate_id(IdKind.CCCD, "079085001234", birth_year=1986)
    assert "Không có giấy tờ" in str(error(validate_id, IdKind.NONE, "123"))


# -- phone --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0084912345678", "0912345678"),
        ("024 3825 1234", "02438251234"),
        ("(028) 3822 1234", "02838221234"),
        ("+84 24 3825 1234", "02438251234"),
        ("0356789012", "0356789012"),
    ],
)
def test_phone_ok(raw: str, expected: str) -> None:
    assert validate_phone(raw) == expected


def test_phone_messages() -> None:
    assert "quá ngắn" in str(error(validate_phone, "091234567"))
    assert "quá dài" in str(error(validate_phone, "09123456789"))
    assert "cố định quá ngắn" in str(error(validate_phone, "0243825123"))
    assert "cố định quá dài" in str(error(validate_phone, "024382512345"))
    msg = str(error(validate_phone, "0412345678"))
    assert "Đầu số “04”" in msg and "03, 05, 07, 08, 09" in msg
    assert "“a”" in str(error(validate_phone, "09123a5678"))
    assert "01x" not in str(error(validate_phone, "01234567890")) and "2018" in str(
        error(validate_phone, "01234567890")
    )
    assert "+84" in str(error(validate_phone, "912345678"))
    # "84" is read as the country code only when enough digits follow.
    assert "“8”" in str(error(validate_phone, "8491234567"))
    assert "+1" in str(error(validate_phone, "+1 415 555 0100"))
    e = error(validate_phone, "")
    assert e.field == "phone" and "Chưa nhập" in str(e)


@settings(max_examples=200)
@given(
    prefix=st.sampled_from(["03", "05", "07", "08", "09"]),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
    style=st.sampled_from(["plain", "spaces", "dots", "+84", "84", "+84(0)"]),
)
def test_mobile_formats_property(prefix: str, rest: str, style: str) -> None:
    national = prefix + rest
    body = national[1:]
    raw = {
        "plain": national,
        "spaces": f"{national[:4]} {national[4:7]} {national[7:]}",
        "dots": f"{national[:4]}.{national[4:7]}.{national[7:]}",
        "+84": f"+84 {body}",
        "84": f"84{body}",
        "+84(0)": f"+84 (0){body}",
    }[style]
    assert validate_phone(raw) == national
    with pytest.raises(ValidationError):
        validate_phone(national[:-1])
    with pytest.raises(ValidationError):
        validate_phone(national + "0")


@settings(max_examples=150)
@given(st.text(alphabet="0123456789", min_size=1, max_size=13))
def test_phone_accepts_only_the_two_shapes(number: str) -> None:
    assume(not number.startswith("84") and not number.startswith("0084"))
    try:
        out = validate_phone(number)
    except ValidationError:
        mobile = len(number) == 10 and number[:2] in ("03", "05", "07", "08", "09")
        landline = len(number) == 11 and number.startswith("02")
        assert not (mobile or landline)
    else:
        assert out == number
        assert (len(out) == 10 and out[:2] in ("03", "05", "07", "08", "09")) or (
            len(out) == 11 and out.startswith("02")
        )


# -- email -----------------------------------------------------------------------------------


def test_email() -> None:
    assert validate_email("  Nguyen.Van+a@Gmail.COM ") == "Nguyen.Van+a@gmail.com"
    assert validate_email("a@ubnd.khanhhoa.gov.vn") == "a@ubnd.khanhhoa.gov.vn"
    assert "“@”" in str(error(validate_email, "a.gmail.com"))
    assert "đang có 2" in str(error(validate_email, "a@b@c.vn"))
    assert "dấu cách" in str(error(validate_email, "a b@c.vn"))
    assert "trước ký tự" in str(error(validate_email, "@c.vn"))
    assert "sau ký tự" in str(error(validate_email, "a@"))
    assert "đuôi" in str(error(validate_email, "a@localhost"))
    assert "không hợp lệ" in str(error(validate_email, "a@-x.vn"))
    assert "không hợp lệ" in str(error(validate_email, "dũng@gmail.com"))
    assert "không hợp lệ" in str(error(validate_email, "a..b@gmail.com"))
    assert error(validate_email, "").field == "email"


# -- name --------------------------------------------------------------------------------------


def test_name() -> None:
    nfd = unicodedata.normalize("NFD", "  Nguyễn   Thị  Ánh  ")
    out = validate_name(nfd)
    assert out == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", out)
    assert validate_name("H'Hen Niê") == "H'Hen Niê"
    assert validate_name("Jean-Pierre A. Dupont") == "Jean-Pierre A. Dupont"
    assert "chữ số" in str(error(validate_name, "Nguyễn Văn 2"))
    assert "“@”" in str(error(validate_name, "Lê @n"))
    assert "quá ngắn" in str(error(validate_name, "A"))
    assert "quá dài" in str(error(validate_name, "A" * 101))
    assert validate_name("A" * 100) == "A" * 100
    assert "Chưa nhập" in str(error(validate_name, "   "))
    assert "chữ cái" in str(error(validate_name, "--"))


_NAME_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


@settings(max_examples=150)
@given(st.lists(st.text(alphabet=_NAME_LETTERS, min_size=1, max_size=8), min_size=1, max_size=5))
def test_name_property(words: list[str]) -> None:
    text = " ".join(w.capitalize() for w in words)
    assume(2 <= len(text) <= 100)
    out = validate_name("  " + text.replace(" ", "   ") + " ")
    assert out == unicodedata.normalize("NFC", text)


# -- birth date ------------------------------------------------------------------------------


def test_birth_date() -> None:
    today = dt.date(2026, 11, 25)
    assert validate_birth_date(dt.date(1985, 3, 2), today=today) == dt.date(1985, 3, 2)
    assert validate_birth_date(today, today=today) == today
    assert validate_birth_date(dt.date(1900, 1, 1), today=today) == dt.date(1900, 1, 1)
    msg = str(error(validate_birth_date, dt.date(2026, 11, 26), today=today))
    assert "26/11/2026" in msg and "tương lai" in msg
    assert "1900" in str(error(validate_birth_date, dt.date(1899, 12, 31), today=today))
    assert error(validate_birth_date, dt.date(1899, 12, 31)).field == "birth_date"
    assert validate_birth_date(dt.date(2000, 1, 1)) == dt.date(2000, 1, 1)  # default "today"


def test_no_identity_paper_needs_no_number_and_refuses_one() -> None:
    """The "check the ID unless the kind is NONE" rule lives in ``validate_id`` alone."""
    assert validate_id(IdKind.NONE, "") == ""
    assert validate_id(IdKind.NONE, "   ") == ""
    with pytest.raises(ValidationError, match="Không có giấy tờ"):
        validate_id(IdKind.NONE, "012345678901")


@pytest.mark.parametrize("good", ["00:00", "07:30", "23:59", " 13:30 "])
def test_office_hours_are_hh_mm(good: str) -> None:
    from desk_app.validation import validate_hhmm

    assert validate_hhmm(good) == good.strip()


@pytest.mark.parametrize("bad", ["24:00", "7:30", "07:60", "0730", "", "07:3a"])
def test_bad_office_hours_are_refused_in_vietnamese(bad: str) -> None:
    from desk_app.validation import validate_hhmm

    with pytest.raises(ValidationError, match="HH:MM") as err:
        validate_hhmm(bad, "morning_start")
    assert err.value.field == "morning_start"
