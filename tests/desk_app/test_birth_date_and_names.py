"""Birth dates at the counter: shape, existence and range each get their own message; names get capitals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.domain.errors import ValidationError
from desk_app.domain.model import IdKind
from desk_app.services.intake import ApplicantInput, validate_applicant
from desk_app.validation import capitalized_name, needs_capitals, parse_birth_date

TODAY = dt.date(2026, 11, 25)


def message(text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_birth_date(text, TODAY)
    assert caught.value.field == "birth_date"
    return str(caught.value)


def test_shapes_accepted() -> None:
    assert parse_birth_date("17/05/1990", TODAY) == dt.date(1990, 5, 17)
    assert parse_birth_date("17-5-1990", TODAY) == dt.date(1990, 5, 17)
    assert parse_birth_date("17.05.1990", TODAY) == dt.date(1990, 5, 17)
    assert parse_birth_date("17051990", TODAY) == dt.date(1990, 5, 17)
    assert parse_birth_date("  ", TODAY) is None


def test_each_slip_its_own_message() -> None:
    assert "phải có dạng ngày/tháng/năm" in message("17/05/90")
    assert "phải có dạng ngày/tháng/năm" in message("mười bảy")
    impossible = message("31/02/1990")
    assert "31/02/1990 không có thật" in impossible and "chỉ có 28 ngày" in impossible
    assert "chỉ có 29 ngày" in message("30/02/2000")  # leap year
    assert "không có tháng 13" in message("01/13/1990")
    assert "ở tương lai" in message("26/11/2026")
    assert "trước năm 1900" in message("01/01/1899")
    assert parse_birth_date("25/11/2026", TODAY) == TODAY


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_every_real_past_date_round_trips(day: dt.date) -> None:
    assert parse_birth_date(f"{day:%d/%m/%Y}", TODAY) == day


def test_service_blames_a_future_birth_date_not_the_cccd() -> None:
    data = ApplicantInput("Trần Thị Bình", IdKind.CCCD, "001185012345", dt.date(2030, 5, 17))
    _applicant, errors = validate_applicant(data, TODAY)
    assert "ở tương lai" in errors["birth_date"]
    assert "id_number" not in errors
    data.birth_date = dt.date(1985, 5, 17)
    assert validate_applicant(data, TODAY)[1] == {}
    data.birth_date = dt.date(2005, 5, 17)  # a real mismatch is still the CCCD's
    assert "chữ số thứ 4" in validate_applicant(data, TODAY)[1]["id_number"]


def test_capitalised_names() -> None:
    assert capitalized_name("le van minh") == "Le Van Minh"
    assert capitalized_name("  đặng   thị ánh ") == "Đặng Thị Ánh"
    assert needs_capitals("le van minh")
    assert not needs_capitals("Le van minh")
    assert not needs_capitals("NGUYỄN VĂN A")
    assert not needs_capitals("")
