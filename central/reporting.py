"""The province's figures on the central server: scorecards, overdue lists, periodic reports.

The contract the dashboard (``central/web``) calls. The numbers are the desk's:
``desk_app.reports`` (pure, shared like the fold) turns each dossier's events into
facts, so a station and the server that holds its events agree cell by cell.

This first implementation reads the events of the ``changes`` table and applies
the rules per request: correct, and the reference the fast path (per-dossier
report rows and daily roll-ups kept up to date as changes arrive) is tested
against. Every function takes the ``Store`` and the clock's ``now``; nothing here
reads the machine's clock.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from central import service as svc
from desk_app.domain import wire
from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.reports.facts import (
    DEFAULT_RULES,
    DossierFacts,
    DossierRecord,
    Outcome,
    Rules,
    dossier_facts,
)
from desk_app.reports.indicators import (
    Indicator,
    RatingCounts,
    ReportFilter,
    Tally,
    indicators_766,
    tally,
    tally_by,
)
from desk_app.reports.periodic import PeriodicReport
from desk_app.reports.periods import Period

log = logging.getLogger(__name__)

PROVINCE_NAME = "Toàn tỉnh"
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class UnitScore:
    """One unit's line of the province's scorecard for a period."""

    unit_code: str
    unit_name: str
    total: Tally
    indicators: Sequence[Indicator]
    overdue_now: int  # in progress and past the deadline at ``now`` (whatever the period)
    last_change_at: dt.datetime | None  # freshness: when the server last received from the unit's devices


@dataclass(frozen=True)
class DossierLine:
    """A dossier in a drill-down list. ``applicant_name`` is personal data: show it only to roles allowed."""

    id: str
    code: str
    unit_code: str
    procedure_code: str
    procedure_name: str
    field: str
    received_at: dt.datetime
    deadline: dt.datetime | None
    outcome: str  # an ``Outcome`` value
    applicant_name: str


# ---------------------------------------------------------------- reading events
def _event_rows(conn: Any, unit_code: str | None) -> Iterable[Any]:
    sql = "SELECT dossier_id, payload FROM changes WHERE kind = 'event'"
    params: dict[str, str] = {}
    if unit_code is not None:
        sql += " AND (unit_code = :u OR target_unit_code = :u)"
        params["u"] = unit_code
    rows: Iterable[Any] = conn.execute(text(sql + " ORDER BY seq"), params)
    return rows


@dataclass
class _Dossier:
    head: dict[str, Any]
    events: list[DossierEvent]


def _dossiers(store: svc.Store, unit_code: str | None) -> dict[str, _Dossier]:
    out: dict[str, _Dossier] = {}
    with store.read() as conn:
        for r in _event_rows(conn, unit_code):
            try:  # rows stored before the wire schema checked every push may be damaged
                p = json.loads(r.payload)
                ev = wire.decode_event(p)
            except (ValueError, TypeError, KeyError) as exc:
                log.warning(
                    "damaged event skipped", extra={"dossier": r.dossier_id, "error": type(exc).__name__}
                )
                continue
            d = out.setdefault(r.dossier_id, _Dossier({}, []))
            if ev.kind is EventKind.RECEIVED and not d.head:
                snap = ev.payload.get("dossier")
                d.head = dict(snap) if isinstance(snap, dict) else {}
            d.events.append(ev)
    return {k: v for k, v in out.items() if v.head}


def _time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _record(dossier_id: str, d: _Dossier) -> DossierRecord:
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


def _ratings(
    dossiers: dict[str, _Dossier], facts: Sequence[DossierFacts], total: Tally
) -> RatingCounts | None:
    latest: dict[str, tuple[str, object]] = {}
    for f in facts:
        if not f.in_report:
            continue
        for e in dossiers[f.id].events:
            if e.kind is EventKind.RATED and (f.id not in latest or e.hlc > latest[f.id][0]):
                latest[f.id] = (e.hlc, e.payload.get("level"))
    if not latest:
        return None
    dissatisfied = sum(1 for _, level in latest.values() if level == "khong_hai_long")
    return RatingCounts(
        dossiers=max(total.resolved + total.in_progress, len(latest)), dissatisfied_or_complained=dissatisfied
    )


def _facts(
    store: svc.Store, period: Period, now: dt.datetime, unit_code: str | None, rules: Rules
) -> tuple[dict[str, _Dossier], dict[str, DossierRecord], list[DossierFacts]]:
    dossiers = _dossiers(store, unit_code)
    records = {k: _record(k, d) for k, d in dossiers.items()}
    facts = [dossier_facts(r, period.start, period.end, now, rules) for r in records.values()]
    return dossiers, records, facts


def _unit_names(store: svc.Store) -> dict[str, str]:
    return {u["code"]: u["name"] for u in svc.list_units(store)}


def _freshness(store: svc.Store) -> dict[str, dt.datetime]:
    with store.read() as conn:
        rows = conn.execute(
            text("SELECT unit_code, MAX(created_at) FROM changes WHERE device_id <> '' GROUP BY unit_code")
        ).all()
    return {r[0]: t for r in rows if (t := _time(r[1])) is not None}


def _overdue_now(records: Iterable[DossierRecord], now: dt.datetime, rules: Rules) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in records:
        f = dossier_facts(r, _EPOCH, now + dt.timedelta(seconds=1), now, rules)
        if f.outcome is Outcome.OVERDUE:
            counts[f.competent_unit] += 1
    return counts


# ---------------------------------------------------------------- the contract
def scorecards(
    store: svc.Store, period: Period, now: dt.datetime, rules: Rules = DEFAULT_RULES
) -> list[UnitScore]:
    """Every unit's line for ``period`` (by competent unit), sorted by unit code."""
    dossiers, records, facts = _facts(store, period, now, None, rules)
    overdue = _overdue_now(records.values(), now, rules)
    fresh = _freshness(store)
    out = []
    for code, name in sorted(_unit_names(store).items()):
        mine = [f for f in facts if f.competent_unit == code]
        total = tally(mine)
        out.append(
            UnitScore(
                unit_code=code,
                unit_name=name,
                total=total,
                indicators=indicators_766(total, ratings=_ratings(dossiers, mine, total)),
                overdue_now=overdue.get(code, 0),
                last_change_at=fresh.get(code),
            )
        )
    return out


def overdue_dossiers(
    store: svc.Store, unit_code: str, now: dt.datetime, rules: Rules = DEFAULT_RULES, limit: int = 500
) -> list[DossierLine]:
    """The unit's dossiers in progress and past their deadline at ``now``, oldest deadline first."""
    dossiers = _dossiers(store, unit_code)
    lines = []
    for dossier_id, d in dossiers.items():
        r = _record(dossier_id, d)
        f = dossier_facts(r, _EPOCH, now + dt.timedelta(seconds=1), now, rules)
        if f.outcome is Outcome.OVERDUE and f.competent_unit == unit_code:
            lines.append(_line(f, d))
    lines.sort(key=lambda x: (x.deadline or x.received_at, x.code))
    return lines[:limit]


def cell_dossiers(
    store: svc.Store,
    period: Period,
    now: dt.datetime,
    unit_code: str,
    cell: str,
    rules: Rules = DEFAULT_RULES,
    limit: int = 500,
) -> list[DossierLine]:
    """The dossiers behind one number of a unit's line (``indicators.CELLS`` keys)."""
    from desk_app.reports.indicators import cell_dossiers as ids_of

    dossiers, _records, facts = _facts(store, period, now, unit_code, rules)
    mine = [f for f in facts if f.competent_unit == unit_code]
    wanted = set(ids_of(mine, cell))  # dossier codes (``indicators.cell_dossiers`` returns codes)
    lines = [_line(f, dossiers[f.id]) for f in mine if f.code in wanted]
    lines.sort(key=lambda x: (x.received_at, x.code))
    return lines[:limit]


def _line(f: DossierFacts, d: _Dossier) -> DossierLine:
    return DossierLine(
        id=f.id,
        code=f.code,
        unit_code=f.competent_unit,
        procedure_code=f.procedure_code,
        procedure_name=str(d.head.get("procedure_name", "")),
        field=f.field,
        received_at=f.received_at,
        deadline=f.deadline,
        outcome=f.outcome.value,
        applicant_name=str(d.head.get("applicant_name", "")),
    )


def periodic(
    store: svc.Store,
    period: Period,
    now: dt.datetime,
    unit_code: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> PeriodicReport:
    """The periodic report (one row per field) of one unit, or of the province when ``None``."""
    dossiers, _records, facts = _facts(store, period, now, unit_code, rules)
    flt = ReportFilter(unit=unit_code or "")
    total = tally(facts, flt)
    mine = [f for f in facts if flt.accepts(f)]
    names = _unit_names(store)
    return PeriodicReport(
        unit_name=names.get(unit_code, unit_code) if unit_code else PROVINCE_NAME,
        parent_name="",
        period=period,
        as_of=period.as_of(now),
        generated_at=now,
        rows=list(tally_by(facts, lambda f: f.field, flt).items()),
        total=total,
        indicators=indicators_766(total, ratings=_ratings(dossiers, mine, total)),
        filter=flt,
    )
