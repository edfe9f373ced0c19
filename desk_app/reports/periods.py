"""Reporting periods: day, week, month, quarter, 6 months, year, custom.

A period is a half-open range of local (Vietnam time) datetimes
``[start, end)`` built from whole calendar days, so a dossier received at
23:59:59 on the last day belongs to it and one received at 00:00 on the next
day does not. Labels are the Vietnamese wording used on report titles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from desk_app.workcalendar import VN_TZ

ROMAN = ("I", "II", "III", "IV")


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"  # 6 tháng
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Whole days ``first`` .. ``last`` (inclusive) in Vietnam time."""

    first: dt.date
    last: dt.date
    kind: PeriodKind = PeriodKind.CUSTOM

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("period ends before it starts")

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=VN_TZ)

    @property
    def end(self) -> dt.datetime:
        """Exclusive end: midnight after the last day."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=VN_TZ)

    def contains(self, when: dt.datetime) -> bool:
        return self.start <= when < self.end

    def as_of(self, now: dt.datetime) -> dt.datetime:
        """The moment the period is judged at: its end, or now while it is still running."""
        return min(self.end, now)

    @property
    def label(self) -> str:
        f, last = self.first, self.last
        if self.kind is PeriodKind.DAY:
            return f"Ngày {f:%d/%m/%Y}"
        if self.kind is PeriodKind.WEEK:
            year, week, _ = f.isocalendar()
            return f"Tuần {week}/{year} ({f:%d/%m} – {last:%d/%m/%Y})"
        if self.kind is PeriodKind.MONTH:
            return f"Tháng {f.month:02d}/{f.year}"
        if self.kind is PeriodKind.QUARTER:
            return f"Quý {ROMAN[(f.month - 1) // 3]}/{f.year}"
        if self.kind is PeriodKind.HALF:
            return f"6 tháng {'đầu' if f.month == 1 else 'cuối'} năm {f.year}"
        if self.kind is PeriodKind.YEAR:
            return f"Năm {f.year}"
        return f"Từ ngày {f:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"

    def months(self) -> list[Period]:
        """The calendar months the period touches, clipped to it (for charts by month)."""
        out: list[Period] = []
        cursor = self.first
        while cursor <= self.last:
            month = month_of(cursor.year, cursor.month)
            out.append(Period(max(month.first, self.first), min(month.last, self.last), PeriodKind.MONTH))
            cursor = month.last + dt.timedelta(days=1)
        return out


def day_of(d: dt.date) -> Period:
    return Period(d, d, PeriodKind.DAY)


def week_of(d: dt.date) -> Period:
    """Monday to Sunday (ISO week) containing ``d``."""
    monday = d - dt.timedelta(days=d.weekday())
    return Period(monday, monday + dt.timedelta(days=6), PeriodKind.WEEK)


def month_of(year: int, month: int) -> Period:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return Period(first, nxt - dt.timedelta(days=1), PeriodKind.MONTH)


def quarter_of(year: int, quarter: int) -> Period:
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1..4")
    first_month = 3 * (quarter - 1) + 1
    return Period(dt.date(year, first_month, 1), month_of(year, first_month + 2).last, PeriodKind.QUARTER)


def half_of(year: int, half: int) -> Period:
    if half not in (1, 2):
        raise ValueError("half must be 1 or 2")
    first_month = 1 if half == 1 else 7
    return Period(dt.date(year, first_month, 1), month_of(year, first_month + 5).last, PeriodKind.HALF)


def year_of(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), PeriodKind.YEAR)


def custom(first: dt.date, last: dt.date) -> Period:
    return Period(first, last, PeriodKind.CUSTOM)


def parse_period(text: str) -> Period:
    """``2026-11-25`` (day), ``2026-W48``, ``2026-11``, ``2026-Q4``, ``2026-H2``, ``2026``.

    Raises ``ValueError`` with a Vietnamese message on anything else.
    """
    value = text.strip().upper()
    try:
        if len(value) == 4 and value.isdigit():
            return year_of(int(value))
        year_s, _, rest = value.partition("-")
        year = int(year_s)
        if rest.startswith("Q"):
            return quarter_of(year, int(rest[1:]))
        if rest.startswith("H"):
            return half_of(year, int(rest[1:]))
        if rest.startswith("W"):
            return week_of(dt.date.fromisocalendar(year, int(rest[1:]), 1))
        if len(value) == 7:
            return month_of(year, int(rest))
        return day_of(dt.date.fromisoformat(value))
    except ValueError:
        raise ValueError(
            f"Kỳ báo cáo “{text}” không hợp lệ: dùng 2026-11-25, 2026-W48, 2026-11, "
            "2026-Q4, 2026-H2 hoặc 2026."
        ) from None
