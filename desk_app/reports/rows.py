"""One period-independent report row per dossier, derived from ``facts.dossier_facts``.

Pure: no store, no Qt. ``facts.dossier_facts`` stays the one definition of the
rules; this module only *asks* it about one dossier at the moments where the
answer can change (each distinct event time, and inside a stretch without
events the moment its deadline passes) and records the answers:

* when the dossier was received, finished (resolved or dropped) and how
  (early / on time / late / dropped, judged at resolution);
* while it is open, from which moment it counts as overdue (``overdue_from``:
  overdue for ``as_of >= overdue_from``; ``None`` = never);
* the times of the events the period-only counters count (supplement
  requests, extensions, the refusal, the return by post): ``marks``;
* its final facts (deadline, appointment, supplement count, files, flags,
  conflicts) and the latest rating, for the dossiers without later events.

A row is exact for a judgement moment ``as_of`` (events ``< cut``, see
``cut_of``) in two cases, and the report falls back to reading the dossier's
events and running ``dossier_facts`` otherwise (few dossiers):

* every event is before the cut (``last_event_at < cut``): every field of
  ``DossierFacts`` (``facts_from_row``);
* the row is *regular* and the cut is after its first event: the fields a
  ``Tally`` counts, except digitisation when a file event of the kind that
  matters is after the cut. Regular means what happened before any cut is a
  prefix of what happened in all (events in HLC order have non-decreasing
  times), the resolution's outcome does not change afterwards, and once
  overdue the dossier stays overdue until it is finished. The SQL of
  ``desk_app.reports.query`` evaluates those rows for a period.

The row is computed with the default ``Rules``; a service with other rules
reads events as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.reports.facts import (
    DEFAULT_RULES,
    Cohort,
    DossierFacts,
    DossierRecord,
    Outcome,
    Rules,
    dossier_facts,
)
from desk_app.workcalendar import VN_TZ

FAR_PAST = dt.datetime(1900, 1, 1, tzinfo=VN_TZ)
FAR_FUTURE = dt.datetime(9000, 1, 1, tzinfo=VN_TZ)
TICK = dt.timedelta(microseconds=1)
# Dossiers carried into a period are found among those received in the LONG_LIVED
# before it, plus the few open or long-lived ones (an index of their own).
LONG_LIVED = dt.timedelta(days=30)  # datetimes and their ISO texts resolve microseconds

# Kinds the report reads (the store's read leaves notes out; ratings are read apart).
IGNORED_KINDS = frozenset({EventKind.NOTE, EventKind.RATED})
_COMPONENT_FILE = "component"

# Marks: the events that the period-only counters count.
MARK_SUPPLEMENT = "supplement"
MARK_EXTENSION = "extension"
MARK_REFUSAL = "refusal"
MARK_POST_RETURN = "post_return"
MARK_KINDS = (MARK_SUPPLEMENT, MARK_EXTENSION, MARK_REFUSAL, MARK_POST_RETURN)


@dataclass(frozen=True)
class ReportRow:
    dossier_id: str
    code: str
    field: str
    procedure_code: str
    officer: str
    channel: str
    competent_unit: str
    received_at: dt.datetime
    first_event_at: dt.datetime
    last_event_at: dt.datetime
    regular: bool
    finished_at: dt.datetime | None = None  # resolved or dropped
    finish: str = ""  # early | on_time | late | dropped
    resolved_at: dt.datetime | None = None
    dropped_at: dt.datetime | None = None
    overdue_from: dt.datetime | None = None  # while open: overdue for as_of >= this
    deadline: dt.datetime | None = None  # final (all events)
    appointment: dt.datetime | None = None
    paused_since: dt.datetime | None = None  # waiting for the citizen since (final)
    supplement_requests: int = 0
    over_limit_at: dt.datetime | None = None  # supplement requests exceeded the limit
    conflicts: int = 0
    flags: tuple[str, ...] = ()  # final flags while the dossier is in a report
    components_digitised: int = 0
    components_reused: int = 0
    result_digitised: bool = False
    result_signed: bool = False
    component_files_at: dt.datetime | None = None  # last file event that can change components
    result_files_at: dt.datetime | None = None  # last file event that can change the result
    rating: str | None = None  # latest rating level (RatingLevel value)
    marks: tuple[tuple[str, dt.datetime], ...] = ()  # (MARK_*, time), in time order

    @property
    def long_lived(self) -> bool:
        """Open, or finished more than ``LONG_LIVED`` after receipt (the carried-over index)."""
        return self.finished_at is None or self.finished_at - self.received_at > LONG_LIVED

    @property
    def settled(self) -> bool:
        """Regular, finished, and no file event after the day it finished: for every cut at or
        after the next midnight its tally contribution is fixed (the store's day roll-up)."""
        if not self.regular or self.finished_at is None:
            return False
        day = self.finished_at.astimezone(VN_TZ).date()
        return all(
            t is None or t.astimezone(VN_TZ).date() <= day
            for t in (self.component_files_at, self.result_files_at)
        )

    @property
    def exact_from(self) -> dt.datetime:
        """The earliest cut from which the SQL evaluation may use the row (see module doc)."""
        return self.first_event_at if self.regular else self.last_event_at


def cut_of(end: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``(as_of, cut)`` of a period: events counted are exactly those with ``at < cut``."""
    as_of = min(end, now)
    return as_of, (as_of + TICK if as_of < end else end)


def _facts_at(record: DossierRecord, at: dt.datetime, rules: Rules) -> DossierFacts:
    """The facts judged at ``at`` (events at or before it), counters since the beginning."""
    return dossier_facts(record, FAR_PAST, at + TICK, at, rules)


def report_row(record: DossierRecord, rules: Rules = DEFAULT_RULES) -> ReportRow | None:
    """The dossier's row; ``None`` when it has no event the report reads (never reported)."""
    rating = _rating(record.events)
    events = [e for e in record.events if e.kind not in IGNORED_KINDS]
    if not events:
        return None
    record = replace(record, events=tuple(events))
    ordered = sorted(events, key=lambda e: (e.hlc, e.id))
    times = sorted({e.at for e in events})
    first, last = times[0], times[-1]
    regular = ordered[0].kind is EventKind.RECEIVED and all(
        a.at <= b.at for a, b in zip(ordered, ordered[1:], strict=False)
    )

    probes = [_facts_at(record, t, rules) for t in times]
    final = probes[-1]
    marks: list[tuple[str, dt.datetime]] = []
    finished_at: dt.datetime | None = None
    finish = ""
    over_limit_at: dt.datetime | None = None
    previous: DossierFacts | None = None
    # Open stretches [t_i, t_i+1): where overdue starts inside each (None = not in it).
    stretches: list[tuple[dt.datetime, dt.datetime | None]] = []
    for i, (t, f) in enumerate(zip(times, probes, strict=True)):
        before = (0, 0, False, False) if previous is None else _counters(previous)
        supplements, extensions, refused, post = _counters(f)
        marks += [(MARK_SUPPLEMENT, t)] * (supplements - before[0])
        marks += [(MARK_EXTENSION, t)] * (extensions - before[1])
        if refused and not before[2]:
            marks.append((MARK_REFUSAL, t))
        if post and not before[3]:
            marks.append((MARK_POST_RETURN, t))
        if over_limit_at is None and "supplement_requests" in f.flags:
            over_limit_at = t
        previous = f
        if finished_at is not None:
            continue
        if f.outcome in (Outcome.EARLY, Outcome.ON_TIME, Outcome.LATE, Outcome.DROPPED):
            finished_at, finish = t, f.outcome.value
            continue
        if f.cohort is Cohort.NONE:
            continue  # before the RECEIVED event (irregular histories only)
        following = times[i + 1] if i + 1 < len(times) else FAR_FUTURE
        stretches.append((t, _overdue_in(record, t, following, f, rules)))

    overdue_from = None
    if stretches:
        overdue_points = [(start, point) for start, point in stretches if point is not None]
        if overdue_points:
            # Once overdue, every later open stretch must be overdue from its start.
            first_over = overdue_points[0]
            later = stretches[stretches.index(first_over) + 1 :]
            if any(point != start for start, point in later):
                regular = False
            overdue_from = first_over[1]
        if not regular:
            overdue_from = stretches[-1][1]  # valid from the last event on
    if finished_at is not None and final.outcome.value != finish:
        regular = False  # the resolution was judged again by a later event
    if not regular:
        # Out of order, a later event can undo a counted one (a supplement request after a
        # merged refusal is a conflict): the marks are those of the final fold.
        marks = _final_marks(record, times, rules)
    component_files_at, result_files_at = _file_times(events)
    return ReportRow(
        dossier_id=record.id,
        code=record.code,
        field=final.field,
        procedure_code=final.procedure_code,
        officer=final.officer,
        channel=final.channel,
        competent_unit=final.competent_unit,
        received_at=final.received_at,
        first_event_at=first,
        last_event_at=last,
        regular=regular,
        finished_at=finished_at,
        finish=finish,
        resolved_at=final.resolved_at,
        dropped_at=finished_at if finish == Outcome.DROPPED.value else None,
        overdue_from=overdue_from,
        deadline=final.deadline,
        appointment=final.appointment,
        paused_since=_paused_since(record, ordered, last, final, rules),
        supplement_requests=final.supplement_requests,
        over_limit_at=over_limit_at,
        conflicts=final.conflicts,
        flags=final.flags,
        components_digitised=final.components_digitised,
        components_reused=final.components_reused,
        result_digitised=final.result_digitised,
        result_signed=final.result_signed,
        component_files_at=component_files_at,
        result_files_at=result_files_at,
        rating=rating,
        marks=tuple(marks),
    )


def _final_marks(
    record: DossierRecord, times: Sequence[dt.datetime], rules: Rules
) -> list[tuple[str, dt.datetime]]:
    """The period counters' marks of the whole history, from ``dossier_facts`` over ``[t, ∞)``.

    With every event in the period's reach, a counter for ``[start, end)`` is its value over
    ``[start, ∞)``; the differences between successive times place each counted event.
    """
    suffix = [_counters(dossier_facts(record, t, FAR_FUTURE, FAR_FUTURE, rules)) for t in times]
    suffix.append((0, 0, False, False))
    marks: list[tuple[str, dt.datetime]] = []
    for t, here, after in zip(times, suffix, suffix[1:], strict=False):
        marks += [(MARK_SUPPLEMENT, t)] * (here[0] - after[0])
        marks += [(MARK_EXTENSION, t)] * (here[1] - after[1])
        if here[2] and not after[2]:
            marks.append((MARK_REFUSAL, t))
        if here[3] and not after[3]:
            marks.append((MARK_POST_RETURN, t))
    return marks


def _counters(f: DossierFacts) -> tuple[int, int, bool, bool]:
    return (
        f.supplement_requests_in_period,
        f.extensions_in_period,
        f.refused_in_period,
        f.returned_by_post_in_period,
    )


def _overdue_in(
    record: DossierRecord, start: dt.datetime, following: dt.datetime, at_start: DossierFacts, rules: Rules
) -> dt.datetime | None:
    """Where the open dossier turns overdue within ``[start, following)`` (no event there).

    Without an event the facts change only when the clock passes the deadline,
    so one more question to the rules, just after the deadline, settles it.
    """
    if at_start.outcome is Outcome.OVERDUE:
        return start
    if at_start.deadline is None:
        return None
    probe = max(at_start.deadline + TICK, start)
    if probe >= following:
        return None
    return probe if _facts_at(record, probe, rules).outcome is Outcome.OVERDUE else None


def _paused_since(
    record: DossierRecord,
    ordered: Sequence[DossierEvent],
    last: dt.datetime,
    final: DossierFacts,
    rules: Rules,
) -> dt.datetime | None:
    """When the open dossier started waiting for the citizen (final), else ``None``.

    Read off the rules: a paused dossier's effective deadline moves with the
    clock, so it is in time far in the future iff it was in time at ``last``.
    """
    if not final.in_progress or final.deadline is None:
        return None
    later = _facts_at(record, FAR_FUTURE, rules)
    if later.outcome is not Outcome.IN_TIME:
        return None
    pauses = (EventKind.SUPPLEMENT_REQUESTED, EventKind.FEES_REQUESTED)
    return max((e.at for e in ordered if e.kind in pauses), default=None) or last


def _file_times(events: Iterable[DossierEvent]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Last file events that can change the components' and the result's digitisation."""
    roles: dict[str, str] = {}
    for e in events:
        if e.kind is EventKind.ATTACHED:
            roles[str(e.payload.get("attachment_id", e.id))] = str(e.payload.get("role", _COMPONENT_FILE))
    component: dt.datetime | None = None
    result: dt.datetime | None = None
    for e in events:
        if e.kind is EventKind.ATTACHED:
            role = str(e.payload.get("role", _COMPONENT_FILE))
            is_component, is_result = role == _COMPONENT_FILE, role != _COMPONENT_FILE
        elif e.kind is EventKind.RESULT_SIGNED:
            is_component, is_result = False, True
        elif e.kind is EventKind.DETACHED:
            role = roles.get(str(e.payload.get("attachment_id")), "")
            # A detach whose attachment is unknown (or a signed result) may touch either.
            is_component = role in ("", _COMPONENT_FILE)
            is_result = role != _COMPONENT_FILE
        else:
            continue
        if is_component:
            component = e.at if component is None else max(component, e.at)
        if is_result:
            result = e.at if result is None else max(result, e.at)
    return component, result


def _rating(events: Iterable[DossierEvent]) -> str | None:
    """The latest rating's level (by HLC), as the station's 5.4 figure counts it."""
    rated = [e for e in events if e.kind is EventKind.RATED]
    if not rated:
        return None
    latest = max(rated, key=lambda e: e.hlc)
    return str(latest.payload.get("level") or "")  # "" = rated, level unreadable


def facts_from_row(
    row: ReportRow, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> DossierFacts | None:
    """``dossier_facts`` of the dossier for ``[start, end)``, or ``None`` when the row cannot say.

    The row says when every event of the dossier is before the cut: then every
    field is the final one and only the cohort, the outcome of an open dossier
    and the period counters depend on the period.
    """
    as_of, cut = cut_of(end, now)
    if row.last_event_at >= cut:
        return None
    finished = row.finished_at  # < cut, like every event
    if start <= row.received_at < end:
        cohort = Cohort.NEW
    elif row.received_at < start and (finished is None or finished >= start):
        cohort = Cohort.CARRIED
    else:
        cohort = Cohort.NONE
    outcome = Outcome.NONE
    flags: tuple[str, ...] = ()
    if cohort is not Cohort.NONE:
        flags = row.flags
        if finished is not None:
            outcome = Outcome(row.finish)
        elif row.overdue_from is not None and as_of >= row.overdue_from:
            outcome = Outcome.OVERDUE
        else:
            outcome = Outcome.IN_TIME
    in_period = [kind for kind, at in row.marks if at >= start]
    return DossierFacts(
        id=row.dossier_id,
        code=row.code,
        field=row.field,
        procedure_code=row.procedure_code,
        officer=row.officer,
        channel=row.channel,
        competent_unit=row.competent_unit,
        received_at=row.received_at,
        cohort=cohort,
        outcome=outcome,
        resolved_at=row.resolved_at,
        deadline=row.deadline,
        appointment=row.appointment,
        supplement_requests=row.supplement_requests,
        supplement_requests_in_period=in_period.count(MARK_SUPPLEMENT),
        refused_in_period=MARK_REFUSAL in in_period,
        extensions_in_period=in_period.count(MARK_EXTENSION),
        returned_by_post_in_period=MARK_POST_RETURN in in_period,
        conflicts=row.conflicts,
        flags=flags,
        components_digitised=row.components_digitised,
        components_reused=row.components_reused,
        result_digitised=row.result_digitised,
        result_signed=row.result_signed,
    )
