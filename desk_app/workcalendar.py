"""Working calendar of a unit: working days, reception hours and due dates.

All datetimes are aware in ``VN_TZ`` (UTC+7, Vietnam has no DST). Naive datetimes
passed in are taken as Vietnam local wall-clock time; aware ones are converted.

Working days, three layers (weakest first)
    1. Law: Monday–Friday, minus the public holidays of the ``holidays`` package
       (country "VN", Bộ luật Lao động 2019 Điều 112: Tết dương lịch, Tết Nguyên đán,
       Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh with its adjoining day, 24/11 from
       2026, compensatory days), plus the few swapped days the package carries
       (``weekend_workdays``).
    2. Government decisions: the days off and make-up Saturdays decided for civil
       servants each year (e.g. văn bản 12729/VPCP-KGVX: Friday 2/1/2026 off, Saturday
       10/1/2026 worked). Shipped as data with their sources in
       ``resources/calendar/decisions.json``; newer ones arrive from the central server.
    3. The unit's own overrides: ``days_off`` and ``workdays`` (make-up days).
    A stronger layer wins on the same date. Saturday-morning reception
    (``WorkingHours.saturday_morning``) opens the desk but does NOT make Saturday a
    working day for counting time limits.

Due dates (``WorkCalendar.due_at``)
    1. Effective receipt: if the received date is a working day the receipt counts on
       that date at its own time of day; otherwise (Saturday-morning desk, online
       submission on a weekend or holiday, unit day off) it counts as received on the
       next working day at ``morning_start`` ("shifted").
    2. SAME_DAY ("trong ngày"): due the effective day at ``afternoon_end``. The
       15:00 cut-off is NOT a general law but a rule of some sectors, so each
       procedure carries its own ``CutoffRule``:
         - HARD, chứng thực: Nghị định 23/2015/NĐ-CP Điều 7 "ngay trong ngày … hoặc
           trong ngày làm việc tiếp theo, nếu tiếp nhận yêu cầu sau 15 giờ" (and
           Thông tư 01/2020/TT-BTP Điều 2: the next-day case gets a written appointment);
         - CONDITIONAL, hộ tịch: "trường hợp nhận hồ sơ sau 15 giờ mà không giải quyết
           được ngay thì trả kết quả trong ngày làm việc tiếp theo" (the procedure
           texts published by Quyết định 1872/QĐ-BTP năm 2020; Luật Hộ tịch 2014
           Điều 16 says "ngay sau khi nhận đủ giấy tờ"). The officer decides at intake
           whether the result is returned today (``return_today``);
         - NONE: due the same day whatever the hour.
       Time is compared at minute precision, as printed on the receipt: 14:59 and
       15:00 (any second of that minute) are not "after 15:00"; 15:01 or later (also
       after closing time) is. A shifted receipt counts at ``morning_start``, hence is
       always before the cut-off.
    3. WORKING_DAYS n: due on the n-th working day after the effective receipt day
       (the receipt day itself is not counted), at the receipt time of day clamped
       into working hours: before ``morning_start`` → ``morning_start``; during the
       lunch break → ``afternoon_start``; after ``afternoon_end`` → ``afternoon_end``.
       A shifted receipt uses ``morning_start``. The cut-off plays no part: the
       receipt day is never counted anyway.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from desk_app.domain.model import CutoffRule, ProcessingTime, TimeKind, WorkingHours

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

UNIT_DAY_OFF_NAME = "Ngày nghỉ của đơn vị"
_ONE_DAY = dt.timedelta(days=1)
# Guard for loops that look for the next working day: a calendar with no working day
# for this long is misconfigured (e.g. a year of days off), better fail than spin.
_MAX_SEARCH_DAYS = 3660


@functools.cache
def _holidays_version() -> str:
    from importlib.metadata import version

    return version("holidays")


# Tests that run ``motcua`` (or any station process) as a child process set this to
# an ISO date-time (VN local when naive): that process's clock starts there and
# runs on at real speed, so its day-dependent rules do not depend on the machine's date.
FAKE_NOW_ENV = "MOTCUA_FAKE_NOW"
_fake_offset: tuple[str, dt.timedelta] | None = None


def now_vn() -> dt.datetime:
    """Current time, aware in VN_TZ (shifted by ``MOTCUA_FAKE_NOW`` when set)."""
    now = dt.datetime.now(VN_TZ)
    fake = os.environ.get(FAKE_NOW_ENV)
    if not fake:
        return now
    global _fake_offset
    if _fake_offset is None or _fake_offset[0] != fake:
        _fake_offset = (fake, to_vn(dt.datetime.fromisoformat(fake)) - now)
    return now + _fake_offset[1]


def to_vn(when: dt.datetime) -> dt.datetime:
    """Return ``when`` aware in VN_TZ; naive values are taken as VN local time."""
    if when.tzinfo is None or when.tzinfo.utcoffset(when) is None:
        return when.replace(tzinfo=VN_TZ)
    return when.astimezone(VN_TZ)


def parse_hhmm(text: str) -> dt.time:
    """'07:30' -> time(7, 30); raises ValueError on malformed input."""
    hh, _, mm = text.strip().partition(":")
    return dt.time(int(hh), int(mm or 0))


def _as_date(d: dt.date) -> dt.date:
    # datetime is a subclass of date but never equal to one: normalise.
    return d.date() if isinstance(d, dt.datetime) else d


WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

# ---------------------------------------------------------------- government decisions
DECISIONS_RESOURCE = ("resources", "calendar/decisions.json")
DECISIONS_SCHEMA_VERSION = 1
# Store ``calendar_overrides.source`` of a decision distributed by the central server:
# "decision:<document>"; any other source is a unit override.
DECISION_SOURCE_PREFIX = "decision:"


class DaySource(StrEnum):
    """Which layer of the calendar decided a day."""

    LAW = "law"  # holidays package (Bộ luật Lao động 2019 Điều 112)
    DECISION = "decision"  # a government decision (shipped file or central server)
    UNIT = "unit"  # the unit's own override

    @property
    def label(self) -> str:
        return {"law": "Luật", "decision": "Quyết định", "unit": "Đơn vị"}[self.value]


@dataclass(frozen=True)
class DecisionDay:
    """One day changed by a government decision: ``kind`` 'off' or 'work' (make-up day)."""

    day: dt.date
    kind: str
    name: str
    document: str  # e.g. "Văn bản 12729/VPCP-KGVX ngày 25/12/2025"
    verified: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("off", "work"):
            raise ValueError(f"decision day kind must be 'off' or 'work', not {self.kind!r}")


def parse_decisions(data: Mapping[str, Any]) -> tuple[DecisionDay, ...]:
    """Decision days from the JSON document of ``resources/calendar/decisions.json``.

    Raises ValueError on a malformed document or a date both off and worked.
    """
    if data.get("version") != DECISIONS_SCHEMA_VERSION:
        raise ValueError(f"unsupported calendar decisions version {data.get('version')!r}")
    out: dict[dt.date, DecisionDay] = {}
    for entry in data["decisions"]:
        document = str(entry["document"]).strip()
        if entry.get("date") and len(str(entry["date"])) == 10:
            issued = dt.date.fromisoformat(entry["date"])
            document = f"{document} ngày {issued:%d/%m/%Y}"
        for item in entry["days"]:
            day = dt.date.fromisoformat(item["date"])
            new = DecisionDay(day, item["kind"], str(item["name"]).strip(), document, bool(entry["verified"]))
            old = out.get(day)
            if old is not None and old.kind != new.kind:
                raise ValueError(f"{day}: both day off and working day in the calendar decisions")
            out[day] = new
    return tuple(sorted(out.values(), key=lambda d: d.day))


@functools.cache
def shipped_decisions() -> tuple[DecisionDay, ...]:
    """The government decisions bundled with the program (see the data file's sources)."""
    package, name = DECISIONS_RESOURCE
    raw = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_decisions(json.loads(raw))


@dataclass(frozen=True)
class SpecialDay:
    """A day that differs from the plain Monday–Friday rule, or a named day off."""

    day: dt.date
    working: bool
    name: str
    source: DaySource
    reference: str  # document or override note


class WorkCalendar:
    """Working days and hours of one unit. Cheap to query; holiday years load lazily."""

    def __init__(
        self,
        days_off: Iterable[dt.date] | Mapping[dt.date, str] = (),
        workdays: Iterable[dt.date] = (),
        hours: WorkingHours | None = None,
        *,
        use_public_holidays: bool = True,
        decisions: Iterable[DecisionDay] | None = None,
    ) -> None:
        """``decisions`` None means the shipped ones (when public holidays are used)."""
        if isinstance(days_off, Mapping):
            self._days_off: dict[dt.date, str] = {
                _as_date(d): (name or UNIT_DAY_OFF_NAME) for d, name in days_off.items()
            }
        else:
            self._days_off = {_as_date(d): UNIT_DAY_OFF_NAME for d in days_off}
        self._workdays: frozenset[dt.date] = frozenset(_as_date(d) for d in workdays)
        clash = sorted(self._workdays & self._days_off.keys())
        if clash:
            raise ValueError(f"dates both day off and working day: {clash}")
        self.hours = hours or WorkingHours()
        self._use_public = use_public_holidays
        if decisions is None:
            decisions = shipped_decisions() if use_public_holidays else ()
        self._decisions: dict[dt.date, DecisionDay] = {}
        for dec in decisions:  # later entries (newer, from the server) win
            self._decisions[dec.day] = dec
        h = self.hours
        self.morning_start = parse_hhmm(h.morning_start)
        self.morning_end = parse_hhmm(h.morning_end)
        self.afternoon_start = parse_hhmm(h.afternoon_start)
        self.afternoon_end = parse_hhmm(h.afternoon_end)
        self.cutoff = parse_hhmm(h.same_day_cutoff)
        if not (self.morning_start <= self.morning_end <= self.afternoon_start <= self.afternoon_end):
            raise ValueError(f"working hours out of order: {h}")
        # year -> {date: holiday name} (public holidays only, package data)
        self._public: dict[int, dict[dt.date, str]] = {}
        # year -> frozenset of non-working dates (the hot-path structure)
        self._off: dict[int, frozenset[dt.date]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_overrides(
        cls, rows: Iterable[tuple[Any, ...]], hours: WorkingHours | None = None, **kwargs: Any
    ) -> WorkCalendar:
        """Build from store rows ``(date, kind)``, ``(date, kind, note)`` or ``(date, kind, note, source)``.

        ``kind`` is 'off' (extra day off) or 'work' (make-up working day); a date may
        appear more than once, the last row wins (rows come in edit order). A row whose
        source starts with ``decision:`` is a government decision from the central
        server: it joins the shipped decisions' layer, not the unit's.
        """
        off: dict[dt.date, str] = {}
        work: set[dt.date] = set()
        extra: list[DecisionDay] = []
        for row in rows:
            source = str(row[3]) if len(row) > 3 and row[3] else ""
            if source.startswith(DECISION_SOURCE_PREFIX):
                when = dt.date.fromisoformat(row[0]) if isinstance(row[0], str) else _as_date(row[0])
                document = source[len(DECISION_SOURCE_PREFIX) :].strip()
                name = str(row[2]).strip() if len(row) > 2 and row[2] else ""
                extra.append(DecisionDay(when, str(row[1]).strip().lower(), name or document, document))
                continue
            day = row[0]
            if isinstance(day, str):
                day = dt.date.fromisoformat(day)
            day = _as_date(day)
            kind = str(row[1]).strip().lower()
            note = str(row[2]).strip() if len(row) > 2 and row[2] else ""
            if kind == "off":
                work.discard(day)
                off[day] = note or UNIT_DAY_OFF_NAME
            elif kind == "work":
                off.pop(day, None)
                work.add(day)
            else:
                raise ValueError(f"unknown override kind {row[1]!r} (expected 'off' or 'work')")
        if extra:
            base = kwargs.pop("decisions", None)
            if base is None:
                base = shipped_decisions() if kwargs.get("use_public_holidays", True) else ()
            kwargs["decisions"] = (*base, *extra)
        return cls(days_off=off, workdays=work, hours=hours, **kwargs)

    # -- holiday data -------------------------------------------------------------

    def _load_year(self, year: int) -> frozenset[dt.date]:
        with self._lock:
            cached = self._off.get(year)
            if cached is not None:
                return cached
            public: dict[dt.date, str] = {}
            pkg_workdays: set[dt.date] = set()
            if self._use_public:
                import holidays  # lazy: the package is slowish to import

                hol = holidays.country_holidays("VN", years=year, language="vi")
                public = {d: str(name) for d, name in hol.items() if d.year == year}
                pkg_workdays = {d for d in getattr(hol, "weekend_workdays", ()) if d.year == year}
            off: set[dt.date] = set()
            day = dt.date(year, 1, 1)
            while day.year == year:
                decision = self._decisions.get(day)
                if day in self._workdays:
                    pass
                elif day in self._days_off:
                    off.add(day)
                elif decision is not None:
                    if decision.kind == "off":
                        off.add(day)
                elif day in public:
                    off.add(day)
                elif day.weekday() >= 5 and day not in pkg_workdays:
                    off.add(day)
                day += _ONE_DAY
            self._public[year] = public
            frozen = frozenset(off)
            self._off[year] = frozen
            return frozen

    # -- days -----------------------------------------------------------------------

    def is_working_day(self, d: dt.date) -> bool:
        """True when civil servants work on ``d`` (time limits count this day)."""
        if type(d) is not dt.date:
            d = _as_date(d)
        off = self._off.get(d.year)
        if off is None:
            off = self._load_year(d.year)
        return d not in off

    def holiday_name(self, d: dt.date) -> str | None:
        """Vietnamese name of the holiday or unit day off on ``d``; None otherwise.

        Plain weekends and days the unit turned into working days give None.
        """
        d = _as_date(d)
        if d in self._workdays:
            return None
        if d in self._days_off:
            return self._days_off[d]
        decision = self._decisions.get(d)
        if decision is not None:
            return decision.name if decision.kind == "off" else None
        if d.year not in self._public:
            self._load_year(d.year)
        return self._public[d.year].get(d)

    def next_working_day(self, d: dt.date) -> dt.date:
        """First working day strictly after ``d``."""
        d = _as_date(d)
        for _ in range(_MAX_SEARCH_DAYS):
            d += _ONE_DAY
            if self.is_working_day(d):
                return d
        raise ValueError("no working day within ten years: check the calendar's days off")

    def working_day_on_or_after(self, d: dt.date) -> dt.date:
        """``d`` itself if it is a working day, else the next working day."""
        d = _as_date(d)
        return d if self.is_working_day(d) else self.next_working_day(d)

    def previous_working_day(self, d: dt.date) -> dt.date:
        """Last working day strictly before ``d``."""
        d = _as_date(d)
        for _ in range(_MAX_SEARCH_DAYS):
            d -= _ONE_DAY
            if self.is_working_day(d):
                return d
        raise ValueError("no working day within ten years: check the calendar's days off")

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day after ``d`` (``d`` not counted); n < 0 goes backwards.

        n == 0 returns ``d`` unchanged, even when ``d`` is not a working day.
        """
        d = _as_date(d)
        step = self.next_working_day if n > 0 else self.previous_working_day
        for _ in range(abs(n)):
            d = step(d)
        return d

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days in the half-open interval (a, b]; negative when b < a.

        Additive and antisymmetric. Inverse of ``add_working_days``:
        ``working_days_between(d, add_working_days(d, n)) == n`` for n >= 0, and for
        n < 0 when ``d`` is a working day.
        """
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += _ONE_DAY
            if self.is_working_day(d):
                count += 1
        return count

    def non_working_days(self, year: int) -> list[tuple[dt.date, str]]:
        """Named days off of ``year``, sorted: public holidays and unit days off.

        Holidays on a weekend are listed too (their compensatory weekday carries its
        own entry), because the calendar view shows them; plain Saturdays/Sundays are
        not listed. Days the unit turned into working days are left out.
        """
        self._load_year(year)
        named = {d: n for d, n in self._public[year].items() if d not in self._workdays}
        for d, dec in self._decisions.items():
            if d.year != year or d in self._workdays:
                continue
            if dec.kind == "off":
                named[d] = dec.name
            else:
                named.pop(d, None)
        named.update({d: n for d, n in self._days_off.items() if d.year == year})
        return sorted(named.items())

    def day_source(self, d: dt.date) -> tuple[DaySource, str]:
        """Which layer decided whether ``d`` is worked, and its reference.

        The reference is the decision's document, the override's note, or for the
        law layer "Bộ luật Lao động 2019 (gói holidays X.Y)" or "Thứ Hai–Thứ Sáu".
        """
        d = _as_date(d)
        if d in self._workdays:
            return DaySource.UNIT, "Ngày làm việc bù của đơn vị"
        if d in self._days_off:
            return DaySource.UNIT, self._days_off[d]
        decision = self._decisions.get(d)
        if decision is not None:
            ref = decision.document + ("" if decision.verified else " (chưa xác minh đủ)")
            return DaySource.DECISION, ref
        return DaySource.LAW, f"Bộ luật Lao động 2019, Điều 112 (gói holidays {_holidays_version()})"

    def special_days(self, year: int) -> list[SpecialDay]:
        """Named days off and make-up working days of ``year`` with the layer that set them."""
        out = [SpecialDay(d, False, name, *self.day_source(d)) for d, name in self.non_working_days(year)]
        for d in self.make_up_workdays(year):
            decision = self._decisions.get(d)
            name = decision.name if decision is not None and decision.kind == "work" else "Ngày làm việc bù"
            out.append(SpecialDay(d, True, name, *self.day_source(d)))
        return sorted(out, key=lambda s: s.day)

    def make_up_workdays(self, year: int) -> list[dt.date]:
        """Weekend days of ``year`` that are working days (swapped Saturdays)."""
        off = self._load_year(year)
        day = dt.date(year, 1, 1)
        out = []
        while day.year == year:
            if day.weekday() >= 5 and day not in off:
                out.append(day)
            day += _ONE_DAY
        return out

    # -- hours ----------------------------------------------------------------------

    def is_reception_open(self, when: dt.datetime) -> bool:
        """True during working hours of a working day, or Saturday morning if enabled.

        Intervals are [start, end): the desk is closed at 11:30 and 17:00 sharp.
        """
        when = to_vn(when)
        day, t = when.date(), when.time().replace(tzinfo=None)
        morning = self.morning_start <= t < self.morning_end
        if self.is_working_day(day):
            return morning or self.afternoon_start <= t < self.afternoon_end
        if self.hours.saturday_morning and day.weekday() == 5 and morning:
            # Saturday-morning desk opens on ordinary Saturdays, not on holidays or
            # unit days off that fall on a Saturday.
            return self.holiday_name(day) is None
        return False

    def _clamp(self, t: dt.time) -> dt.time:
        if t < self.morning_start:
            return self.morning_start
        if self.morning_end <= t < self.afternoon_start:
            return self.afternoon_start
        if t > self.afternoon_end:
            return self.afternoon_end
        return t

    def _at(self, d: dt.date, t: dt.time) -> dt.datetime:
        return dt.datetime.combine(d, t, tzinfo=VN_TZ)

    def effective_receipt(self, received_at: dt.datetime) -> dt.datetime:
        """When the receipt counts: itself on a working day, else next working day at morning start."""
        received_at = to_vn(received_at)
        day = received_at.date()
        if self.is_working_day(day):
            return received_at
        return self._at(self.next_working_day(day), self.morning_start)

    def is_after_cutoff(self, received_at: dt.datetime) -> bool:
        """True when a same-day receipt rolls to the next working day (minute precision)."""
        received_at = to_vn(received_at)
        hhmm = received_at.time().replace(second=0, microsecond=0, tzinfo=None)
        return hhmm > self.cutoff

    def rolls_to_next_day(
        self, received_at: dt.datetime, time: ProcessingTime, cutoff: CutoffRule, return_today: bool
    ) -> bool:
        """True when a same-day request received after the cut-off is due the next working day."""
        if time.kind is not TimeKind.SAME_DAY or cutoff is CutoffRule.NONE:
            return False
        received_at = to_vn(received_at)
        if not self.is_working_day(received_at.date()) or not self.is_after_cutoff(received_at):
            return False  # a shifted receipt counts at morning start
        return not (cutoff is CutoffRule.CONDITIONAL and return_today)

    def due_at(
        self,
        received_at: dt.datetime,
        time: ProcessingTime,
        cutoff: CutoffRule = CutoffRule.HARD,
        *,
        return_today: bool = False,
    ) -> dt.datetime:
        """Deadline for returning the result; rules in the module docstring.

        ``return_today`` is the officer's choice for a CONDITIONAL procedure received
        after the cut-off ("trả ngay"); the other rules ignore it.
        """
        received_at = to_vn(received_at)
        eff = self.effective_receipt(received_at)
        shifted = eff.date() != received_at.date()
        day = eff.date()
        if time.kind is TimeKind.SAME_DAY:
            if self.rolls_to_next_day(received_at, time, cutoff, return_today):
                day = self.next_working_day(day)
            return self._at(day, self.afternoon_end)
        if time.days < 1:
            raise ValueError(f"processing time must be at least one working day: {time}")
        # Deadlines are printed to the minute: drop seconds so the receipt and the
        # stored deadline agree.
        own = received_at.time().replace(second=0, microsecond=0, tzinfo=None)
        t = self.morning_start if shifted else self._clamp(own)
        return self._at(self.add_working_days(day, time.days), t)

    def explain_due(
        self,
        received_at: dt.datetime,
        time: ProcessingTime,
        cutoff: CutoffRule = CutoffRule.HARD,
        *,
        return_today: bool = False,
    ) -> str:
        """Vietnamese explanation of ``due_at`` for the counter: the time limit, the
        cut-off, a non-working receipt day and each day off skipped before the due day."""
        received_at = to_vn(received_at)
        due = self.due_at(received_at, time, cutoff, return_today=return_today)
        notes = [f"Thời hạn: {time.label}, tính từ {received_at:%H:%M %d/%m/%Y}."]
        cut = f"{self.cutoff:%H:%M}"
        working_today = self.is_working_day(received_at.date())
        if time.kind is TimeKind.SAME_DAY and working_today and self.is_after_cutoff(received_at):
            if self.rolls_to_next_day(received_at, time, cutoff, return_today):
                notes.append(f"Tiếp nhận sau {cut}: hẹn trả vào ngày làm việc tiếp theo.")
            elif cutoff is CutoffRule.CONDITIONAL:
                notes.append(f"Tiếp nhận sau {cut} nhưng giải quyết được ngay: trả trong ngày.")
        if not working_today:
            notes.append("Hôm nay không phải ngày làm việc: thời hạn tính từ ngày làm việc tiếp theo.")
        skipped = []
        day = received_at.date() + _ONE_DAY
        while day < due.date():
            if not self.is_working_day(day):
                name = self.holiday_name(day)
                skipped.append(f"{WEEKDAYS_VI[day.weekday()]} {day:%d/%m}" + (f" ({name})" if name else ""))
            day += _ONE_DAY
        if skipped:
            notes.append("Không tính ngày nghỉ: " + ", ".join(skipped) + ".")
        return " ".join(notes)
