"""766 indicators, 'chưa có dữ liệu' where inputs are missing, the penalty preview, periods."""

from __future__ import annotations

import datetime as dt

import pytest

from desk_app.domain.lifecycle import EventKind as K
from desk_app.reports.indicators import (
    NO_DATA,
    DigitisationCounts,
    RatingCounts,
    Tally,
    indicators_766,
    penalty_preview,
)
from desk_app.reports.periods import (
    custom,
    day_of,
    half_of,
    month_of,
    parse_period,
    quarter_of,
    week_of,
    year_of,
)
from tests.reports.histories import ev, received, record, t


def by_code(t: Tally, **kw):  # type: ignore[no-untyped-def]
    return {i.code: i for i in indicators_766(t, **kw)}


def test_on_time_rate_and_overdue_rate() -> None:
    t = Tally(received_direct=10, early=5, on_time=3, late=2, in_time=3, overdue=1)
    ind = by_code(t)
    assert ind["2.1"].value == pytest.approx(80.0) and ind["2.1"].display == "80,00%"
    assert (ind["2.1"].numerator, ind["2.1"].denominator) == (8, 10)
    assert ind["2.x"].value == pytest.approx(100 * 3 / 14)


def test_missing_inputs_show_no_data_not_zero() -> None:
    ind = by_code(Tally(received_direct=1, on_time=1))
    for code in ("5.4", "4.y", "4.2.2"):
        assert ind[code].value is None and ind[code].display == NO_DATA
        assert ind[code].meets_full_marks is None
    # A resolved dossier without files is judged: 0%, not "no data".
    assert ind["4.2"].value == 0 and ind["4.2"].meets_full_marks is False and ind["4.2.1"].value == 0
    empty = by_code(Tally(received_direct=1, in_time=1))  # nothing resolved: nothing to judge
    for code in ("2.1", "4.2", "4.2.1", "4.2.2"):
        assert empty[code].display == NO_DATA  # no rate, not 0%


def test_satisfaction_and_digitisation_when_their_inputs_exist() -> None:
    t = Tally(received_direct=100, early=60, on_time=35, late=5)  # 5% overdue
    ind = by_code(t, ratings=RatingCounts(100, 3), files=DigitisationCounts(100, 79))
    assert ind["5.4"].value == pytest.approx(92.0) and ind["5.4"].meets_full_marks is True
    assert ind["4.2"].value == pytest.approx(79.0) and ind["4.2"].meets_full_marks is False


NOW = t(25, 9)


def codes(rec, now=NOW):  # type: ignore[no-untyped-def]
    return [w.code for w in penalty_preview(rec, now)]


def test_preview_warns_before_a_second_supplement_request() -> None:
    rec = record(
        received(t(23), t(27, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(23, 10), missing=[{"name": "CCCD"}]),
        ev(K.SUPPLEMENTED, t(24), due_at=t(27, 17)),
    )
    [warning] = penalty_preview(rec, NOW)
    assert warning.code == "second_supplement" and "lần thứ hai" in warning.message
    assert "không lập Phiếu yêu cầu bổ sung lần hai" in warning.advice


def test_preview_after_two_requests_says_it_already_counts_late() -> None:
    rec = record(
        received(t(20), t(27, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(20, 10)),
        ev(K.SUPPLEMENTED, t(23), due_at=t(27, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(24)),
    )
    assert codes(rec) == ["already_late"]


def test_preview_due_today_without_result_and_overdue() -> None:
    rec = record(received(t(24), t(25, 17)))
    [w] = penalty_preview(rec, NOW)
    assert w.code == "due_today" and "17:00" in w.message and "Mẫu 04" in w.advice
    assert codes(rec, now=t(25, 17, 30)) == ["overdue"]
    assert codes(record(received(t(24), t(26, 17)))) == []  # nothing to fear yet


def test_preview_waiting_for_the_citizen_is_not_due() -> None:
    rec = record(received(t(24), t(25, 17)), ev(K.SUPPLEMENT_REQUESTED, t(24, 10)))
    assert codes(rec) == ["second_supplement"]


def test_preview_result_without_file() -> None:
    plain = record(received(t(24), t(25, 17)), ev(K.RESULT_READY, t(24, 15)))
    assert codes(plain) == ["no_result_file"]
    [w] = penalty_preview(plain, NOW)
    assert "đính kèm" in w.advice and "ký số" in w.advice
    # A file named in the result event is not an attachment: only ATTACHED / RESULT_SIGNED count.
    named = record(received(t(24), t(25, 17)), ev(K.RESULT_READY, t(24, 15), files=["ab" * 32]))
    assert codes(named) == ["no_result_file"]
    attached = record(
        received(t(24), t(25, 17)),
        ev(K.ATTACHED, t(24, 14), attachment_id="r1", role="result", sha256="ab" * 32),
        ev(K.RESULT_READY, t(24, 15)),
    )
    signed = record(
        received(t(24), t(25, 17)),
        ev(K.RESULT_READY, t(24, 15)),
        ev(K.RESULT_SIGNED, t(24, 16), attachment_id="s1", sha256="cd" * 32),
    )
    assert codes(attached) == [] and codes(signed) == []
    detached = record(
        received(t(24), t(25, 17)),
        ev(K.ATTACHED, t(24, 14), attachment_id="r1", role="result", sha256="ab" * 32),
        ev(K.RESULT_READY, t(24, 15)),
        ev(K.DETACHED, t(24, 16), attachment_id="r1"),
    )
    assert codes(detached) == ["no_result_file"]
    # A component file alone is not a result file; no result yet: nothing to warn about.
    component_only = record(
        received(t(24), t(26, 17)),
        ev(K.ATTACHED, t(24, 14), attachment_id="c1", role="component", component_key="to_khai"),
    )
    assert codes(component_only) == []


def test_periods_and_labels() -> None:
    assert week_of(dt.date(2026, 11, 25)).first == dt.date(2026, 11, 23)
    assert week_of(dt.date(2026, 11, 25)).label == "Tuần 48/2026 (23/11 – 29/11/2026)"
    assert month_of(2026, 12).last == dt.date(2026, 12, 31) and month_of(2026, 2).last.day == 28
    assert quarter_of(2026, 4).label == "Quý IV/2026"
    assert half_of(2026, 1).label == "6 tháng đầu năm 2026" and half_of(2026, 2).first == dt.date(2026, 7, 1)
    assert year_of(2026).label == "Năm 2026" and day_of(dt.date(2026, 11, 25)).label == "Ngày 25/11/2026"
    assert custom(dt.date(2026, 1, 1), dt.date(2026, 1, 31)).label == "Từ ngày 01/01/2026 đến ngày 31/01/2026"
    assert [m.label for m in quarter_of(2026, 4).months()] == [
        "Tháng 10/2026",
        "Tháng 11/2026",
        "Tháng 12/2026",
    ]
    p = month_of(2026, 11)
    assert p.contains(t(30, 23, 59)) and not p.contains(t(1, 0, month=12))
    assert p.as_of(t(25, 9)) == t(25, 9) and p.as_of(t(5, month=12)) == p.end
    assert parse_period("2026-Q4") == quarter_of(2026, 4) and parse_period("2026-11") == month_of(2026, 11)
    assert parse_period("2026-W48") == week_of(dt.date(2026, 11, 23)) and parse_period("2026") == year_of(
        2026
    )
    assert parse_period("2026-h1") == half_of(2026, 1) and parse_period("2026-11-25").kind.value == "day"
    with pytest.raises(ValueError, match="không hợp lệ"):
        parse_period("tháng 11")


def test_preview_ignores_an_action_invalid_after_a_merge() -> None:
    # Offline, a second counter recorded a result while the first asked for a supplement:
    # after the merge the result is a conflict and the dossier still waits for the citizen.
    rec = record(
        received(t(24), t(25, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(24, 10), missing=[{"name": "CCCD"}]),
        ev(K.RESULT_READY, t(24, 11), device="dev2"),
    )
    assert codes(rec) == ["second_supplement"]
