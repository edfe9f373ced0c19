"""Report rows and daily roll-ups kept up to date as changes arrive (the dashboard's fast path).

Every number of a period's ``Tally`` is a function of the dossiers' timelines. A
dossier's *timeline* is made of **steps**: at a moment ``at`` some counters of
the dossier change by a small integer (``COLUMNS``). Steps are never computed by
rules of their own: ``timeline`` probes ``desk_app.reports.facts.dossier_facts``
(the one definition shared with the desk) at each event time and between events
where the clock alone can make the dossier overdue, and records how its facts
change. The steps of all dossiers, summed per (grain, bucket, competent unit,
field, channel), are the **roll-ups**: daily (``d``), monthly (``m``) and yearly
(``y``) buckets of Vietnam-time calendar days.

Columns of a step (see ``COLUMNS``):

* *levels* (states): ``n_open`` (received, not resolved or dropped), ``n_overdue``,
  ``comp_open``/``reused_open`` and ``rated_open``/``dissat_open`` (the same values
  restricted to open dossiers). A state at a moment = the sum of its steps before it.
* *flows*: received per channel, the finish outcome and digitisation at the
  finish (early, on time, late, dropped; digitised, result file, signed result),
  component files counted while open, and the activity counters (supplement
  requests, refusals, extensions, returns by post).

A period ``[start, end)`` judged at ``as_of = min(end, now)`` is then:
carried over = open at ``start``; new = received flows in the period; resolved
and dropped = finish flows up to ``as_of``; in progress / overdue = open / overdue
at ``as_of`` (= at ``start`` + the flows of those level columns up to ``as_of``).
An event step counts for ``as_of`` when ``at <= as_of`` (events after ``as_of``
are ignored) except at a period's end, where ``at < end``; a clock step ("became
overdue at ``τ``": overdue when ``as_of > τ``) is *strict*. Buckets are whole
days, so a past period reads only roll-ups; a running period adds the steps of
today up to ``now`` (``report_steps``, indexed by time).

What cannot be a step of one time: a change of a *finished* dossier's values
(a result file attached, a classification changed) counts only for periods in
which the dossier finished. Those are **fixes** (``report_fixes``: the finish
time and the change time; few) added when the period contains both. Dossiers
whose history does not fit the model (events whose times go backwards in the
fold's order, a receipt that is not the first event, two returns by post, a
probe that contradicts the model) are **irregular**: kept out of the roll-ups
and computed exactly from their events per request (``report_dossiers.irregular``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, text

from central.models import REPORT_COUNTERS
from desk_app.domain import wire
from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.domain.model import Channel, ReturnMethod
from desk_app.reports.facts import (
    RESOLVED_OUTCOMES,
    Cohort,
    DossierFacts,
    DossierRecord,
    Outcome,
    dossier_facts,
)
from desk_app.workcalendar import VN_TZ

log = logging.getLogger("central.rollups")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ORIGIN = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)  # start of every "since the beginning" sum
FAR = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
IRREGULAR = 1  # report_dossiers.irregular: computed exactly from the events per request
DAMAGED = 2  # ... its events cannot be read by the rules: left out (logged on refresh)
FIRST_DAY = dt.date(1900, 1, 1)

COLUMNS: tuple[str, ...] = REPORT_COUNTERS  # the counters of a step, a fix, a roll-up row
IX = {name: i for i, name in enumerate(COLUMNS)}
WIDTH = len(COLUMNS)
ZERO: tuple[int, ...] = (0,) * WIDTH
# Flows that count over the whole period whatever ``now`` (a dossier received in the
# period is "new" even when its receipt is stamped after ``now``).
RECEIVED_COLUMNS = ("rcv_online", "rcv_direct", "rcv_post", "rated_rcv", "dissat_rcv")
STATE_COLUMNS = ("n_open", "n_overdue", "comp_open", "reused_open", "rated_open", "dissat_open")
_OUTCOME_COLUMN = {
    Outcome.EARLY: "early",
    Outcome.ON_TIME: "on_time",
    Outcome.LATE: "late",
    Outcome.DROPPED: "dropped",
}
_FINISHED = RESOLVED_OUTCOMES | {Outcome.DROPPED}
# Columns a fix may change (values of a finished dossier).
FIX_COLUMNS = (
    "early",
    "on_time",
    "late",
    "dropped",
    "digitised",
    "results_digitised",
    "results_signed",
    "comp",
    "reused",
)


def us(t: dt.datetime) -> int:
    """Microseconds since 1970 (exact integer arithmetic, comparable across time zones)."""
    return (t - EPOCH) // US


def from_us(value: int) -> dt.datetime:
    return (EPOCH + dt.timedelta(microseconds=value)).astimezone(VN_TZ)


def day_of(t: dt.datetime) -> dt.date:
    return t.astimezone(VN_TZ).date()


def day_start(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(0), tzinfo=VN_TZ)


# ---------------------------------------------------------------- timelines
@dataclass(frozen=True)
class Step:
    at: dt.datetime
    strict: bool  # counts when as_of > at (a clock step), else when as_of >= at
    values: tuple[int, ...]


@dataclass(frozen=True)
class Fix:
    finished_at: dt.datetime
    at: dt.datetime
    values: tuple[int, ...]


@dataclass
class Timeline:
    steps: list[Step] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    finished_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    deadline: dt.datetime | None = None  # after the last event
    overdue_after: dt.datetime | None = None  # after the last event: overdue when now > this


def _probe_at(record: DossierRecord, t: dt.datetime) -> DossierFacts:
    """Facts judged at ``t`` with the events up to and including ``t``."""
    return dossier_facts(record, ORIGIN, t + US, t)


def _probe_before(record: DossierRecord, t: dt.datetime) -> DossierFacts:
    """Facts judged at ``t`` with the events strictly before ``t`` (a period ending at ``t``)."""
    return dossier_facts(record, ORIGIN, t, FAR)


def _finish_values(f: DossierFacts) -> tuple[int, ...]:
    """(early, on_time, late, dropped, digitised, results_digitised, results_signed, comp, reused)."""
    outcome = f.outcome
    one_hot = [int(_OUTCOME_COLUMN.get(outcome) == name) for name in ("early", "on_time", "late", "dropped")]
    resolved = outcome in RESOLVED_OUTCOMES
    return (
        *one_hot,
        int(resolved and f.digitised),
        int(resolved and f.result_digitised),
        int(resolved and f.result_signed),
        f.components_digitised,
        f.components_reused,
    )


def _level(f: DossierFacts, frozen: tuple[int, ...] | None, rating: tuple[int, int]) -> list[int]:
    v = [0] * WIDTH
    channel = f.channel
    v[
        IX[
            "rcv_online"
            if channel == Channel.ONLINE.value
            else "rcv_post"
            if channel == Channel.POST.value
            else "rcv_direct"
        ]
    ] = 1
    finished = f.outcome in _FINISHED
    open_ = int(not finished)
    v[IX["n_open"]] = open_
    v[IX["n_overdue"]] = int(f.outcome is Outcome.OVERDUE)
    values = (
        frozen if frozen is not None else (0, 0, 0, 0, 0, 0, 0, f.components_digitised, f.components_reused)
    )
    for name, value in zip(FIX_COLUMNS, values, strict=True):
        v[IX[name]] = value
    v[IX["comp_open"]] = f.components_digitised * open_
    v[IX["reused_open"]] = f.components_reused * open_
    v[IX["supplement_requests"]] = f.supplement_requests_in_period
    v[IX["refusals"]] = int(f.refused_in_period)
    v[IX["extensions"]] = f.extensions_in_period
    v[IX["returned_by_post"]] = int(f.returned_by_post_in_period)
    v[IX["rated_rcv"]], v[IX["dissat_rcv"]] = rating
    v[IX["rated_open"]], v[IX["dissat_open"]] = rating[0] * open_, rating[1] * open_
    return v


def _diff(new: Sequence[int], old: Sequence[int]) -> tuple[int, ...]:
    return tuple(a - b for a, b in zip(new, old, strict=True))


def timeline(record: DossierRecord, rating: tuple[int, int] = (0, 0)) -> Timeline | None:
    """The dossier's steps, from probes of ``dossier_facts``; ``None`` when it is irregular."""
    events = sorted(record.events, key=lambda e: (e.hlc, e.id))
    if not events or events[0].kind is not EventKind.RECEIVED or events[0].at != record.received_at:
        return None
    first_due = events[0].payload.get("due_at")
    if first_due and record.due_at is not None and dt.datetime.fromisoformat(str(first_due)) != record.due_at:
        return None
    if any(a.at > b.at for a, b in zip(events, events[1:], strict=False)):
        return None  # the fold's order and time disagree: the state at a moment is no prefix
    post = ReturnMethod.POST.value
    if sum(1 for e in events if e.kind is EventKind.RETURNED and e.payload.get("method") == post) > 1:
        return None  # "returned by post in the period" is a yes/no per dossier, not a count
    times = sorted({e.at for e in events})
    out = Timeline(last_event_at=times[-1])
    prev: list[int] = [0] * WIDTH
    frozen: tuple[int, ...] | None = None
    actual: tuple[int, ...] | None = None
    for i, t in enumerate(times):
        f = _probe_at(record, t)
        if f.cohort is not Cohort.NEW:
            return None
        finished = f.outcome in _FINISHED
        if frozen is None and finished:
            frozen = actual = _finish_values(f)
            out.finished_at = t
        elif frozen is not None:
            if not finished:
                return None
            now_values = _finish_values(f)
            assert actual is not None and out.finished_at is not None
            if now_values != actual:
                fix = [0] * WIDTH
                for name, d in zip(FIX_COLUMNS, _diff(now_values, actual), strict=True):
                    fix[IX[name]] = d
                out.fixes.append(Fix(out.finished_at, t, tuple(fix)))
                actual = now_values
        level = _level(f, frozen, rating)
        step = _diff(level, prev)
        if any(step):
            out.steps.append(Step(t, False, step))
        prev = level
        out.deadline = f.deadline
        out.overdue_after = t - US if f.outcome is Outcome.OVERDUE else None
        # Between events only the clock moves: an open dossier becomes overdue at its
        # deadline unless the clock is stopped (waiting for the citizen).
        nxt = times[i + 1] if i + 1 < len(times) else FAR
        deadline = f.deadline
        if f.outcome is Outcome.IN_TIME and deadline is not None and t <= deadline < nxt:
            if _probe_at(record, deadline).outcome is not Outcome.IN_TIME:
                return None
            after = _probe_before(record, deadline + US)
            if after.outcome is Outcome.OVERDUE:
                level = list(prev)
                level[IX["n_overdue"]] = 1
                out.steps.append(Step(deadline, True, _diff(level, prev)))
                prev = level
                out.overdue_after = deadline
            elif after.outcome is not Outcome.IN_TIME:
                return None
    return out


# ---------------------------------------------------------------- reading events
@dataclass
class DossierEvents:
    head: dict[str, Any]
    head_seq: int
    events: list[DossierEvent]


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


_EVENTS_OF = text(
    "SELECT seq, dossier_id, payload FROM changes WHERE kind = 'event' AND dossier_id IN :ids ORDER BY seq"
).bindparams(bindparam("ids", expanding=True))


def read_events(conn: Connection, dossier_ids: Sequence[str]) -> dict[str, DossierEvents]:
    """Every stored event of the dossiers, in arrival order; dossiers without a receipt are left out."""
    out: dict[str, DossierEvents] = {}
    for chunk in _chunks(list(dossier_ids)):
        for seq, dossier_id, payload in conn.execute(_EVENTS_OF, {"ids": chunk}):
            add_event(out, seq, dossier_id, payload)
    return {k: v for k, v in out.items() if v.head}


def add_event(out: dict[str, DossierEvents], seq: int, dossier_id: str, payload: str) -> None:
    try:  # rows stored before the wire schema checked every push may be damaged
        ev = wire.decode_event(json.loads(payload))
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("damaged event skipped", extra={"dossier": dossier_id, "error": type(exc).__name__})
        return
    d = out.setdefault(dossier_id, DossierEvents({}, 0, []))
    if ev.kind is EventKind.RECEIVED and not d.head:
        snap = ev.payload.get("dossier")
        d.head = dict(snap) if isinstance(snap, dict) else {}
        d.head_seq = int(seq)
    d.events.append(ev)


def _time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def record_of(dossier_id: str, d: DossierEvents) -> DossierRecord:
    h = d.head
    received = _time(h.get("received_at")) or min(e.at for e in d.events)
    return DossierRecord(
        id=dossier_id,
        code=str(h.get("code", "")),
        field=str(h.get("field", "")),
        procedure_code=str(h.get("procedure_code", "")),
        officer=str(h.get("officer", "")),
        channel=str(h.get("channel", "")),
        received_at=received,
        due_at=_time(h.get("due_at")),
        unit_code=str(h.get("unit_code", "")),
        target_unit_code=str(h.get("target_unit_code", "")),
        events=tuple(e for e in d.events if e.kind not in (EventKind.NOTE, EventKind.RATED)),
    )


def rating_of(d: DossierEvents) -> tuple[int, int]:
    """(rated, dissatisfied) of the citizen's latest rating (any time, as the 5.4 count reads it)."""
    latest: tuple[str, object] | None = None
    for e in d.events:
        if e.kind is EventKind.RATED and (latest is None or e.hlc > latest[0]):
            latest = (e.hlc, e.payload.get("level"))
    if latest is None:
        return (0, 0)
    return (1, int(latest[1] == "khong_hai_long"))


# ---------------------------------------------------------------- maintenance
_STEP_COLS = ", ".join(COLUMNS)
_INSERT_STEP = text(
    f"INSERT INTO report_steps (dossier_id, n, at_us, strict, unit, field, channel, {_STEP_COLS}) "
    f"VALUES (:dossier_id, :n, :at_us, :strict, :unit, :field, :channel, "
    + ", ".join(f":{c}" for c in COLUMNS)
    + ")"
)
_INSERT_FIX = text(
    f"INSERT INTO report_fixes (dossier_id, n, finished_us, at_us, unit, field, channel, {_STEP_COLS}) "
    f"VALUES (:dossier_id, :n, :finished_us, :at_us, :unit, :field, :channel, "
    + ", ".join(f":{c}" for c in COLUMNS)
    + ")"
)
_UPSERT_ROLLUP = text(
    f"INSERT INTO report_rollups (scope, grain, bucket, unit, field, channel, {_STEP_COLS}) "
    "VALUES (:scope, :grain, :bucket, :unit, :field, :channel, "
    + ", ".join(f":{c}" for c in COLUMNS)
    + ") ON CONFLICT (scope, grain, bucket, unit, field, channel) DO UPDATE SET "
    + ", ".join(f"{c} = report_rollups.{c} + excluded.{c}" for c in COLUMNS)
)
_REPORT_ROW_COLS = (
    "dossier_id",
    "code",
    "unit",
    "receiving_unit",
    "field",
    "channel",
    "procedure_code",
    "procedure_name",
    "applicant_name",
    "head_seq",
    "received_us",
    "due_us",
    "finished_us",
    "last_event_us",
    "deadline_us",
    "overdue_after_us",
    "irregular",
)
_UPSERT_REPORT_ROW = text(
    f"INSERT INTO report_dossiers ({', '.join(_REPORT_ROW_COLS)}) VALUES ("
    + ", ".join(f":{c}" for c in _REPORT_ROW_COLS)
    + ") ON CONFLICT (dossier_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _REPORT_ROW_COLS[1:])
)
_VN_OFFSET_US = 7 * 3600 * 1_000_000
_DAY_US = 86_400 * 1_000_000
_EPOCH_DAY = dt.date(1970, 1, 1)
_TEXT_COLUMNS = frozenset(
    {
        "dossier_id",
        "code",
        "unit",
        "receiving_unit",
        "field",
        "channel",
        "procedure_code",
        "procedure_name",
        "applicant_name",
        "scope",
        "grain",
        "bucket",
    }
)


@dataclass(frozen=True)
class _PgMany:
    """One statement over arrays (``unnest``): no per-row round trip or placeholder on PostgreSQL."""

    sql: str
    columns: tuple[str, ...]


def _pg_statement(table: str, columns: Sequence[str], conflict: str = "") -> _PgMany:
    arrays = ", ".join("%b::text[]" if c in _TEXT_COLUMNS else "%b::bigint[]" for c in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {conflict}"
    return _PgMany(sql, tuple(columns))


def _pg_many(conn: Connection, statement: _PgMany, rows: Sequence[Mapping[str, Any]]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        params = tuple([r[c] for r in rows] for c in statement.columns)
        cursor.execute(statement.sql, params, binary=True)  # type: ignore[call-arg]  # psycopg 3 option
    finally:
        cursor.close()


_STEP_KEYS = ("dossier_id", "n", "at_us", "strict", "unit", "field", "channel", *COLUMNS)
_PG_INSERT_STEP = _pg_statement("report_steps", _STEP_KEYS)
_PG_INSERT_FIX = _pg_statement(
    "report_fixes", ("dossier_id", "n", "finished_us", "at_us", "unit", "field", "channel", *COLUMNS)
)
_ROLLUP_KEYS = ("scope", "grain", "bucket", "unit", "field", "channel")
_PG_UPSERT_ROLLUP = _pg_statement(
    "report_rollups",
    (*_ROLLUP_KEYS, *COLUMNS),
    f"ON CONFLICT ({', '.join(_ROLLUP_KEYS)}) DO UPDATE SET "
    + ", ".join(f"{c} = report_rollups.{c} + excluded.{c}" for c in COLUMNS),
)
_PG_UPSERT_REPORT_ROW = _pg_statement(
    "report_dossiers",
    _REPORT_ROW_COLS,
    "ON CONFLICT (dossier_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _REPORT_ROW_COLS[1:]),
)
_OLD_STEPS = text(
    f"SELECT dossier_id, at_us, unit, field, channel, {_STEP_COLS} FROM report_steps WHERE dossier_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_DELETE_STEPS = text("DELETE FROM report_steps WHERE dossier_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_DELETE_FIXES = text("DELETE FROM report_fixes WHERE dossier_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def buckets(d: dt.date) -> tuple[tuple[str, str], ...]:
    """The three roll-up buckets a day adds to."""
    return (
        ("d", d.isoformat()),
        ("m", d.replace(day=1).isoformat()),
        ("y", d.replace(month=1, day=1).isoformat()),
    )


def _safe_us(value: object) -> int:
    try:
        return us(value) if isinstance(value, dt.datetime) else 0
    except TypeError:  # a naive time
        return 0


def _damaged_row(dossier_id: str, d: DossierEvents) -> dict[str, Any]:
    head = d.head
    return {
        "dossier_id": dossier_id,
        "code": str(head.get("code", "")),
        "unit": str(head.get("target_unit_code") or head.get("unit_code", "")),
        "receiving_unit": str(head.get("unit_code", "")),
        "field": str(head.get("field", "")),
        "channel": str(head.get("channel", "")),
        "procedure_code": str(head.get("procedure_code", "")),
        "procedure_name": str(head.get("procedure_name", "")),
        "applicant_name": str(head.get("applicant_name", "")),
        "head_seq": d.head_seq,
        "received_us": _safe_us(_time(head.get("received_at"))),
        "due_us": None,
        "finished_us": None,
        "last_event_us": max(_safe_us(e.at) for e in d.events),
        "deadline_us": None,
        "overdue_after_us": None,
        "irregular": DAMAGED,
    }


def _opt_us(t: dt.datetime | None) -> int | None:
    return None if t is None else us(t)


def refresh(conn: Connection, dossier_ids: Iterable[str]) -> int:
    """Recompute the report rows of these dossiers from their events; apply the difference to the roll-ups.

    Runs inside the transaction that appended the dossiers' events. Returns how many were refreshed.
    """
    ids = sorted(set(dossier_ids))
    if not ids:
        return 0
    stored = read_events(conn, ids)
    per_day: dict[tuple[str, str, str, int], list[int]] = {}

    def add(at_us: int, unit: str, fld: str, channel: str, values: Sequence[int], sign: int) -> None:
        # VN_TZ is a fixed offset (+07:00, no summer time): the local day is plain arithmetic
        acc = per_day.setdefault((unit, fld, channel, (at_us + _VN_OFFSET_US) // _DAY_US), [0] * WIDTH)
        for i, v in enumerate(values):
            if v:
                acc[i] += sign * v

    for chunk in _chunks(ids):
        for row in conn.execute(_OLD_STEPS, {"ids": chunk}):
            add(int(row[1]), row[2], row[3], row[4], [int(v) for v in row[5:]], -1)
        conn.execute(_DELETE_STEPS, {"ids": chunk})
        conn.execute(_DELETE_FIXES, {"ids": chunk})
    step_rows: list[dict[str, Any]] = []
    fix_rows: list[dict[str, Any]] = []
    report_rows: list[dict[str, Any]] = []
    for dossier_id in ids:
        d = stored.get(dossier_id)
        if d is None:
            continue
        try:
            rec = record_of(dossier_id, d)
            line = timeline(rec, rating_of(d))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # rows stored before the wire schema checked every push may be damaged: such a
            # dossier is left out of the figures (``irregular = 2``), never breaks a push
            log.warning(
                "damaged dossier left out of the report",
                extra={"dossier": dossier_id, "error": type(exc).__name__},
            )
            report_rows.append(_damaged_row(dossier_id, d))
            continue
        unit = rec.target_unit_code or rec.unit_code
        channel = rec.channel or Channel.DESK.value
        report_rows.append(
            {
                "dossier_id": dossier_id,
                "code": rec.code,
                "unit": unit,
                "receiving_unit": rec.unit_code,
                "field": rec.field,
                "channel": channel,
                "procedure_code": rec.procedure_code,
                "procedure_name": str(d.head.get("procedure_name", "")),
                "applicant_name": str(d.head.get("applicant_name", "")),
                "head_seq": d.head_seq,
                "received_us": us(rec.received_at),
                "due_us": _opt_us(rec.due_at),
                "finished_us": _opt_us(line.finished_at) if line else None,
                "last_event_us": us(max(e.at for e in d.events)),
                "deadline_us": _opt_us(line.deadline) if line else None,
                "overdue_after_us": _opt_us(line.overdue_after) if line else None,
                "irregular": int(line is None),
            }
        )
        if line is None:
            continue
        keys = {"dossier_id": dossier_id, "unit": unit, "field": rec.field, "channel": channel}
        for n, s in enumerate(line.steps):
            step_rows.append(
                {
                    **keys,
                    "n": n,
                    "at_us": us(s.at),
                    "strict": int(s.strict),
                    **dict(zip(COLUMNS, s.values, strict=True)),
                }
            )
            add(us(s.at), unit, rec.field, channel, s.values, 1)
        for n, fx in enumerate(line.fixes):
            fix_rows.append(
                {
                    **keys,
                    "n": n,
                    "finished_us": us(fx.finished_at),
                    "at_us": us(fx.at),
                    **dict(zip(COLUMNS, fx.values, strict=True)),
                }
            )
    # Three scopes: full (unit, field, channel) for one unit's report and filters, per unit
    # for the scorecards, per field for the province's report (few rows to sum for each).
    delta: dict[tuple[str, str, str, str, str, str], list[int]] = {}
    for (unit, fld, channel, day_number), values in per_day.items():
        if not any(values):
            continue
        day = _EPOCH_DAY + dt.timedelta(days=day_number)
        for scope in (("f", unit, fld, channel), ("u", unit, "", ""), ("p", "", fld, "")):
            for grain, bucket in buckets(day):
                acc = delta.setdefault((scope[0], grain, bucket, *scope[1:]), [0] * WIDTH)
                for i, v in enumerate(values):
                    acc[i] += v
    upserts = [
        {
            "scope": k[0],
            "grain": k[1],
            "bucket": k[2],
            "unit": k[3],
            "field": k[4],
            "channel": k[5],
            **dict(zip(COLUMNS, v, strict=True)),
        }
        for k, v in sorted(delta.items())
        if any(v)
    ]
    pg = conn.dialect.name == "postgresql"
    for statement, pg_statement, rows in (
        (_UPSERT_REPORT_ROW, _PG_UPSERT_REPORT_ROW, report_rows),
        (_INSERT_STEP, _PG_INSERT_STEP, step_rows),
        (_INSERT_FIX, _PG_INSERT_FIX, fix_rows),
        (_UPSERT_ROLLUP, _PG_UPSERT_ROLLUP, upserts),
    ):
        if not rows:
            continue
        if pg:
            _pg_many(conn, pg_statement, rows)
        else:
            conn.execute(statement, rows)
    return len(report_rows)


def touch_freshness(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record when each unit's devices last sent a change (``UnitScore.last_change_at``)."""
    latest: dict[str, str] = {}
    for r in rows:
        device = r.get("device_id") or ""
        if device and (device not in latest or r["created_at"] > latest[device]):
            latest[device] = r["created_at"]
    if not latest:
        return
    units: dict[str, str] = {
        r[0]: r[1]
        for r in conn.execute(
            text("SELECT id, unit_code FROM devices WHERE id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": sorted(latest)},
        )
    }
    per_unit: dict[str, str] = {}
    for device, at in latest.items():
        unit = units.get(device)
        if unit is not None and at > per_unit.get(unit, ""):
            per_unit[unit] = at
    if per_unit:
        conn.execute(
            text(
                "INSERT INTO unit_freshness (unit_code, last_change_at) VALUES (:u, :t) "
                "ON CONFLICT (unit_code) DO UPDATE SET last_change_at = excluded.last_change_at "
                "WHERE excluded.last_change_at > unit_freshness.last_change_at"
            ),
            [{"u": u, "t": t} for u, t in sorted(per_unit.items())],
        )


def rebuild(conn: Connection, batch: int = 2000) -> int:
    """Recompute every report row, step and roll-up from the change log (backfill)."""
    for table in ("report_rollups", "report_steps", "report_fixes", "report_dossiers", "unit_freshness"):
        conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    conn.execute(
        text(
            "INSERT INTO unit_freshness (unit_code, last_change_at) "
            "SELECT d.unit_code, MAX(c.created_at) FROM changes c JOIN devices d ON d.id = c.device_id "
            "GROUP BY d.unit_code"
        )
    )
    ids = [r[0] for r in conn.execute(text("SELECT id FROM dossiers ORDER BY id"))]
    done = 0
    for i in range(0, len(ids), batch):
        done += refresh(conn, ids[i : i + batch])
    return done


# ---------------------------------------------------------------- reading sums
def day_ranges(first: dt.date, stop: dt.date) -> list[tuple[str, str, str]]:
    """Cover the days ``[first, stop)`` with as few (grain, bucket from, bucket to) ranges as possible."""
    out: list[tuple[str, str, str]] = []

    def push(grain: str, lo: dt.date, hi: dt.date) -> None:
        if out and out[-1][0] == grain and out[-1][2] == lo.isoformat():
            out[-1] = (grain, out[-1][1], hi.isoformat())
        else:
            out.append((grain, lo.isoformat(), hi.isoformat()))

    cur = first
    while cur < stop:
        next_year = dt.date(cur.year + 1, 1, 1)
        next_month = dt.date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        if cur.month == 1 and cur.day == 1 and next_year <= stop:
            push("y", cur, next_year)
            cur = next_year
        elif cur.day == 1 and next_month <= stop:
            push("m", cur, next_month)
            cur = next_month
        else:
            hi = min(stop, next_month)
            push("d", cur, hi)
            cur = hi
    return out


def _group_expr(by: str) -> str:
    return {"unit": "unit", "field": "field", "all": "''"}[by]


def rollup_sums(
    conn: Connection,
    first: dt.date,
    stop: dt.date,
    by: str,
    unit: str | None,
    columns: Sequence[str] = COLUMNS,
) -> dict[str, list[int]]:
    """Sums of roll-up columns over the days ``[first, stop)`` grouped by unit or field."""
    ranges = day_ranges(first, stop)
    if not ranges:
        return {}
    params: dict[str, Any] = {}
    ors = []
    for i, (grain, lo, hi) in enumerate(ranges):
        ors.append(f"(grain = :g{i} AND bucket >= :lo{i} AND bucket < :hi{i})")
        params.update({f"g{i}": grain, f"lo{i}": lo, f"hi{i}": hi})
    where = "(" + " OR ".join(ors) + ")"
    if unit is not None:
        where += " AND scope = 'f' AND unit = :unit"
        params["unit"] = unit
    else:
        where += " AND scope = 'p'" if by == "field" else " AND scope = 'u'"
    key = _group_expr(by)
    sums = ", ".join(f"SUM({c})" for c in columns)
    sql = f"SELECT {key}, {sums} FROM report_rollups WHERE {where} GROUP BY {key}"  # noqa: S608 - fixed names
    return {str(r[0]): [int(v or 0) for v in r[1:]] for r in conn.execute(text(sql), params)}


def step_sums(conn: Connection, lo_us: int, now_us: int, by: str, unit: str | None) -> dict[str, list[int]]:
    """Sums of the steps from ``lo_us`` up to ``now_us`` (event steps at it included, clock steps not)."""
    key = _group_expr(by)
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    where = "at_us >= :lo AND (at_us < :now OR (at_us = :now AND strict = 0))"
    params: dict[str, Any] = {"lo": lo_us, "now": now_us}
    if unit is not None:
        where += " AND unit = :unit"
        params["unit"] = unit
    sql = f"SELECT {key}, {sums} FROM report_steps WHERE {where} GROUP BY {key}"  # noqa: S608
    return {str(r[0]): [int(v or 0) for v in r[1:]] for r in conn.execute(text(sql), params)}


def fix_sums(
    conn: Connection, start_us: int, stop_us: int, inclusive: bool, by: str, unit: str | None
) -> dict[str, list[int]]:
    """Fixes of dossiers finished at or after ``start``, changed in ``[start, stop)``
    (``stop`` included when ``inclusive``)."""
    key = _group_expr(by)
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    where = f"at_us >= :lo AND at_us {'<=' if inclusive else '<'} :hi AND finished_us >= :lo"
    params: dict[str, Any] = {"lo": start_us, "hi": stop_us}
    if unit is not None:
        where += " AND unit = :unit"
        params["unit"] = unit
    sql = f"SELECT {key}, {sums} FROM report_fixes WHERE {where} GROUP BY {key}"  # noqa: S608
    return {str(r[0]): [int(v or 0) for v in r[1:]] for r in conn.execute(text(sql), params)}


def add_into(
    target: dict[str, list[int]], source: Mapping[str, Sequence[int]], columns: Sequence[str] = COLUMNS
) -> None:
    for key, values in source.items():
        acc = target.setdefault(key, [0] * WIDTH)
        for name, v in zip(columns, values, strict=True):
            acc[IX[name]] += v


@dataclass
class Sums:
    """Per group: the flows of the period, the levels at its start and at ``as_of``."""

    flows: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * WIDTH))
    at_start: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * WIDTH))
    at_end: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * WIDTH))


def period_sums(
    conn: Connection, first: dt.date, last: dt.date, now: dt.datetime, by: str, unit: str | None
) -> Sums:
    """Roll-up sums of a period whose start is not after ``now`` (``now`` inside it or after it)."""
    stop = last + dt.timedelta(days=1)
    end = day_start(stop)
    out = Sums()
    add_into(out.at_start, rollup_sums(conn, FIRST_DAY, first, by, unit, STATE_COLUMNS), STATE_COLUMNS)
    if now >= end:
        add_into(out.flows, rollup_sums(conn, first, stop, by, unit))
        add_into(out.flows, fix_sums(conn, us(day_start(first)), us(end), False, by, unit))
    else:
        today = day_of(now)
        add_into(out.flows, rollup_sums(conn, first, today, by, unit))
        late_steps = step_sums(conn, us(day_start(today)), us(now), by, unit)
        add_into(out.flows, late_steps)
        add_into(out.flows, fix_sums(conn, us(day_start(first)), us(now), True, by, unit))
        # receipts count over the whole period, also those stamped after ``now``
        later = rollup_sums(conn, today, stop, by, unit, RECEIVED_COLUMNS)
        for key, values in later.items():
            acc = out.flows[key]
            for name, v in zip(RECEIVED_COLUMNS, values, strict=True):
                acc[IX[name]] += v - late_steps.get(key, ZERO)[IX[name]]
    keys = set(out.flows) | set(out.at_start)
    for key in keys:
        s, f = out.at_start[key], out.flows[key]
        out.at_end[key] = [s[i] + f[i] if COLUMNS[i] in STATE_COLUMNS else 0 for i in range(WIDTH)]
    return out


def state_now(conn: Connection, now: dt.datetime, by: str, unit: str | None) -> dict[str, list[int]]:
    """The levels at ``now`` (open, overdue, ...) per group."""
    today = day_of(now)
    out: dict[str, list[int]] = {}
    add_into(out, rollup_sums(conn, FIRST_DAY, today, by, unit, STATE_COLUMNS), STATE_COLUMNS)
    for key, values in step_sums(conn, us(day_start(today)), us(now), by, unit).items():
        acc = out.setdefault(key, [0] * WIDTH)
        for name in STATE_COLUMNS:
            acc[IX[name]] += values[IX[name]]
    return out


# ---------------------------------------------------------------- one dossier from its steps
def dossier_vector(
    steps: Sequence[tuple[int, bool, Sequence[int]]],
    fixes: Sequence[tuple[int, int, Sequence[int]]],
    start_us: int,
    end_us: int,
    now_us: int,
) -> tuple[list[int], list[int], list[int]]:
    """(flows, levels at start, levels at as_of) of one regular dossier for ``[start, end)`` at ``now``."""
    past = now_us >= end_us
    flows, at_start, at_end = [0] * WIDTH, [0] * WIDTH, [0] * WIDTH
    rcv = {IX[c] for c in RECEIVED_COLUMNS}
    for at, strict, values in steps:
        before_start = at < start_us
        if past:
            counted = at < end_us
        else:
            counted = at < now_us or (at == now_us and not strict)
        for i, v in enumerate(values):
            if not v:
                continue
            if before_start:
                at_start[i] += v
                at_end[i] += v
            elif i in rcv:
                flows[i] += v if at < end_us else 0
            elif counted:
                flows[i] += v
                at_end[i] += v
    for finished, at, values in fixes:
        if finished >= start_us and at >= start_us and (at < end_us if past else at <= now_us):
            for i, v in enumerate(values):
                flows[i] += v
    return flows, at_start, at_end
