"""The station's report reads and the report service.

The only part of ``desk_app.reports`` that knows the store.

**From the report rows** (default rules; ``ReportService``): the period's
tallies are SQL over ``dossier_report_rows`` (one row per dossier, written by
the transaction that writes the dossier's event; see ``desk_app.reports.rows``
for what a row holds and when it is exact) and ``dossier_report_marks``:

* the cohort is three ranges: received in the period (primary key range on
  ``received_at``), received in the ``LONG_LIVED`` before it and not finished
  before it, and the few open or long-lived dossiers received earlier (partial
  index); one ``GROUP BY`` (field, channel, new / carried over, outcome) with
  ``CASE`` on the judgement moment gives every number of the tally;
* the period counters (supplement requests, extensions, refusals, returns by
  post) count the marks in ``[start, cut)``;
* the dossiers whose row cannot judge this cut (an event of a merged history
  after it, a file event after it, received after "now") are read with their
  events and judged by ``facts.dossier_facts``, as everything was before.

Filters on field, procedure, officer, channel and competent unit are pushed
into the SQL. ``bench/bench_reports.py --station-1m`` measures it.

**From the events** (``ReportRepository``: other rules, the penalty preview):
the dossiers that can matter for ``[start, end)`` are read in one read
transaction — received in the period, or received before it and not finished
before it started (still open now, resolved / returned at or after ``start``,
or refused / stopped / withdrawn: those have no finish time in the summary, so
all of them are read and the pure rules drop the ones finished earlier) — then
their events through the ``(dossier_id, hlc)`` index. The candidate set is a
superset; ``facts.dossier_facts`` decides exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from desk_app.domain.lifecycle import DossierEvent, Status
from desk_app.domain.model import Channel
from desk_app.reports.facts import (
    DEFAULT_RULES,
    DossierFacts,
    DossierRecord,
    Rules,
    dossier_facts,
    period_facts,
)
from desk_app.reports.indicators import (
    Indicator,
    PenaltyWarning,
    RatingCounts,
    ReportFilter,
    Tally,
    indicators_766,
    monthly,
    penalty_preview,
    tally,
    tally_by,
)
from desk_app.reports.periodic import PeriodicReport
from desk_app.reports.periods import Period
from desk_app.reports.rows import (
    LONG_LIVED,
    MARK_EXTENSION,
    MARK_POST_RETURN,
    MARK_REFUSAL,
    MARK_SUPPLEMENT,
    cut_of,
    facts_from_row,
)
from desk_app.services.station import Station
from desk_app.store.report_rows import (
    ROW_COLUMNS,
    read_records,
    records_from_rows,
    row_from_values,
    stored_rows,
)
from desk_app.store.report_rows import iso as row_iso
from desk_app.workcalendar import VN_TZ

# Statuses in which a dossier may still matter for any period although received
# earlier: open ones, and the final ones without a finish-time column. A result
# ready or returned dossier matters only when ``result_ready_at`` / ``returned_at``
# is in or after the period (the other two conditions of the query).
_NOT_DONE = tuple(s.value for s in Status if s not in (Status.RETURNED, Status.RESULT_READY))

_SELECT = """
SELECT d.id, d.code, d.field, d.procedure_code, d.officer, d.channel, d.received_at, d.due_at,
       d.unit_code, d.target_unit_code,
       e.id, e.kind, e.at, e.hlc,
       CASE WHEN e.kind IN ('received', 'supplemented', 'fees_paid', 'extended')
            THEN json_extract(e.payload, '$.due_at') END,
       CASE WHEN e.kind = 'returned' THEN json_extract(e.payload, '$.method') END,
       CASE WHEN e.kind IN ('attached', 'detached', 'result_signed')
            THEN json_extract(e.payload, '$.attachment_id', '$.role', '$.component_key', '$.reused') END
FROM dossiers AS d
JOIN dossier_events AS e ON e.dossier_id = d.id AND e.kind NOT IN ('note', 'rated')
"""
_READ_SQL = (
    _SELECT
    + """
WHERE d.received_at < :end
  AND (d.received_at >= :start
       OR d.status IN ({not_done})
       OR d.result_ready_at >= :start
       OR d.returned_at >= :start)
{filters}
"""
)
# Dossiers the penalty preview looks at: not finished, or with a result not yet handed over.
_AT_RISK_STATUSES = tuple(
    s.value for s in Status if s not in (Status.RETURNED, Status.REFUSED, Status.STOPPED, Status.WITHDRAWN)
)
_AT_RISK_SQL = _SELECT + "WHERE d.status IN ({statuses})"


def _filters(flt: ReportFilter) -> tuple[str, dict[str, str]]:
    clauses, params = [], {}
    for column, value in (
        ("field", flt.field),
        ("procedure_code", flt.procedure_code),
        ("officer", flt.officer),
        ("channel", flt.channel),
    ):
        if value:
            clauses.append(f"AND d.{column} = :f_{column}")
            params[f"f_{column}"] = value
    if flt.unit:
        clauses.append(
            "AND (CASE d.target_unit_code WHEN '' THEN d.unit_code ELSE d.target_unit_code END) = :f_unit"
        )
        params["f_unit"] = flt.unit
    return "\n".join(clauses), params


def rating_counts(conn: Any, dossier_ids: Sequence[str], total: Tally) -> RatingCounts | None:
    """Citizens' ratings of the period's dossiers: the latest rating of each counts (5.4).

    ``None`` (chưa có dữ liệu) while none of them is rated; otherwise the handled
    dossiers and how many of them the citizen rated "Không hài lòng".
    """
    if not dossier_ids:
        return None
    driver = conn.connection.driver_connection
    latest: dict[str, tuple[str, str]] = {}
    for start in range(0, len(dossier_ids), 500):
        chunk = list(dossier_ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        rows = driver.execute(
            "SELECT dossier_id, hlc, json_extract(payload, '$.level') FROM dossier_events "
            f"WHERE kind = 'rated' AND dossier_id IN ({marks})",
            chunk,
        )
        for dossier_id, hlc, level in rows:
            if dossier_id not in latest or hlc > latest[dossier_id][0]:
                latest[dossier_id] = (hlc, level)
    if not latest:
        return None
    dissatisfied = sum(1 for _, level in latest.values() if level == "khong_hai_long")
    return RatingCounts(
        dossiers=max(total.resolved + total.in_progress, len(latest)), dissatisfied_or_complained=dissatisfied
    )


class ReportRepository:
    """Reads ``DossierRecord``s through a unit of work's connection; never writes."""

    def __init__(self, conn: Any):
        self.conn = conn

    def records(
        self, start: dt.datetime, end: dt.datetime, flt: ReportFilter | None = None
    ) -> list[DossierRecord]:
        where, params = _filters(flt or ReportFilter())
        placeholders = ", ".join(f"'{s}'" for s in _NOT_DONE)  # enum values, not user input
        sql = _READ_SQL.format(not_done=placeholders, filters=where)
        params = {**params, "start": start.isoformat(), "end": end.isoformat()}
        return self._read(sql, params)

    def at_risk(self) -> list[DossierRecord]:
        """Open dossiers and results not yet returned, with their events (penalty preview)."""
        statuses = ", ".join(f"'{s}'" for s in _AT_RISK_STATUSES)
        return self._read(_AT_RISK_SQL.format(statuses=statuses), {})

    def _read(self, sql: str, params: dict[str, str]) -> list[DossierRecord]:
        # The driver's cursor directly: one pass over plain tuples, no Row objects; the
        # columns are the store's report reader's (``report_rows._SELECT``).
        return records_from_rows(self.conn.connection.driver_connection.execute(sql, params))


# ---------------------------------------------------------------- from the report rows
# Evaluation of ``desk_app.reports.rows`` rows for one period in SQL (see that module
# for when a row is exact). Parameters: :start, :end, :as_of, :cut (events < cut
# count), :lo = min(start, cut), :lo_long = lo − LONG_LIVED.
_ROW_COLUMNS = (
    "r.dossier_id, r.field, r.channel, r.received_at, r.finished_at, r.finish, r.overdue_from, "
    "r.exact_from, r.regular, r.first_event_at, r.component_files_at, r.result_files_at, "
    "r.components_digitised, r.components_reused, r.result_digitised, r.result_signed, r.rating"
)
# The period's cohort rows the day roll-up does not count (it counts the settled rows
# finished before the cut's day): open at the cut (received in the LONG_LIVED before
# it, or long-lived), finished in the period but not settled, settled but finished
# on the cut's own day, and received at or after the cut (read from their events).
_COHORT = """
SELECT {cols} FROM dossier_report_rows AS r
 WHERE r.received_at >= :cut_long AND r.received_at < :cut AND r.received_at < :end
   AND (r.finished_at IS NULL OR r.finished_at >= :cut) {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r INDEXED BY ix_report_rows_long
 WHERE r.long_lived = 1 AND r.received_at < :cut_long AND r.received_at < :end
   AND (r.finished_at IS NULL OR r.finished_at >= :cut) {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r INDEXED BY ix_report_rows_unsettled_finished
 WHERE r.settled = 0 AND r.finished_at >= :start AND r.finished_at < :cut AND r.received_at < :end {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r INDEXED BY ix_report_rows_finished
 WHERE r.finished_at >= :today AND r.finished_at < :cut AND r.settled = 1 AND r.received_at < :end {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r
 WHERE r.received_at >= :cut AND r.received_at < :end {filters}
"""
# Every cohort row (drill-down lists): received in the period, received in the LONG_LIVED
# before it and not finished before it, and the open or long-lived ones received earlier.
_FULL_COHORT = """
SELECT {cols} FROM dossier_report_rows AS r
 WHERE r.received_at >= :start AND r.received_at < :end {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r
 WHERE r.received_at >= :lo_long AND r.received_at < :start
   AND (r.finished_at IS NULL OR r.finished_at >= :lo) {filters}
UNION ALL
SELECT {cols} FROM dossier_report_rows AS r INDEXED BY ix_report_rows_long
 WHERE r.long_lived = 1 AND r.received_at < :lo_long AND r.received_at < :start
   AND (r.finished_at IS NULL OR r.finished_at >= :lo) {filters}
"""
_DAYS_SQL = """
SELECT field, channel, received_day >= :start_day, finish, sum(n), sum(components_digitised),
       sum(components_reused), sum(digitised), sum(results_digitised), sum(results_signed),
       sum(rated), sum(dissatisfied)
FROM dossier_report_days AS r
WHERE r.finished_day >= :start_day AND r.finished_day < :cut_day AND r.received_day < :end_day {filters}
GROUP BY 1, 2, 3, 4
"""
# A cohort row the SQL cannot judge at this cut (the dossier's events are read instead).
_COHORT_FALLBACK = (
    "(r.received_at >= :cut OR r.exact_from >= :cut OR r.component_files_at >= :cut "
    "OR (ifnull(r.finished_at < :cut, 0) AND r.result_files_at >= :cut))"
)
_IN_COHORT = (
    "(r.received_at < :end AND (r.received_at >= :start OR r.finished_at IS NULL OR r.finished_at >= :lo))"
)
_IRREGULAR = "(r.regular = 0 AND r.exact_from >= :cut AND r.first_event_at < :cut)"
_TALLY_SQL = """
SELECT CASE WHEN {fallback} THEN dossier_id END, field, channel, received_at >= :start,
       CASE WHEN finished_at < :cut THEN finish WHEN overdue_from <= :as_of THEN 'overdue'
            ELSE 'in_time' END AS outcome,
       count(*), sum(components_digitised), sum(components_reused),
       sum(CASE WHEN finished_at < :cut AND finish != 'dropped'
                THEN result_digitised AND components_digitised > 0 ELSE 0 END),
       sum(CASE WHEN finished_at < :cut AND finish != 'dropped' THEN result_digitised ELSE 0 END),
       sum(CASE WHEN finished_at < :cut AND finish != 'dropped' THEN result_signed ELSE 0 END),
       count(rating), sum(rating IS 'khong_hai_long')
FROM ({cohort}) AS r
GROUP BY 1, 2, 3, 4, 5
"""
_IRREGULAR_SQL = """
SELECT r.dossier_id FROM dossier_report_rows AS r INDEXED BY ix_report_rows_irregular
 WHERE {irregular} {filters}
"""
_MARKS_SQL = """
SELECT r.field, m.kind, count(*), count(DISTINCT m.dossier_id)
FROM dossier_report_marks AS m
JOIN dossier_report_rows AS r ON r.dossier_id = m.dossier_id
WHERE m.at >= :start AND m.at < :cut {filters}
  AND NOT ({in_cohort} AND {fallback}) AND NOT {irregular}
GROUP BY 1, 2
"""
_MARK_FIELD = {
    MARK_SUPPLEMENT: "supplement_requests",
    MARK_EXTENSION: "extensions",
    MARK_REFUSAL: "refusals",
    MARK_POST_RETURN: "returned_by_post",
}
_COUNT_EVENTS = frozenset({MARK_SUPPLEMENT, MARK_EXTENSION})  # the others count dossiers


def _row_filters(flt: ReportFilter) -> tuple[str, dict[str, str]]:
    clauses, params = [], {}
    for column, value in (
        ("field", flt.field),
        ("procedure_code", flt.procedure_code),
        ("officer", flt.officer),
        ("channel", flt.channel),
        ("competent_unit", flt.unit),
    ):
        if value:
            clauses.append(f"AND r.{column} = :f_{column}")
            params[f"f_{column}"] = value
    return " ".join(clauses), params


def _period_params(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict[str, str | None]:
    """The SQL parameters of a period; its bounds must be midnights (whole days, ``Period``)."""
    start, end = start.astimezone(VN_TZ), end.astimezone(VN_TZ)
    if start.time() != dt.time(0) or end.time() != dt.time(0):
        raise ValueError("report periods are whole days")
    as_of, cut = cut_of(end, now)
    cut = cut.astimezone(VN_TZ)
    lo = min(start, cut)
    cut_midnight = dt.datetime.combine(cut.date(), dt.time(0), tzinfo=VN_TZ)
    return {
        "start": row_iso(start),
        "end": row_iso(end),
        "as_of": row_iso(as_of),
        "cut": row_iso(cut),
        "lo": row_iso(lo),
        "lo_long": row_iso(lo - LONG_LIVED),
        "cut_long": row_iso(cut - LONG_LIVED),
        "today": row_iso(max(start, cut_midnight)),
        "start_day": start.date().isoformat(),
        "end_day": end.date().isoformat(),
        "cut_day": cut.date().isoformat(),
    }


@dataclass
class RowTallies:
    """What the rows give for a period: tallies by field, ratings, and the dossiers to read."""

    by_field: dict[str, Tally]
    rated: int
    dissatisfied: int
    fallback_ids: list[str]


def row_tallies(
    conn: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime, flt: ReportFilter | None = None
) -> RowTallies:
    """The period's tallies by field from ``dossier_report_rows`` (GROUP BY), except the
    dossiers the rows cannot judge at this cut (``fallback_ids``: read their events)."""
    driver = conn.connection.driver_connection
    filters, fparams = _row_filters(flt or ReportFilter())
    params = {**_period_params(start, end, now), **fparams}
    cohort = _COHORT.format(cols=_ROW_COLUMNS, filters=filters)
    by_field: dict[str, Tally] = {}
    rated = dissatisfied = 0
    rows_sql = _TALLY_SQL.format(cohort=cohort, fallback=_COHORT_FALLBACK)
    days_sql = _DAYS_SQL.format(filters=filters)
    groups = [(None, *g) for g in driver.execute(days_sql, params)]
    groups += driver.execute(rows_sql, params)
    fallback_ids: set[str] = set()
    for fb_id, field, channel, is_new, outcome, n, comps, reused, dig, res, signed, n_rated, n_bad in groups:
        if fb_id is not None:  # the row cannot judge this cut: its events are read instead
            fallback_ids.add(fb_id)
            continue
        t = by_field.get(field)
        if t is None:
            t = by_field[field] = Tally()
        if not is_new:
            t.carried_over += n
        elif channel == Channel.ONLINE.value:
            t.received_online += n
        elif channel == Channel.POST.value:
            t.received_post += n
        else:
            t.received_direct += n
        name = _OUTCOME_COLUMN[outcome]
        setattr(t, name, getattr(t, name) + n)
        t.components_digitised += comps
        t.components_reused += reused
        t.digitised += dig
        t.results_digitised += res
        t.results_signed += signed
        rated += n_rated
        dissatisfied += n_bad
    marks_sql = _MARKS_SQL.format(
        filters=filters, in_cohort=_IN_COHORT, fallback=_COHORT_FALLBACK, irregular=_IRREGULAR
    )
    for field, kind, events, dossiers in driver.execute(marks_sql, params):
        t = by_field.get(field)
        if t is None:
            t = by_field[field] = Tally()
        name = _MARK_FIELD[kind]
        setattr(t, name, getattr(t, name) + (events if kind in _COUNT_EVENTS else dossiers))
    irregular_sql = _IRREGULAR_SQL.format(irregular=_IRREGULAR, filters=filters)
    fallback_ids.update(r[0] for r in driver.execute(irregular_sql, params))
    return RowTallies(by_field, rated, dissatisfied, sorted(fallback_ids))


_OUTCOME_COLUMN = {
    "early": "early",
    "on_time": "on_time",
    "late": "late",
    "dropped": "dropped",
    "overdue": "overdue",
    "in_time": "in_time",
}


def period_tallies(
    conn: Any,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    flt: ReportFilter | None = None,
    rules: Rules = DEFAULT_RULES,
) -> tuple[Tally, dict[str, Tally], RowTallies, list[DossierFacts]]:
    """Total and by-field tallies from the rows plus the fallback dossiers' facts."""
    part = row_tallies(conn, start, end, now, flt)
    records = read_records(conn, part.fallback_ids)
    facts = [dossier_facts(r, start, end, now, rules) for r in records]
    by_field = part.by_field
    for f in facts:
        if flt is None or flt.accepts(f):
            by_field.setdefault(f.field, Tally()).add(f)
    total = Tally()
    for t in by_field.values():
        total.merge(t)
    by_field = {k: v for k, v in sorted(by_field.items()) if v != Tally()}
    return total, by_field, part, facts


_IDS_SQL = """
SELECT r.dossier_id FROM ({cohort}) AS r
UNION
SELECT m.dossier_id FROM dossier_report_marks AS m
JOIN dossier_report_rows AS r ON r.dossier_id = m.dossier_id
WHERE m.at >= :start AND m.at < :cut {filters}
UNION
SELECT r.dossier_id FROM dossier_report_rows AS r INDEXED BY ix_report_rows_irregular
 WHERE {irregular} {filters}
"""
_ROWS_OF_IDS = "SELECT {columns} FROM dossier_report_rows AS r WHERE r.dossier_id IN ({ids})"
_PERIOD_MARKS = "SELECT dossier_id, kind, at, n FROM dossier_report_marks WHERE at >= :start AND at < :cut"


def rows_facts(
    conn: Any,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    flt: ReportFilter | None = None,
    rules: Rules = DEFAULT_RULES,
) -> list[DossierFacts]:
    """Facts of every dossier that counts in the period: from its row where the row can say
    (``rows.facts_from_row``), else from its events (``facts.dossier_facts``)."""
    driver = conn.connection.driver_connection
    filters, fparams = _row_filters(flt or ReportFilter())
    params = {**_period_params(start, end, now), **fparams}
    cohort = _FULL_COHORT.format(cols="r.dossier_id", filters=filters)
    ids_sql = _IDS_SQL.format(cohort=cohort, filters=filters, irregular=_IRREGULAR)
    columns = ", ".join(f"r.{c}" for c in ROW_COLUMNS)
    rows = {
        v[1]: row_from_values(v)
        for v in driver.execute(_ROWS_OF_IDS.format(columns=columns, ids=ids_sql), params)
    }
    # A row answers only when all its events are before the cut: its marks of the period suffice.
    marks: dict[str, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for dossier_id, kind, at, n in driver.execute(_PERIOD_MARKS, params):
        if dossier_id in rows:
            marks[dossier_id].append((n, kind, dt.datetime.fromisoformat(at)))
    out: list[DossierFacts] = []
    missing: list[str] = []
    for dossier_id, row in rows.items():
        listed = marks.get(dossier_id)
        if listed:
            row = replace(row, marks=tuple((kind, at) for _, kind, at in sorted(listed)))
        f = facts_from_row(row, start, end, now)
        if f is None:
            missing.append(dossier_id)
        else:
            out.append(f)
    out += (dossier_facts(r, start, end, now, rules) for r in read_records(conn, missing))
    return sorted(out, key=lambda f: (f.received_at, f.code))


@dataclass(frozen=True)
class Summary:
    period: Period
    as_of: dt.datetime
    total: Tally
    by_field: dict[str, Tally]
    indicators: list[Indicator]
    by_month: list[tuple[str, Tally]]
    queue: dict[str, Any] | None = None  # desk_app.queue.stats GroupStats.to_dict() of the period


class ReportService:
    """What the CLI, the Thống kê tab and the exports call.

    With the default rules the numbers come from the report rows
    (``dossier_report_rows``, one per dossier, kept by the store); with other
    rules from the events, as before.
    """

    def __init__(self, station: Station, rules: Rules = DEFAULT_RULES):
        self.station = station
        self.rules = rules

    @property
    def uses_rows(self) -> bool:
        return self.rules == DEFAULT_RULES  # the rows are computed with the default rules

    def records(self, period: Period, flt: ReportFilter | None = None) -> list[DossierRecord]:
        with self.station.uow(write=False) as uow:
            return ReportRepository(uow.conn).records(period.start, period.end, flt)

    def facts(self, period: Period, flt: ReportFilter | None = None) -> list[DossierFacts]:
        if not self.uses_rows:
            return period_facts(
                self.records(period, flt), period.start, period.end, self.station.now(), self.rules
            )
        with self.station.uow(write=False) as uow:
            return rows_facts(uow.conn, period.start, period.end, self.station.now(), flt, self.rules)

    def summary(
        self, period: Period, flt: ReportFilter | None = None, *, with_months: bool = True
    ) -> Summary:
        if not self.uses_rows:
            return self._summary_from_events(period, flt, with_months)[0]
        now = self.station.now()
        with self.station.uow(write=False) as uow:
            conn = uow.conn
            total, by_field, part, fallback = period_tallies(conn, period.start, period.end, now, flt)
            ratings = self._ratings(conn, part, fallback, total, flt)
            months = []
            if with_months and len(period.months()) > 1:
                for m in period.months():
                    if m.start > now:
                        break
                    months.append((m.label, period_tallies(conn, m.start, m.end, now, flt)[0]))
        return Summary(
            period=period,
            as_of=period.as_of(now),
            total=total,
            by_field=by_field,
            indicators=indicators_766(total, ratings=ratings),
            by_month=months,
            queue=self.queue_figures(period),
        )

    @staticmethod
    def _ratings(
        conn: Any, part: RowTallies, fallback: Sequence[DossierFacts], total: Tally, flt: ReportFilter | None
    ) -> RatingCounts | None:
        """Ratings of the dossiers in the report (5.4): the rows' latest rating of each."""
        rated, dissatisfied = part.rated, part.dissatisfied
        in_report = [f.id for f in fallback if f.in_report and (flt is None or flt.accepts(f))]
        for row in stored_rows(conn, in_report).values():
            if row.rating is not None:
                rated += 1
                dissatisfied += row.rating == "khong_hai_long"
        if not rated:
            return None
        return RatingCounts(
            dossiers=max(total.resolved + total.in_progress, rated), dissatisfied_or_complained=dissatisfied
        )

    def _summary_from_events(
        self, period: Period, flt: ReportFilter | None, with_months: bool
    ) -> tuple[Summary, list[DossierFacts]]:
        """The same numbers from the events (rules other than the rows' own)."""
        now = self.station.now()
        records = self.records(period, flt)
        facts = period_facts(records, period.start, period.end, now, self.rules)
        total = tally(facts, flt)
        with self.station.uow(write=False) as uow:
            ratings = rating_counts(uow.conn, [f.id for f in facts if f.in_report], total)
        months = []
        if with_months and len(period.months()) > 1:
            months = monthly(
                records, ((m.label, m.start, m.end) for m in period.months()), now, flt, self.rules
            )
        by_field = {k: v for k, v in tally_by(facts, lambda f: f.field, flt).items() if v != Tally()}
        summary = Summary(
            period=period,
            as_of=period.as_of(now),
            total=total,
            by_field=by_field,
            indicators=indicators_766(total, ratings=ratings),
            by_month=months,
            queue=self.queue_figures(period),
        )
        return summary, facts

    def queue_figures(self, period: Period) -> dict[str, Any] | None:
        """The station's queue statistics for the period (waiting, service time, service level)."""
        from desk_app.queue.service import QueueService
        from desk_app.queue.stats import stats_for_days

        service = QueueService(self.station.db, self.station.clock, self.station.device_id)
        stats = stats_for_days(service, period.first.isoformat(), period.last.isoformat())
        if not stats.total.issued and not stats.total.walk_in:
            return None  # no queue on this station (or no ticket in the period)
        return {"threshold_min": stats.threshold_min, **stats.total.to_dict()}

    def periodic(self, period: Period, flt: ReportFilter | None = None) -> PeriodicReport:
        """The periodic report (one row per field) for the station's unit."""
        return self._periodic(self.summary(period, flt), flt)

    def analyse(
        self, period: Period, flt: ReportFilter | None = None
    ) -> tuple[PeriodicReport, list[DossierFacts]]:
        """The periodic report and the per-dossier facts behind it (for drill-down lists)."""
        if not self.uses_rows:
            summary, facts = self._summary_from_events(period, flt, True)
            return self._periodic(summary, flt), facts
        return self.periodic(period, flt), self.facts(period, flt)

    def _periodic(self, summary: Summary, flt: ReportFilter | None) -> PeriodicReport:
        unit = self.station.unit
        return PeriodicReport(
            unit_name=unit.name,
            parent_name=unit.parent_name,
            period=summary.period,
            as_of=summary.as_of,
            generated_at=self.station.now(),
            rows=list(summary.by_field.items()),
            total=summary.total,
            indicators=summary.indicators,
            by_month=summary.by_month,
            filter=flt or ReportFilter(),
            queue=summary.queue,
        )

    def at_risk(self) -> list[tuple[DossierRecord, list[PenaltyWarning]]]:
        """Every dossier that would cost points now, with its warnings (oldest received first)."""
        with self.station.uow(write=False) as uow:
            records = ReportRepository(uow.conn).at_risk()
        now = self.station.now()
        out = [(r, penalty_preview(r, now, self.rules)) for r in records]
        return sorted(((r, w) for r, w in out if w), key=lambda item: (item[0].received_at, item[0].code))

    def preview(self, code_or_id: str) -> list[PenaltyWarning]:
        """Penalty preview of one dossier now (its full events, files included)."""
        from desk_app.services.intake import ensure_dossier

        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events: Sequence[DossierEvent] = uow.dossiers.events(dossier.id)
        record = DossierRecord(
            id=dossier.id,
            code=dossier.code,
            field=dossier.field,
            procedure_code=dossier.procedure_code,
            officer=dossier.officer,
            channel=dossier.channel.value,
            received_at=dossier.received_at,
            due_at=dossier.due_at,
            unit_code=dossier.unit_code,
            target_unit_code=dossier.target_unit_code,
            events=tuple(events),
        )
        return penalty_preview(record, self.station.now(), self.rules)
