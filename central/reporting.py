"""The province's figures on the central server: scorecards, overdue lists, periodic reports.

The contract the dashboard (``central/web``) calls. The numbers are the desk's:
``desk_app.reports`` (pure, shared like the fold) turns each dossier's events into
facts, so a station and the server that holds its events agree cell by cell.

The contract (``scorecards``, ``periodic``, ``overdue_dossiers``, ``cell_dossiers``)
reads the report rows and roll-ups that ``push`` keeps up to date (``central.rollups``):
sums over small indexed tables, plus an exact computation for the few dossiers the
roll-ups cannot place. The ``reference_*`` functions read every event of the
``changes`` table and apply the rules per request: slow, and the oracle the fast
path is tested against (``tests/central/test_rollups.py``). Every function takes the
``Store`` and the clock's ``now``; nothing here reads the machine's clock.

Periodic rows: the fast report lists the fields with at least one non-zero number
(the reference also lists fields whose dossiers all lie outside the period, with zeros).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text

from central import rollups
from central import service as svc
from desk_app.domain.lifecycle import EventKind
from desk_app.reports.facts import (
    DEFAULT_RULES,
    DossierFacts,
    DossierRecord,
    Outcome,
    Rules,
    dossier_facts,
)
from desk_app.reports.indicators import (
    CELLS,
    Indicator,
    PenaltyWarning,
    RatingCounts,
    ReportFilter,
    Tally,
    indicators_766,
    penalty_preview,
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
    sql = "SELECT seq, dossier_id, payload FROM changes WHERE kind = 'event'"
    params: dict[str, str] = {}
    if unit_code is not None:
        sql += " AND (unit_code = :u OR target_unit_code = :u)"
        params["u"] = unit_code
    rows: Iterable[Any] = conn.execute(text(sql + " ORDER BY seq"), params)
    return rows


# One dossier's stored events and received snapshot: the roll-ups' own reader and record.
_Dossier = rollups.DossierEvents
_record = rollups.record_of


def _dossiers(store: svc.Store, unit_code: str | None) -> dict[str, _Dossier]:
    out: dict[str, _Dossier] = {}
    with store.read() as conn:
        for seq, dossier_id, payload in _event_rows(conn, unit_code):
            rollups.add_event(out, seq, dossier_id, payload)
    return {k: v for k, v in out.items() if v.head}


def _time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


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
    """When each unit's devices last sent a change (a scan of the change log: the reference)."""
    with store.read() as conn:
        rows = conn.execute(
            text(
                "SELECT d.unit_code, MAX(c.created_at) FROM changes c JOIN devices d ON d.id = c.device_id "
                "GROUP BY d.unit_code"
            )
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
def reference_scorecards(
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


def reference_overdue_dossiers(
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


def reference_cell_dossiers(
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


def reference_periodic(
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


# ================================================================== the fast path (roll-ups)
# The contract below reads ``central.rollups``' tables (kept up to date by ``push``); the
# ``reference_*`` functions above read every event and are the oracle the tests compare with.


@dataclass
class _Group:
    """What a group (a unit, a field) adds up to: the tally plus the 5.4 rating counts."""

    total: Tally
    rated: int = 0
    dissatisfied: int = 0

    def ratings(self) -> RatingCounts | None:
        if not self.rated:
            return None
        t = self.total
        return RatingCounts(
            dossiers=max(t.resolved + t.in_progress, self.rated), dissatisfied_or_complained=self.dissatisfied
        )


def _tally_of(flows: Sequence[int], at_start: Sequence[int], at_end: Sequence[int]) -> _Group:
    c = rollups.IX
    t = Tally(
        received_online=flows[c["rcv_online"]],
        received_direct=flows[c["rcv_direct"]],
        received_post=flows[c["rcv_post"]],
        carried_over=at_start[c["n_open"]],
        early=flows[c["early"]],
        on_time=flows[c["on_time"]],
        late=flows[c["late"]],
        in_time=at_end[c["n_open"]] - at_end[c["n_overdue"]],
        overdue=at_end[c["n_overdue"]],
        dropped=flows[c["dropped"]],
        supplement_requests=flows[c["supplement_requests"]],
        refusals=flows[c["refusals"]],
        extensions=flows[c["extensions"]],
        returned_by_post=flows[c["returned_by_post"]],
        digitised=flows[c["digitised"]],
        results_digitised=flows[c["results_digitised"]],
        results_signed=flows[c["results_signed"]],
        components_digitised=at_start[c["comp_open"]] + flows[c["comp"]],
        components_reused=at_start[c["reused_open"]] + flows[c["reused"]],
    )
    return _Group(
        t,
        rated=at_start[c["rated_open"]] + flows[c["rated_rcv"]],
        dissatisfied=at_start[c["dissat_open"]] + flows[c["dissat_rcv"]],
    )


def _key_of(f: DossierFacts, by: str) -> str:
    return f.competent_unit if by == "unit" else f.field if by == "field" else ""


_IRREGULAR = "SELECT dossier_id FROM report_dossiers WHERE irregular = 1"
_FUTURE = (
    "SELECT dossier_id, code, unit, field, channel, procedure_code, received_us, due_us FROM report_dossiers "
    "WHERE irregular = 0 AND received_us > :now AND received_us < :end"
)


def _unit_clause(unit: str | None) -> tuple[str, dict[str, Any]]:
    return ("", {}) if unit is None else (" AND unit = :unit", {"unit": unit})


def _exceptions(
    conn: Any, period: Period, now: dt.datetime, by: str, unit: str | None
) -> tuple[dict[str, _Group], dict[str, int]]:
    """Exact facts of the dossiers the roll-ups leave out (irregular ones) or cannot place
    (received after ``now``): per group, and their overdue-now counts per unit."""
    groups: dict[str, _Group] = {}
    overdue_now: dict[str, int] = defaultdict(int)
    clause, params = _unit_clause(unit)
    # (received before the period's end: the others count neither in it nor as overdue now)
    ids = [
        r[0]
        for r in conn.execute(
            text(_IRREGULAR + clause + " AND received_us < :end"), {**params, "end": rollups.us(period.end)}
        )
    ]
    if ids:
        for dossier_id, d in rollups.read_events(conn, ids).items():
            rec = rollups.record_of(dossier_id, d)
            f = dossier_facts(rec, period.start, period.end, now)
            g = groups.setdefault(_key_of(f, by), _Group(Tally()))
            g.total.add(f)
            if f.in_report:
                rated, dissatisfied = rollups.rating_of(d)
                g.rated += rated
                g.dissatisfied += dissatisfied
            if dossier_facts(rec, _EPOCH, now + dt.timedelta(seconds=1), now).outcome is Outcome.OVERDUE:
                overdue_now[f.competent_unit] += 1
    if now < period.end:
        params = {**params, "now": rollups.us(now), "end": rollups.us(period.end)}
        for r in conn.execute(text(_FUTURE + clause), params):
            # received after ``now``: no event of it counts yet; the rules say what it is.
            stub = DossierRecord(
                id=r[0],
                code=r[1],
                field=r[3],
                procedure_code=r[5],
                officer="",
                channel=r[4],
                received_at=rollups.from_us(r[6]),
                due_at=None if r[7] is None else rollups.from_us(r[7]),
                unit_code=r[2],
            )
            f = dossier_facts(stub, period.start, period.end, now)
            g = groups.setdefault(r[2] if by == "unit" else r[3] if by == "field" else "", _Group(Tally()))
            if f.outcome is Outcome.OVERDUE:
                g.total.overdue += 1
            elif f.outcome is Outcome.IN_TIME:
                g.total.in_time += 1
    return groups, overdue_now


def _groups(
    conn: Any, period: Period, now: dt.datetime, by: str, unit: str | None
) -> tuple[dict[str, _Group], dict[str, int] | None]:
    """The groups' tallies, and when ``now`` is inside the period the overdue-now counts per
    group (the levels at ``as_of = now`` are exactly those) else ``None``."""
    sums = rollups.period_sums(conn, period.first, period.last, now, by, unit)
    out: dict[str, _Group] = {}
    for key in set(sums.flows) | set(sums.at_start):
        out[key] = _tally_of(sums.flows[key], sums.at_start[key], sums.at_end[key])
    extra, odd_overdue = _exceptions(conn, period, now, by, unit)
    for key, g in extra.items():
        mine = out.setdefault(key, _Group(Tally()))
        mine.total.merge(g.total)
        mine.rated += g.rated
        mine.dissatisfied += g.dissatisfied
    overdue: dict[str, int] | None = None
    if now < period.end and by == "unit":
        overdue = {k: v[rollups.IX["n_overdue"]] for k, v in sums.at_end.items()}
        for k, n in odd_overdue.items():
            overdue[k] = overdue.get(k, 0) + n
    return out, overdue


def _fast(rules: Rules, period: Period, now: dt.datetime) -> bool:
    """The roll-ups hold the default rules' numbers for periods that have started."""
    return rules == DEFAULT_RULES and now >= period.start


def _overdue_now_fast(conn: Any, now: dt.datetime, unit: str | None) -> dict[str, int]:
    state = rollups.state_now(conn, now, "unit", unit)
    out = {k: v[rollups.IX["n_overdue"]] for k, v in state.items()}
    clause, params = _unit_clause(unit)
    ids = [r[0] for r in conn.execute(text(_IRREGULAR + clause), params)]
    for dossier_id, d in rollups.read_events(conn, ids).items():
        f = dossier_facts(rollups.record_of(dossier_id, d), _EPOCH, now + dt.timedelta(seconds=1), now)
        if f.outcome is Outcome.OVERDUE:
            out[f.competent_unit] = out.get(f.competent_unit, 0) + 1
    return out


def _fresh_fast(conn: Any) -> dict[str, dt.datetime]:
    rows = conn.execute(text("SELECT unit_code, last_change_at FROM unit_freshness")).all()
    return {r[0]: t for r in rows if (t := _time(r[1])) is not None}


def scorecards(
    store: svc.Store, period: Period, now: dt.datetime, rules: Rules = DEFAULT_RULES
) -> list[UnitScore]:
    """Every unit's line for ``period`` (by competent unit), sorted by unit code."""
    if not _fast(rules, period, now):
        return reference_scorecards(store, period, now, rules)
    names = _unit_names(store)
    with store.read() as conn:
        groups, overdue = _groups(conn, period, now, "unit", None)
        if overdue is None:
            overdue = _overdue_now_fast(conn, now, None)
        fresh = _fresh_fast(conn)
    out = []
    for code, name in sorted(names.items()):
        g = groups.get(code) or _Group(Tally())
        out.append(
            UnitScore(
                unit_code=code,
                unit_name=name,
                total=g.total,
                indicators=indicators_766(g.total, ratings=g.ratings()),
                overdue_now=overdue.get(code, 0),
                last_change_at=fresh.get(code),
            )
        )
    return out


def periodic(
    store: svc.Store,
    period: Period,
    now: dt.datetime,
    unit_code: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> PeriodicReport:
    """The periodic report (one row per field with a number) of one unit, or of the province when ``None``."""
    if not _fast(rules, period, now):
        return reference_periodic(store, period, now, unit_code, rules)
    with store.read() as conn:
        groups, _ = _groups(conn, period, now, "field", unit_code)
    total = Tally()
    rated = dissatisfied = 0
    rows = []
    for fld, g in sorted(groups.items()):
        if _is_zero(g.total):
            continue
        rows.append((fld, g.total))
        total.merge(g.total)
        rated += g.rated
        dissatisfied += g.dissatisfied
    names = _unit_names(store)
    return PeriodicReport(
        unit_name=names.get(unit_code, unit_code) if unit_code else PROVINCE_NAME,
        parent_name="",
        period=period,
        as_of=period.as_of(now),
        generated_at=now,
        rows=rows,
        total=total,
        indicators=indicators_766(total, ratings=_Group(total, rated, dissatisfied).ratings()),
        filter=ReportFilter(unit=unit_code or ""),
    )


def _is_zero(t: Tally) -> bool:
    return not any(t.as_dict().values())


_OVERDUE_SQL = (
    "SELECT dossier_id, code, unit, procedure_code, procedure_name, field, received_us, deadline_us, "
    "applicant_name FROM report_dossiers WHERE unit = :unit AND finished_us IS NULL AND irregular = 0 "
    "AND overdue_after_us < :now AND last_event_us <= :now "
    "ORDER BY COALESCE(deadline_us, received_us), code LIMIT :limit"
)
_ODD_OPEN_SQL = (
    "SELECT dossier_id FROM report_dossiers WHERE unit = :unit AND (irregular = 1 OR "
    "(irregular = 0 AND last_event_us > :now AND (finished_us IS NULL OR finished_us > :now)))"
)


def overdue_dossiers(
    store: svc.Store, unit_code: str, now: dt.datetime, rules: Rules = DEFAULT_RULES, limit: int = 500
) -> list[DossierLine]:
    """The unit's dossiers in progress and past their deadline at ``now``, oldest deadline first."""
    if rules != DEFAULT_RULES:
        return reference_overdue_dossiers(store, unit_code, now, rules, limit)
    now_us = rollups.us(now)
    lines: list[DossierLine] = []
    with store.read() as conn:
        for r in conn.execute(text(_OVERDUE_SQL), {"unit": unit_code, "now": now_us, "limit": limit}):
            lines.append(
                DossierLine(
                    id=r[0],
                    code=r[1],
                    unit_code=r[2],
                    procedure_code=r[3],
                    procedure_name=r[4],
                    field=r[5],
                    received_at=rollups.from_us(r[6]),
                    deadline=None if r[7] is None else rollups.from_us(r[7]),
                    outcome=Outcome.OVERDUE.value,
                    applicant_name=r[8],
                )
            )
        # Irregular dossiers, and those with events stamped after ``now``: exactly, from their events.
        odd = [r[0] for r in conn.execute(text(_ODD_OPEN_SQL), {"unit": unit_code, "now": now_us})]
        for dossier_id, d in rollups.read_events(conn, odd).items():
            f = dossier_facts(rollups.record_of(dossier_id, d), _EPOCH, now + dt.timedelta(seconds=1), now)
            if f.outcome is Outcome.OVERDUE and f.competent_unit == unit_code:
                lines.append(_line(f, d))
    lines.sort(key=lambda x: (x.deadline or x.received_at, x.code))
    return lines[:limit]


def _outcome_of(flows: Sequence[int], at_start: Sequence[int], at_end: Sequence[int]) -> str:
    """A regular dossier's outcome for the period from its own steps (``Outcome`` value)."""
    c = rollups.IX
    if not at_start[c["n_open"]] and not any(flows[c[k]] for k in ("rcv_online", "rcv_direct", "rcv_post")):
        return Outcome.NONE.value  # not in the period's report (an activity cell only)
    for name in ("early", "on_time", "late", "dropped"):
        if flows[c[name]]:
            return Outcome(name).value
    return (Outcome.OVERDUE if at_end[c["n_overdue"]] else Outcome.IN_TIME).value


def _row_line(r: Any, unit_code: str, outcome: str) -> DossierLine:
    return DossierLine(
        id=r[0],
        code=r[3],
        unit_code=unit_code,
        procedure_code=r[5],
        procedure_name=r[6],
        field=r[7],
        received_at=rollups.from_us(int(r[1])),
        deadline=None if r[8] is None else rollups.from_us(int(r[8])),
        outcome=outcome,
        applicant_name=r[9],
    )


_CANDIDATES_SQL = (
    "SELECT dossier_id, received_us, irregular, code, last_event_us, procedure_code, procedure_name, field, "
    "deadline_us, applicant_name FROM report_dossiers "
    "WHERE unit = :unit AND received_us < :end "
    "AND (finished_us IS NULL OR finished_us >= :start OR last_event_us >= :start)"
)
# Cells counted by flows (steps within the period): the dossiers with a non-zero step or fix
# of these columns in the period are a superset of the cell; found by index, judged exactly.
_FLOW_CELLS: dict[str, tuple[str, ...]] = {
    "received_new": ("rcv_online", "rcv_direct", "rcv_post"),
    "received_online": ("rcv_online",),
    "received_direct_post": ("rcv_direct", "rcv_post"),
    "received_direct": ("rcv_direct",),
    "received_post": ("rcv_post",),
    "resolved": ("early", "on_time", "late"),
    "early": ("early",),
    "on_time": ("on_time",),
    "late": ("late",),
    "dropped": ("dropped",),
    "supplement_requests": ("supplement_requests",),
    "refusals": ("refusals",),
    "extensions": ("extensions",),
    "returned_by_post": ("returned_by_post",),
    "digitised": ("digitised",),
    "results_digitised": ("results_digitised",),
    "results_signed": ("results_signed",),
}
_ROWS_OF = text(
    "SELECT dossier_id, received_us, irregular, code, last_event_us, procedure_code, procedure_name, field, "
    "deadline_us, applicant_name FROM report_dossiers WHERE dossier_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _candidates(conn: Any, unit: str, cell: str, start_us: int, end_us: int, now_us: int) -> list[Any]:
    """Report rows of the dossiers that may be behind ``cell`` (a superset; judged exactly after)."""
    params = {"unit": unit, "start": start_us, "end": end_us}
    columns = _FLOW_CELLS.get(cell)
    if columns is None:  # a level (carried over, in progress, overdue …): every dossier of the report
        return list(conn.execute(text(_CANDIDATES_SQL), params).all())
    nonzero = " OR ".join(f"{c} <> 0" for c in columns)
    received = columns[0].startswith("rcv_")
    stop = end_us if received or now_us >= end_us else now_us + 1  # events up to now count
    ids = {
        r[0]
        for r in conn.execute(
            text(
                f"SELECT DISTINCT dossier_id FROM report_steps WHERE unit = :unit AND at_us >= :start "  # noqa: S608
                f"AND at_us < :stop AND ({nonzero})"
            ),
            {**params, "stop": stop},
        )
    }
    ids.update(
        r[0]
        for r in conn.execute(
            text(
                f"SELECT dossier_id FROM report_fixes WHERE unit = :unit AND at_us >= :start "  # noqa: S608
                f"AND at_us < :stop AND finished_us >= :start AND ({nonzero})"
            ),
            {**params, "stop": stop},
        )
    )
    ids.update(
        r[0]
        for r in conn.execute(
            text(_IRREGULAR + " AND unit = :unit AND received_us < :end"), {"unit": unit, "end": end_us}
        )
    )
    out: list[Any] = []
    for chunk in rollups._chunks(sorted(ids)):
        out.extend(conn.execute(_ROWS_OF, {"ids": chunk}).all())
    return out


_STEPS_OF = text(
    "SELECT dossier_id, at_us, strict, "
    + ", ".join(rollups.COLUMNS)
    + " FROM report_steps WHERE dossier_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_FIXES_OF = text(
    "SELECT dossier_id, finished_us, at_us, "
    + ", ".join(rollups.COLUMNS)
    + " FROM report_fixes WHERE dossier_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


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
    if cell not in CELLS:
        raise KeyError(cell)
    if not _fast(rules, period, now):
        return reference_cell_dossiers(store, period, now, unit_code, cell, rules, limit)
    start_us, end_us, now_us = rollups.us(period.start), rollups.us(period.end), rollups.us(now)
    past = now_us >= end_us
    chosen: list[tuple[int, str, str]] = []  # (received_us, code, id): the lists' order
    from_row: dict[str, DossierLine] = {}
    with store.read() as conn:
        rows = _candidates(conn, unit_code, cell, start_us, end_us, now_us)
        by_id = {r[0]: r for r in rows}
        regular = [r[0] for r in rows if r[2] == 0]
        steps: dict[str, list[tuple[int, bool, list[int]]]] = defaultdict(list)
        fixes: dict[str, list[tuple[int, int, list[int]]]] = defaultdict(list)
        for chunk in rollups._chunks(regular):
            for s in conn.execute(_STEPS_OF, {"ids": chunk}):
                steps[s[0]].append((int(s[1]), bool(s[2]), [int(v) for v in s[3:]]))
            for s in conn.execute(_FIXES_OF, {"ids": chunk}):
                fixes[s[0]].append((int(s[1]), int(s[2]), [int(v) for v in s[3:]]))
        exact = [r[0] for r in rows if r[2] == rollups.IRREGULAR]
        for dossier_id in regular:
            r = by_id[dossier_id]
            if r[1] > now_us:
                exact.append(dossier_id)  # received after now: the rules judge it without events
                continue
            vec = rollups.dossier_vector(steps[dossier_id], fixes[dossier_id], start_us, end_us, now_us)
            if getattr(_tally_of(*vec).total, cell) > 0:
                chosen.append((r[1], r[3], dossier_id))
                if (r[4] < end_us) if past else (r[4] <= now_us):
                    # no event after the period's moment: the row's deadline is the one then
                    from_row[dossier_id] = _row_line(r, unit_code, _outcome_of(*vec))
        stored = rollups.read_events(conn, exact)
        for dossier_id, d in stored.items():
            f = dossier_facts(rollups.record_of(dossier_id, d), period.start, period.end, now)
            one = Tally()
            one.add(f)
            if f.competent_unit == unit_code and getattr(one, cell) > 0:
                chosen.append((by_id[dossier_id][1], f.code, dossier_id))
        chosen.sort()
        wanted = [i for _, _, i in chosen[:limit]]
        # The other lines (deadline, outcome as of the period) from the dossiers' events.
        detail = rollups.read_events(conn, [i for i in wanted if i not in stored and i not in from_row])
        detail.update(stored)
    lines = []
    for dossier_id in wanted:
        if dossier_id in from_row:
            lines.append(from_row[dossier_id])
            continue
        d = detail[dossier_id]
        f = dossier_facts(rollups.record_of(dossier_id, d), period.start, period.end, now)
        lines.append(_line(f, d))
    lines.sort(key=lambda x: (x.received_at, x.code))
    return lines[:limit]


# ---------------------------------------------------------------- penalty preview
#: How long after its result a dossier is still checked for a missing result file (766, 4.2).
RESULT_FILE_WINDOW = dt.timedelta(days=30)
# Candidates, each part through an index: open dossiers (the partial "open" index), dossiers
# finished in the window (their finish step, by unit and time), and the irregular ones (judged
# from their events everywhere). A superset: the rules below decide.
_AT_RISK_SQL = """
SELECT dossier_id FROM report_dossiers WHERE unit = :unit AND finished_us IS NULL
UNION
SELECT dossier_id FROM report_dossiers WHERE unit = :unit AND irregular = 1
UNION
SELECT dossier_id FROM report_steps
WHERE unit = :unit AND at_us >= :since AND early + on_time + late + dropped > 0
"""


def _warned(
    dossiers: dict[str, _Dossier], unit_code: str, now: dt.datetime, rules: Rules, limit: int
) -> list[tuple[DossierLine, list[PenaltyWarning]]]:
    since = now - RESULT_FILE_WINDOW
    out: list[tuple[DossierLine, list[PenaltyWarning]]] = []
    for dossier_id, d in dossiers.items():
        record = _record(dossier_id, d)
        f = dossier_facts(record, _EPOCH, now + dt.timedelta(seconds=1), now, rules)
        if f.competent_unit != unit_code or (f.resolved_at is not None and f.resolved_at < since):
            continue
        warnings = penalty_preview(record, now, rules)
        if warnings:
            out.append((_line(f, d), warnings))
    out.sort(key=lambda item: (item[0].deadline or item[0].received_at, item[0].code))
    return out[:limit]


def reference_at_risk(
    store: svc.Store, unit_code: str, now: dt.datetime, rules: Rules = DEFAULT_RULES, limit: int = 2000
) -> list[tuple[DossierLine, list[PenaltyWarning]]]:
    """``at_risk`` over every dossier of the unit read from the events (the oracle)."""
    return _warned(_dossiers(store, unit_code), unit_code, now, rules, limit)


def at_risk(
    store: svc.Store, unit_code: str, now: dt.datetime, rules: Rules = DEFAULT_RULES, limit: int = 2000
) -> list[tuple[DossierLine, list[PenaltyWarning]]]:
    """The unit's dossiers that would cost points now, with the desk's warnings and advice.

    The desk's ``penalty_preview`` (the Thống kê tab's warnings) over the dossiers open at
    ``now`` and those resolved within ``RESULT_FILE_WINDOW`` (a result without its file);
    only those dossiers' events are read.
    """
    since = rollups.us(now - RESULT_FILE_WINDOW)
    with store.read() as conn:
        ids = [r[0] for r in conn.execute(text(_AT_RISK_SQL), {"unit": unit_code, "since": since})]
        dossiers = rollups.read_events(conn, ids)
    return _warned(dossiers, unit_code, now, rules, limit)
