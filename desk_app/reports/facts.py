"""Per-dossier facts for a reporting period, computed from the dossier's events.

Pure: no database, no Qt. The desk reads records through
``desk_app.reports.query``; the central server can build the same
``DossierRecord`` from its copy of the events and get the same numbers.

How a dossier is counted for a period ``[start, end)`` judged at
``as_of = min(end, now)`` (events after ``as_of`` are ignored, so a report
for a past month does not change when a dossier is resolved later):

* **Cohort** (Thông tư 01/2020/TT-VPCP report, "số hồ sơ nhận giải quyết"):
  *new* when received in the period; *carried over* ("kỳ trước chuyển qua")
  when received earlier and neither resolved nor dropped before ``start``.
* **Resolved** = the end of processing: the result is ready
  (``result_ready``) or the unit refused the dossier (``refused``), at the time
  of that event. Early / on time / late compare that time with the deadline:
  early = on a calendar day before the deadline's day, on time = on the
  deadline's day at or before the deadline, late = after it (the control
  sheet's "Trước hạn / Đúng hạn / Quá hạn").
* **Deadline** = the appointment on the receipt, with the citizen's time
  excluded: while a supplement (``supplement_requested`` → ``supplemented``)
  or the payment of fees (``fees_requested`` → ``fees_paid``) is awaited the
  clock stops. When the resuming event carries a new ``due_at`` (the desk
  restarts the legal time from the complete dossier) that is the deadline;
  otherwise the deadline moves by the time waited. An apology and extension
  (Mẫu 04, ``extended``) does *not* move the deadline used for timeliness:
  a dossier resolved after its original deadline is late even with a new
  appointment ("every late dossier must be visible as such"); set
  ``Rules.extension_excuses_delay`` to count against the new appointment.
* **More than one supplement request** makes the dossier late (resolved) or
  overdue (in progress) whatever the dates (Quyết định 766/QĐ-TTg, 2.1).
* **In progress** at ``as_of``: *within time* or *overdue* against the
  deadline; a dossier waiting for the citizen is never overdue by the clock
  (the wait is the citizen's time).
* **Dropped**: withdrawn by the citizen or stopped before being resolved;
  counted apart so that new + carried over = resolved + in progress + dropped.
* Events invalid after a sync merge (conflicts of the lifecycle fold) are
  skipped exactly as the fold skips them.
* **Digitisation** (766, 4.2; ``desk_app.attachments.model.digitisation``):
  the files attached up to ``as_of`` and not detached again: components with
  a file, of them the ones reused from an earlier digitised paper, whether the
  result exists as a file and whether as a signed e-result.
* Routing (phi địa giới): ``competent_unit`` is the unit that resolves the
  dossier (``target_unit_code`` when set, else the receiving unit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from desk_app.attachments.model import digitisation
from desk_app.domain.errors import InvalidTransition
from desk_app.domain.lifecycle import DossierEvent, DossierState, EventKind, apply
from desk_app.domain.model import Channel, ReturnMethod


class Cohort(StrEnum):
    NEW = "new"
    CARRIED = "carried"
    NONE = ""  # not part of the period's report (resolved before, or received after)


class Outcome(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    IN_TIME = "in_time"
    OVERDUE = "overdue"
    DROPPED = "dropped"
    NONE = ""


RESOLVED_OUTCOMES = frozenset({Outcome.EARLY, Outcome.ON_TIME, Outcome.LATE})
IN_PROGRESS_OUTCOMES = frozenset({Outcome.IN_TIME, Outcome.OVERDUE})

_PAUSE = {EventKind.SUPPLEMENT_REQUESTED, EventKind.FEES_REQUESTED}
_RESUME = {EventKind.SUPPLEMENTED, EventKind.FEES_PAID}
_RESOLVE = {EventKind.RESULT_READY, EventKind.REFUSED}
_DROP = {EventKind.WITHDRAWN, EventKind.STOPPED}
_FILES = {EventKind.ATTACHED, EventKind.DETACHED, EventKind.RESULT_SIGNED}
_NO_FILES = digitisation(())


@dataclass(frozen=True)
class Rules:
    """Choices a province may make differently; the defaults follow the text above."""

    extension_excuses_delay: bool = False
    max_supplement_requests: int = 1


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class DossierRecord:
    """What the rules need of one dossier: a few received facts and its events."""

    id: str
    code: str
    field: str
    procedure_code: str
    officer: str
    channel: str  # a ``Channel`` value
    received_at: dt.datetime
    due_at: dt.datetime | None = None  # fallback when the received event carries none
    unit_code: str = ""
    target_unit_code: str = ""
    events: Sequence[DossierEvent] = ()


@dataclass(frozen=True)
class DossierFacts:
    id: str
    code: str
    field: str
    procedure_code: str
    officer: str
    channel: str
    competent_unit: str
    received_at: dt.datetime
    cohort: Cohort
    outcome: Outcome
    resolved_at: dt.datetime | None = None
    deadline: dt.datetime | None = None  # for timeliness, citizen's time excluded
    appointment: dt.datetime | None = None  # current appointment (after extensions)
    supplement_requests: int = 0  # up to as_of
    supplement_requests_in_period: int = 0
    refused_in_period: bool = False
    extensions_in_period: int = 0
    returned_by_post_in_period: bool = False
    conflicts: int = 0
    flags: tuple[str, ...] = ()
    components_digitised: int = 0  # components with a file (as_of)
    components_reused: int = 0  # of them, attached by reusing an earlier digitised paper
    result_digitised: bool = False  # the result exists as a file
    result_signed: bool = False  # ... as a signed electronic result

    @property
    def digitised(self) -> bool:
        """Components and result both carry files (766, 4.2)."""
        return self.components_digitised > 0 and self.result_digitised

    @property
    def in_report(self) -> bool:
        return self.cohort is not Cohort.NONE

    @property
    def resolved(self) -> bool:
        return self.outcome in RESOLVED_OUTCOMES

    @property
    def in_progress(self) -> bool:
        return self.outcome in IN_PROGRESS_OUTCOMES


def _time(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _order(event: DossierEvent) -> tuple[str, str]:
    return (event.hlc, event.id)  # the fold's order


def classify_done(done_at: dt.datetime, deadline: dt.datetime | None) -> Outcome:
    """Early / on time / late of a finished dossier (no deadline known: on time)."""
    if deadline is None:
        return Outcome.ON_TIME
    if done_at.date() < deadline.date():
        return Outcome.EARLY
    if done_at <= deadline:
        return Outcome.ON_TIME
    return Outcome.LATE


def dossier_facts(
    record: DossierRecord,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    rules: Rules = DEFAULT_RULES,
) -> DossierFacts:
    """Facts of one dossier for the period ``[start, end)`` judged at ``min(end, now)``."""
    as_of = min(end, now)
    events = sorted((e for e in record.events if e.at < end and e.at <= as_of), key=_order)
    state = DossierState()
    conflicts = 0

    deadline: dt.datetime | None = record.due_at
    appointment: dt.datetime | None = record.due_at
    paused_at: dt.datetime | None = None
    requests = requests_in_period = extensions_in_period = 0
    refused_in_period = returned_by_post = False
    resolved_at: dt.datetime | None = None
    requests_at_resolution = 0
    dropped_at: dt.datetime | None = None
    received_at = record.received_at
    file_events: list[DossierEvent] = []
    for event in events:
        # The fold's own loop (same order, same ``apply``): an event invalid after a
        # merge is skipped and counted, never dropped silently.
        try:
            apply(state, event)
        except InvalidTransition:
            conflicts += 1
            continue
        kind, at, payload = event.kind, event.at, event.payload
        in_period = start <= at
        if kind in _FILES:
            file_events.append(event)
        elif kind is EventKind.RECEIVED:
            received_at = at
            deadline = appointment = _time(payload.get("due_at")) or record.due_at
        elif kind in _PAUSE:
            paused_at = at
            if kind is EventKind.SUPPLEMENT_REQUESTED:
                requests += 1
                requests_in_period += in_period
        elif kind in _RESUME:
            new_due = _time(payload.get("due_at"))
            if new_due is not None:
                deadline = appointment = new_due
            elif deadline is not None and paused_at is not None:
                deadline += at - paused_at
                appointment = deadline if appointment is None else appointment + (at - paused_at)
            paused_at = None
        elif kind is EventKind.EXTENDED:
            appointment = _time(payload.get("due_at")) or appointment
            if rules.extension_excuses_delay:
                deadline = appointment
            extensions_in_period += in_period
        elif kind in _RESOLVE and resolved_at is None and dropped_at is None:
            resolved_at = at
            requests_at_resolution = requests
            if kind is EventKind.REFUSED:
                refused_in_period = refused_in_period or in_period
        elif kind in _DROP and resolved_at is None and dropped_at is None:
            dropped_at = at
        elif kind is EventKind.RETURNED and in_period:
            returned_by_post = returned_by_post or payload.get("method") == ReturnMethod.POST.value

    finished_at = resolved_at or dropped_at
    if start <= received_at < end:
        cohort = Cohort.NEW
    elif received_at < start and (finished_at is None or finished_at >= start):
        cohort = Cohort.CARRIED
    else:
        cohort = Cohort.NONE

    outcome = Outcome.NONE
    flags: list[str] = []
    if cohort is not Cohort.NONE:
        if resolved_at is not None:
            outcome = classify_done(resolved_at, deadline)
            if requests_at_resolution > rules.max_supplement_requests:
                outcome = Outcome.LATE
                flags.append("supplement_requests")
        elif dropped_at is not None:
            outcome = Outcome.DROPPED
        else:
            effective = deadline
            if effective is not None and paused_at is not None:
                effective += as_of - paused_at  # the citizen's time is not the unit's delay
            overdue = effective is not None and as_of > effective
            if requests > rules.max_supplement_requests:
                overdue = True
                flags.append("supplement_requests")
            outcome = Outcome.OVERDUE if overdue else Outcome.IN_TIME
    files = digitisation(file_events) if file_events else _NO_FILES

    return DossierFacts(
        id=record.id,
        code=record.code,
        field=record.field,
        procedure_code=record.procedure_code,
        officer=record.officer,
        channel=record.channel or Channel.DESK.value,
        competent_unit=record.target_unit_code or record.unit_code,
        received_at=received_at,
        cohort=cohort,
        outcome=outcome,
        resolved_at=resolved_at,
        deadline=deadline,
        appointment=appointment,
        supplement_requests=requests,
        supplement_requests_in_period=requests_in_period,
        refused_in_period=refused_in_period,
        extensions_in_period=extensions_in_period,
        returned_by_post_in_period=returned_by_post,
        conflicts=conflicts,
        flags=tuple(flags),
        components_digitised=len(files.components),
        components_reused=len(files.reused_components),
        result_digitised=files.result_digitised,
        result_signed=files.result_signed,
    )


def period_facts(
    records: Sequence[DossierRecord],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    rules: Rules = DEFAULT_RULES,
) -> list[DossierFacts]:
    return [dossier_facts(r, start, end, now, rules) for r in records]
