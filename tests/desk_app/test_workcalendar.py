"""Working calendar: holidays, working-day arithmetic, reception hours, due dates."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desk_app.domain.model import CutoffRule, ProcessingTime, WorkingHours
from desk_app.workcalendar import (
    FAKE_NOW_ENV,
    UNIT_DAY_OFF_NAME,
    VN_TZ,
    DaySource,
    DecisionDay,
    WorkCalendar,
    now_vn,
    parse_decisions,
    shipped_decisions,
    to_vn,
)

D = dt.date
SAME_DAY = ProcessingTime.same_day()
CAL = WorkCalendar()  # shared: holiday years are cached across tests


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=VN_TZ)


# -- time zone ------------------------------------------------------------------------


def test_now_vn_is_aware_utc_plus_7(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real clock on purpose: only the offset and closeness are checked, true on any day.
    monkeypatch.delenv(FAKE_NOW_ENV, raising=False)
    now = now_vn()
    assert now.utcoffset() == dt.timedelta(hours=7)
    assert abs((now - dt.datetime.now(dt.UTC)).total_seconds()) < 5  # real clock: any day


def test_fake_now_env_starts_the_clock_there_and_lets_it_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAKE_NOW_ENV, "2026-12-31T23:59:59")
    first = now_vn()
    assert first.utcoffset() == dt.timedelta(hours=7)
    assert at(2026, 12, 31, 23, 59, 59) <= first < at(2026, 12, 31, 23, 59, 59) + dt.timedelta(seconds=5)
    time.sleep(0.01)
    assert now_vn() > first  # it runs, so ordering (HLC, leases) behaves as in real life
    monkeypatch.setenv(FAKE_NOW_ENV, "2026-02-15T08:00:00+00:00")  # aware input is converted
    assert now_vn().replace(microsecond=0) in {at(2026, 2, 15, 15, 0, s) for s in range(5)}


def test_naive_is_vn_local_and_aware_is_converted() -> None:
    assert to_vn(dt.datetime(2026, 11, 25, 9, 0)) == at(2026, 11, 25, 9, 0)
    utc = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    assert to_vn(utc).hour == 9 and to_vn(utc).tzinfo is VN_TZ


def test_due_at_converts_utc_input() -> None:
    # 08:30 UTC is 15:30 in Vietnam: after the cut-off.
    received = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)
    assert CAL.due_at(received, SAME_DAY) == at(2026, 11, 26, 17, 0)


# -- public holidays (concrete dates, holidays package data) ----------------------------


@pytest.mark.parametrize("day", [D(2026, 2, d) for d in range(16, 21)])
def test_tet_2026_is_off(day: dt.date) -> None:
    assert not CAL.is_working_day(day)
    assert CAL.holiday_name(day) is not None


def test_around_tet_2026() -> None:
    assert CAL.is_working_day(D(2026, 2, 13))  # Friday before
    assert CAL.is_working_day(D(2026, 2, 23))  # Monday after
    assert CAL.holiday_name(D(2026, 2, 17)) == "Tết Nguyên đán (mùng 1)"
    # Friday 13/2 + 1 working day jumps the whole Tết week.
    assert CAL.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert CAL.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_national_day_2026_with_swapped_days() -> None:
    assert not CAL.is_working_day(D(2026, 9, 2))
    assert not CAL.is_working_day(D(2026, 9, 1))  # adjoining day
    assert CAL.holiday_name(D(2026, 9, 2)) == "Quốc khánh"
    # 31/8/2026 (Monday) off, made up on Saturday 22/8/2026.
    assert not CAL.is_working_day(D(2026, 8, 31))
    assert CAL.is_working_day(D(2026, 8, 22))
    assert CAL.holiday_name(D(2026, 8, 22)) is None
    assert D(2026, 8, 22) in CAL.make_up_workdays(2026)
    assert CAL.is_working_day(D(2026, 9, 3))
    assert CAL.next_working_day(D(2026, 8, 28)) == D(2026, 9, 3)


def test_culture_day_24_11_from_2026_only() -> None:
    assert not CAL.is_working_day(D(2026, 11, 24))
    assert CAL.holiday_name(D(2026, 11, 24)) == "Ngày Văn hóa Việt Nam"
    assert CAL.is_working_day(D(2025, 11, 24))  # a Monday, not yet a holiday
    assert CAL.holiday_name(D(2025, 11, 24)) is None


def test_other_2026_holidays_and_compensatory_day() -> None:
    for day in (D(2026, 1, 1), D(2026, 4, 30), D(2026, 5, 1)):
        assert not CAL.is_working_day(day), day
    # Giỗ Tổ 10/3 lunar = Sunday 26/4/2026 -> compensatory Monday 27/4.
    assert CAL.holiday_name(D(2026, 4, 26)) == "Giỗ Tổ Hùng Vương"
    assert not CAL.is_working_day(D(2026, 4, 27))
    assert "nghỉ bù" in (CAL.holiday_name(D(2026, 4, 27)) or "")


def test_plain_days() -> None:
    assert CAL.is_working_day(D(2026, 11, 25))  # Wednesday
    assert not CAL.is_working_day(D(2026, 11, 28))  # Saturday
    assert not CAL.is_working_day(D(2026, 11, 29))  # Sunday
    assert CAL.holiday_name(D(2026, 11, 28)) is None
    # datetimes are accepted as their date
    assert CAL.is_working_day(at(2026, 11, 25, 9)) is True
    assert CAL.is_working_day(at(2026, 11, 24, 9)) is False


def test_holidays_off_switch_gives_plain_weekdays() -> None:
    cal = WorkCalendar(use_public_holidays=False)
    assert cal.is_working_day(D(2026, 9, 2))
    assert not cal.is_working_day(D(2026, 8, 22))


# -- unit overrides --------------------------------------------------------------------


def test_unit_day_off_and_make_up_day() -> None:
    cal = WorkCalendar(days_off=[D(2026, 11, 25)], workdays=[D(2026, 11, 28)])
    assert not cal.is_working_day(D(2026, 11, 25))
    assert cal.holiday_name(D(2026, 11, 25)) == UNIT_DAY_OFF_NAME
    assert cal.is_working_day(D(2026, 11, 28))
    assert cal.next_working_day(D(2026, 11, 27)) == D(2026, 11, 28)
    # Mon 23 -> Thu 26 (24 holiday, 25 unit day off), then Fri 27, then Sat 28.
    assert cal.add_working_days(D(2026, 11, 23), 3) == D(2026, 11, 28)


def test_unit_workday_beats_public_holiday_and_unit_day_off_beats_package_make_up() -> None:
    cal = WorkCalendar(days_off=[D(2026, 8, 22)], workdays=[D(2026, 9, 1)])
    assert cal.is_working_day(D(2026, 9, 1))
    assert cal.holiday_name(D(2026, 9, 1)) is None
    assert not cal.is_working_day(D(2026, 8, 22))


def test_conflicting_overrides_rejected() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(days_off=[D(2026, 1, 5)], workdays=[D(2026, 1, 5)])


def test_from_overrides_rows_last_wins_and_notes() -> None:
    cal = WorkCalendar.from_overrides(
        [
            ("2026-12-04", "off"),
            (D(2026, 12, 5), "work"),
            (D(2026, 12, 7), "off", "Nghỉ bầu cử"),
            (D(2026, 12, 4), "work"),  # undoes the first row
        ],
        hours=WorkingHours(saturday_morning=True),
    )
    assert cal.is_working_day(D(2026, 12, 4))
    assert cal.is_working_day(D(2026, 12, 5))
    assert not cal.is_working_day(D(2026, 12, 7))
    assert cal.holiday_name(D(2026, 12, 7)) == "Nghỉ bầu cử"
    assert cal.hours.saturday_morning
    with pytest.raises(ValueError):
        WorkCalendar.from_overrides([(D(2026, 12, 4), "holiday")])


def test_non_working_days_listing() -> None:
    cal = WorkCalendar(days_off={D(2026, 12, 7): "Nghỉ bầu cử"}, workdays=[D(2026, 5, 1)])
    listing = cal.non_working_days(2026)
    days = dict(listing)
    assert listing == sorted(listing)
    assert days[D(2026, 11, 24)] == "Ngày Văn hóa Việt Nam"
    assert days[D(2026, 12, 7)] == "Nghỉ bầu cử"
    assert D(2026, 4, 26) in days  # holiday on a Sunday is listed
    assert D(2026, 5, 1) not in days  # turned into a working day by the unit
    assert D(2026, 11, 28) not in days  # plain Saturday
    assert all(d.year == 2026 for d in days)
    assert all(isinstance(n, str) and n for n in days.values())


# -- reception hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hh", "mm", "open_"),
    [
        (7, 29, False),
        (7, 30, True),
        (11, 29, True),
        (11, 30, False),
        (12, 0, False),
        (13, 30, True),
        (16, 59, True),
        (17, 0, False),
        (20, 0, False),
    ],
)
def test_reception_hours_boundaries(hh: int, mm: int, open_: bool) -> None:
    assert CAL.is_reception_open(at(2026, 11, 25, hh, mm)) is open_


def test_saturday_morning_reception() -> None:
    sat = WorkCalendar(hours=WorkingHours(saturday_morning=True))
    assert not CAL.is_reception_open(at(2026, 11, 28, 9))
    assert sat.is_reception_open(at(2026, 11, 28, 9))
    assert not sat.is_reception_open(at(2026, 11, 28, 14))  # Saturday afternoon
    assert not sat.is_reception_open(at(2026, 11, 29, 9))  # Sunday
    assert not sat.is_reception_open(at(2027, 2, 6, 9))  # Saturday in Tết 2027
    assert not sat.is_working_day(D(2026, 11, 28))  # desk open, clock not running
    assert not CAL.is_reception_open(at(2026, 11, 24, 9))  # holiday


def test_make_up_saturday_has_full_hours() -> None:
    assert CAL.is_reception_open(at(2026, 8, 22, 14))


# -- due dates: concrete ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "due_day"),
    [
        (14, 59, 59, 25),
        (15, 0, 0, 25),
        (15, 0, 59, 25),  # still "15:00" on the receipt
        (15, 1, 0, 26),
        (16, 59, 0, 26),
        (18, 0, 0, 26),  # online after closing
        (6, 0, 0, 25),  # online before opening
    ],
)
def test_same_day_cutoff(hh: int, mm: int, ss: int, due_day: int) -> None:
    due = CAL.due_at(at(2026, 11, 25, hh, mm, ss), SAME_DAY)
    assert due == at(2026, 11, due_day, 17, 0)


def test_same_day_after_cutoff_on_friday_rolls_over_weekend() -> None:
    assert CAL.due_at(at(2026, 11, 27, 15, 1), SAME_DAY) == at(2026, 11, 30, 17, 0)
    # Monday 23/11 after cut-off: Tuesday 24/11 is a holiday.
    assert CAL.due_at(at(2026, 11, 23, 16, 0), SAME_DAY) == at(2026, 11, 25, 17, 0)


def test_cutoff_follows_unit_setting() -> None:
    cal = WorkCalendar(hours=WorkingHours(same_day_cutoff="16:00"))
    assert cal.due_at(at(2026, 11, 25, 15, 30), SAME_DAY) == at(2026, 11, 25, 17, 0)
    assert cal.due_at(at(2026, 11, 25, 16, 1), SAME_DAY) == at(2026, 11, 26, 17, 0)


def test_saturday_morning_and_sunday_online_count_from_monday() -> None:
    sat = WorkCalendar(hours=WorkingHours(saturday_morning=True))
    assert sat.due_at(at(2026, 11, 28, 9, 15), SAME_DAY) == at(2026, 11, 30, 17, 0)
    assert sat.due_at(at(2026, 11, 28, 9, 15), ProcessingTime.working_days(3)) == at(2026, 12, 3, 7, 30)
    # Sunday evening online; late time does not trigger the cut-off.
    assert CAL.due_at(at(2026, 11, 29, 21, 0), SAME_DAY) == at(2026, 11, 30, 17, 0)
    assert CAL.due_at(at(2026, 11, 29, 21, 0), ProcessingTime.working_days(1)) == at(2026, 12, 1, 7, 30)
    assert CAL.effective_receipt(at(2026, 11, 29, 21, 0)) == at(2026, 11, 30, 7, 30)


@pytest.mark.parametrize(
    ("hh", "mm", "due_h", "due_m"),
    [
        (10, 15, 10, 15),
        (6, 40, 7, 30),
        (11, 30, 13, 30),
        (12, 45, 13, 30),
        (13, 30, 13, 30),
        (16, 10, 16, 10),
        (17, 0, 17, 0),
        (19, 5, 17, 0),
    ],
)
def test_working_days_keep_clamped_time(hh: int, mm: int, due_h: int, due_m: int) -> None:
    # Wed 18/11/2026 + 5 working days: Thu 19, Fri 20, Mon 23, Wed 25 (Tue 24 is a
    # holiday), Thu 26. Seconds are dropped.
    due = CAL.due_at(at(2026, 11, 18, hh, mm, 42), ProcessingTime.working_days(5))
    assert due == at(2026, 11, 26, due_h, due_m)


def test_working_days_across_tet_and_national_day() -> None:
    assert CAL.due_at(at(2026, 2, 12, 9, 0), ProcessingTime.working_days(2)) == at(2026, 2, 23, 9, 0)
    assert CAL.due_at(at(2026, 8, 28, 14, 0), ProcessingTime.working_days(1)) == at(2026, 9, 3, 14, 0)
    # Received on Friday 21/8/2026; Saturday 22/8 is a make-up working day.
    assert CAL.due_at(at(2026, 8, 21, 9, 0), ProcessingTime.working_days(1)) == at(2026, 8, 22, 9, 0)


def test_received_after_cutoff_on_n_day_procedure_not_special() -> None:
    due = CAL.due_at(at(2026, 11, 25, 16, 30), ProcessingTime.working_days(1))
    assert due == at(2026, 11, 26, 16, 30)


def test_received_on_unit_day_off_counts_from_next_working_day() -> None:
    cal = WorkCalendar(days_off=[D(2026, 11, 25)])
    assert cal.due_at(at(2026, 11, 25, 10, 0), ProcessingTime.working_days(1)) == at(2026, 11, 27, 7, 30)


def test_arithmetic_edges() -> None:
    sunday = D(2026, 11, 29)
    assert CAL.add_working_days(sunday, 0) == sunday
    assert CAL.add_working_days(D(2026, 11, 30), -1) == D(2026, 11, 27)
    assert CAL.working_days_between(D(2026, 11, 30), D(2026, 11, 27)) == -1
    assert CAL.working_days_between(sunday, sunday) == 0
    assert CAL.working_day_on_or_after(sunday) == D(2026, 11, 30)
    assert CAL.working_day_on_or_after(D(2026, 11, 30)) == D(2026, 11, 30)
    assert CAL.previous_working_day(D(2026, 2, 23)) == D(2026, 2, 13)


def test_calendar_without_working_days_fails_instead_of_spinning() -> None:
    start = D(2026, 1, 1)
    cal = WorkCalendar(days_off=[start + dt.timedelta(days=i) for i in range(3700)])
    with pytest.raises(ValueError):
        cal.next_working_day(start)


def test_is_working_day_is_cheap() -> None:
    cal = WorkCalendar()
    days = [D(2026, 1, 1) + dt.timedelta(days=i % 730) for i in range(100_000)]
    cal.is_working_day(days[0])
    cal.is_working_day(D(2027, 6, 1))
    t0 = time.perf_counter()
    for d in days:
        cal.is_working_day(d)
    assert time.perf_counter() - t0 < 0.5


# -- properties -------------------------------------------------------------------------

dates = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31))
weekdays = dates.filter(lambda d: d.weekday() < 5)
saturdays = dates.map(lambda d: d + dt.timedelta(days=(5 - d.weekday()) % 7)).filter(lambda d: d.year <= 2028)
times = st.times(min_value=dt.time(0, 0), max_value=dt.time(23, 59, 59))
proc_times = st.one_of(st.just(SAME_DAY), st.integers(1, 30).map(ProcessingTime.working_days))


@st.composite
def decision_layers(draw: st.DrawFn) -> tuple[DecisionDay, ...]:
    """The shipped decisions, maybe plus a few more as the central server would send."""
    extra_off = draw(st.sets(weekdays, max_size=3))
    extra_work = draw(st.sets(saturdays, max_size=2)) - extra_off
    extra = [DecisionDay(d, "off", "Nghỉ theo quyết định", "QĐ thử") for d in extra_off]
    extra += [DecisionDay(d, "work", "Làm bù theo quyết định", "QĐ thử") for d in extra_work]
    return (*shipped_decisions(), *extra)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    off = draw(st.sets(dates, max_size=8))
    work = draw(st.sets(saturdays, max_size=4)) - off
    sat = draw(st.booleans())
    decisions = draw(decision_layers())
    return WorkCalendar(
        days_off=off, workdays=work, hours=WorkingHours(saturday_morning=sat), decisions=decisions
    )


def _received(d: dt.date, t: dt.time) -> dt.datetime:
    return dt.datetime.combine(d, t, tzinfo=VN_TZ)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), day=dates, t=times, pt=proc_times)
def test_due_is_working_day_within_hours_and_after_receipt(
    cal: WorkCalendar, day: dt.date, t: dt.time, pt: ProcessingTime
) -> None:
    received = _received(day, t)
    due = cal.due_at(received, pt)
    assert due.tzinfo is VN_TZ
    assert cal.is_working_day(due.date())
    assert due >= received
    assert due >= cal.effective_receipt(received)
    tod = due.time().replace(tzinfo=None)
    assert cal.morning_start <= tod <= cal.afternoon_end
    assert not (cal.morning_end <= tod < cal.afternoon_start)
    eff_day = cal.effective_receipt(received).date()
    if pt.days:
        assert cal.working_days_between(eff_day, due.date()) == pt.days
    else:
        assert cal.working_days_between(eff_day, due.date()) in (0, 1)
        assert tod == cal.afternoon_end


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), day=dates, t1=times, t2=times, extra=st.integers(0, 3), pt=proc_times)
def test_due_is_monotonic_in_receipt_time(
    cal: WorkCalendar, day: dt.date, t1: dt.time, t2: dt.time, extra: int, pt: ProcessingTime
) -> None:
    r1 = _received(day, t1)
    r2 = _received(day + dt.timedelta(days=extra), t2)
    assume(r1 <= r2)
    assert cal.due_at(r1, pt) <= cal.due_at(r2, pt)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), day=dates, n=st.integers(-40, 40))
def test_add_then_count_gives_n(cal: WorkCalendar, day: dt.date, n: int) -> None:
    target = cal.add_working_days(day, n)
    if n >= 0 or cal.is_working_day(day):
        # Counting is over (a, b], so going backwards from a day off is not an exact inverse.
        assert cal.working_days_between(day, target) == n
    if n:
        assert cal.is_working_day(target)
        assert (target > day) == (n > 0)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), a=dates, b=dates, c=dates)
def test_counting_is_additive_and_antisymmetric(
    cal: WorkCalendar, a: dt.date, b: dt.date, c: dt.date
) -> None:
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)
    assert cal.working_days_between(a, c) == cal.working_days_between(a, b) + cal.working_days_between(b, c)


@settings(max_examples=80, deadline=None)
@given(sat=saturdays)
def test_make_up_saturday_is_counted(sat: dt.date) -> None:
    assume(CAL.holiday_name(sat) is None and CAL.is_working_day(sat) is False)
    cal = WorkCalendar(workdays=[sat])
    friday, sunday = sat - dt.timedelta(days=1), sat + dt.timedelta(days=1)
    assert cal.is_working_day(sat)
    assert cal.working_days_between(friday, sunday) == CAL.working_days_between(friday, sunday) + 1
    if CAL.is_working_day(friday):
        assert cal.next_working_day(friday) == sat
        assert cal.due_at(_received(friday, dt.time(10, 0)), ProcessingTime.working_days(1)) == _received(
            sat, dt.time(10, 0)
        )


@settings(max_examples=80, deadline=None)
@given(day=weekdays, start=dates, n=st.integers(1, 30))
def test_unit_day_off_is_skipped(day: dt.date, start: dt.date, n: int) -> None:
    assume(CAL.is_working_day(day))
    cal = WorkCalendar(days_off=[day])
    assert not cal.is_working_day(day)
    target = cal.add_working_days(start, n)
    assert target != day
    lo, hi = min(start, target), max(start, target)
    if lo < day <= hi:
        assert CAL.working_days_between(start, target) == n + 1
    else:
        assert CAL.working_days_between(start, target) == n


@settings(max_examples=100, deadline=None)
@given(day=weekdays, second=st.integers(0, 59))
def test_same_day_cutoff_boundary_property(day: dt.date, second: int) -> None:
    assume(CAL.is_working_day(day))
    before = CAL.due_at(_received(day, dt.time(14, 59, second)), SAME_DAY)
    at_cut = CAL.due_at(_received(day, dt.time(15, 0, second)), SAME_DAY)
    after = CAL.due_at(_received(day, dt.time(15, 1, second)), SAME_DAY)
    assert before.date() == at_cut.date() == day
    assert after.date() == CAL.next_working_day(day)


# -- government decisions (resources/calendar/decisions.json) ----------------------------


def test_new_year_2026_swap_from_decision_12729() -> None:
    # Văn bản 12729/VPCP-KGVX: Friday 2/1/2026 off, made up on Saturday 10/1/2026.
    assert not CAL.is_working_day(D(2026, 1, 2))
    assert CAL.is_working_day(D(2026, 1, 10))
    assert D(2026, 1, 10) in CAL.make_up_workdays(2026)
    # Received on the day off: counts from Monday 5/1 07:30; + 3 working days = Thursday 8/1.
    assert CAL.due_at(at(2026, 1, 2, 9, 0), ProcessingTime.working_days(3)) == at(2026, 1, 8, 7, 30)
    src, ref = CAL.day_source(D(2026, 1, 2))
    assert src is DaySource.DECISION and "12729/VPCP-KGVX" in ref


def test_every_shipped_decision_day_is_honoured() -> None:
    for dec in shipped_decisions():
        assert CAL.is_working_day(dec.day) == (dec.kind == "work"), dec
        assert CAL.day_source(dec.day)[0] is DaySource.DECISION


def test_shipped_decisions_file_carries_sources() -> None:
    from importlib import resources

    data = json.loads(resources.files("resources").joinpath("calendar/decisions.json").read_text("utf-8"))
    years = set()
    topics = " ".join(e["title"] for e in data["decisions"])
    for entry in data["decisions"]:
        assert entry["document"].strip() and entry["days"], entry["id"]
        assert isinstance(entry["verified"], bool)
        if not entry["verified"]:  # say what is missing rather than guess
            assert "chưa" in entry["note"].lower(), entry["id"]
        years.update(day["date"][:4] for day in entry["days"])
    assert {"2025", "2026"} <= years
    for topic in ("Tết Dương lịch", "Tết Nguyên đán", "Giỗ Tổ", "30/4", "Quốc khánh", "Văn hóa Việt Nam"):
        assert topic in topics


def test_unit_override_beats_decision_and_decision_beats_package() -> None:
    cal = WorkCalendar(workdays=[D(2026, 1, 2)], days_off=[D(2026, 1, 10)])
    assert cal.is_working_day(D(2026, 1, 2)) and not cal.is_working_day(D(2026, 1, 10))
    assert cal.day_source(D(2026, 1, 2))[0] is DaySource.UNIT
    # A decision making a package holiday a working day wins over the package.
    cal = WorkCalendar(decisions=[DecisionDay(D(2026, 11, 24), "work", "Làm việc", "QĐ thử")])
    assert cal.is_working_day(D(2026, 11, 24)) and cal.holiday_name(D(2026, 11, 24)) is None
    # Without decisions the package alone treats 2/1/2026 as a working day.
    assert WorkCalendar(decisions=()).is_working_day(D(2026, 1, 2))


def test_decisions_from_the_server_join_the_decision_layer() -> None:
    rows = [
        ("2027-01-04", "off", "Nghỉ hoán đổi", "decision:Văn bản 999/VPCP-KGVX"),
        ("2027-01-09", "work", "Làm bù", "decision:Văn bản 999/VPCP-KGVX"),
        ("2027-01-05", "off", "Nghỉ của đơn vị", "local"),
    ]
    cal = WorkCalendar.from_overrides(rows)
    assert not cal.is_working_day(D(2027, 1, 4)) and cal.is_working_day(D(2027, 1, 9))
    assert cal.day_source(D(2027, 1, 4)) == (DaySource.DECISION, "Văn bản 999/VPCP-KGVX")
    assert cal.day_source(D(2027, 1, 5))[0] is DaySource.UNIT
    assert not cal.is_working_day(D(2026, 1, 2))  # shipped decisions stay underneath


def test_special_days_mark_their_source() -> None:
    days = {s.day: s for s in WorkCalendar(days_off={D(2026, 12, 31): "Kiểm kê"}).special_days(2026)}
    assert days[D(2026, 1, 10)].working and days[D(2026, 1, 10)].source is DaySource.DECISION
    assert days[D(2026, 12, 31)].source is DaySource.UNIT
    assert days[D(2026, 12, 31)].name == "Kiểm kê"
    law_only = {s.day: s for s in WorkCalendar(decisions=()).special_days(2026)}
    assert law_only[D(2026, 9, 2)].source is DaySource.LAW


def test_malformed_decisions_rejected() -> None:
    with pytest.raises(ValueError):
        parse_decisions({"version": 99, "decisions": []})
    clash = {
        "version": 1,
        "decisions": [
            {"document": "A", "verified": True, "days": [{"date": "2027-01-04", "kind": "off", "name": "x"}]},
            {
                "document": "B",
                "verified": True,
                "days": [{"date": "2027-01-04", "kind": "work", "name": "y"}],
            },
        ],
    }
    with pytest.raises(ValueError):
        parse_decisions(clash)


# The days the shipped decisions and tests rely on: fails when the installed
# ``holidays`` lacks one (the pin in pyproject.toml must then be raised).
KNOWN_PACKAGE_DAYS = [
    D(2025, 1, 1),
    D(2025, 4, 7),
    D(2025, 5, 2),
    D(2025, 9, 1),
    D(2026, 1, 1),
    D(2026, 2, 17),
    D(2026, 4, 27),
    D(2026, 8, 31),
    D(2026, 9, 1),
    D(2026, 11, 24),
]


@pytest.mark.parametrize("day", KNOWN_PACKAGE_DAYS)
def test_installed_holidays_package_knows_the_day(day: dt.date) -> None:
    import holidays

    assert day in holidays.country_holidays("VN", years=day.year), (day, holidays.__version__)


def test_installed_holidays_package_knows_the_make_up_saturdays() -> None:
    import holidays

    assert D(2026, 8, 22) in holidays.country_holidays("VN", years=2026).weekend_workdays


# -- the 15:00 cut-off belongs to the procedure -----------------------------------------


def test_cutoff_rules() -> None:
    late = at(2026, 11, 25, 15, 30)  # Wednesday
    assert CAL.due_at(late, SAME_DAY, CutoffRule.HARD).date() == D(2026, 11, 26)
    assert CAL.due_at(late, SAME_DAY, CutoffRule.HARD, return_today=True).date() == D(2026, 11, 26)
    assert CAL.due_at(late, SAME_DAY, CutoffRule.NONE) == at(2026, 11, 25, 17, 0)
    assert CAL.due_at(late, SAME_DAY, CutoffRule.CONDITIONAL).date() == D(2026, 11, 26)
    assert CAL.due_at(late, SAME_DAY, CutoffRule.CONDITIONAL, return_today=True) == at(2026, 11, 25, 17, 0)
    early = at(2026, 11, 25, 10, 0)
    for rule in CutoffRule:
        assert CAL.due_at(early, SAME_DAY, rule) == at(2026, 11, 25, 17, 0)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), day=dates, t=times, rule=st.sampled_from(CutoffRule), today=st.booleans())
def test_cutoff_rule_moves_due_by_at_most_one_working_day(
    cal: WorkCalendar, day: dt.date, t: dt.time, rule: CutoffRule, today: bool
) -> None:
    received = _received(day, t)
    due = cal.due_at(received, SAME_DAY, rule, return_today=today)
    hard = cal.due_at(received, SAME_DAY, CutoffRule.HARD)
    assert cal.is_working_day(due.date()) and due <= hard
    assert cal.working_days_between(due.date(), hard.date()) in (0, 1)
    if rule is CutoffRule.NONE or (rule is CutoffRule.CONDITIONAL and today):
        assert due.date() == cal.effective_receipt(received).date()


def test_explain_due_names_skipped_days_and_cutoff() -> None:
    text = CAL.explain_due(at(2026, 1, 2, 9, 0), ProcessingTime.working_days(3))
    assert "Hôm nay không phải ngày làm việc" in text
    assert "Thứ Sáu 02/01 (Nghỉ hoán đổi (làm bù thứ Bảy 10/01/2026))" not in text  # receipt day itself
    assert "Thứ Bảy 03/01" in text and "Chủ nhật 04/01" in text
    text = CAL.explain_due(at(2026, 11, 20, 15, 30), SAME_DAY)  # Friday after 15:00
    assert "Tiếp nhận sau 15:00: hẹn trả vào ngày làm việc tiếp theo." in text
    assert "Thứ Bảy 21/11, Chủ nhật 22/11." in text
    text = CAL.explain_due(at(2026, 11, 20, 15, 30), SAME_DAY, CutoffRule.CONDITIONAL, return_today=True)
    assert "giải quyết được ngay: trả trong ngày" in text and "Không tính ngày nghỉ" not in text
    text = CAL.explain_due(at(2026, 11, 23, 10, 0), ProcessingTime.working_days(2))
    assert "Thứ Ba 24/11 (Ngày Văn hóa Việt Nam)" in text
