"""Read a station's dossiers and events for a period, and the report service.

The only part of ``desk_app.reports`` that knows the store. It reads, in one
read transaction, the dossiers that can matter for ``[start, end)``:

* received in the period (index range on ``received_at``), or
* received before it and not finished before it started: still open now, or
  resolved / returned at or after ``start`` (summary columns), or refused /
  stopped / withdrawn (those have no finish time in the summary, so all of
  them are read and the pure rules drop the ones finished earlier),

Cost: the dossier part is a range scan of ``received_at < end`` (the whole
history before the period's end, ~0.1 µs a row in SQLite), the events part one
index lookup per candidate dossier; the Python part is linear in the events
read. A summary row per dossier kept by the writer (resolved / dropped times,
deadline, supplement count) would let a year's report be one indexed GROUP BY
instead; see the benchmark in ``bench/bench_reports.py``.

then their events through the ``(dossier_id, hlc)`` index. The candidate set
is a superset; ``facts.dossier_facts`` decides exactly. Filters on field,
procedure, officer, channel and competent unit are pushed into the SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from desk_app.domain.lifecycle import DossierEvent, EventKind, Status
from desk_app.reports.facts import DEFAULT_RULES, DossierFacts, DossierRecord, Rules, period_facts
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
from desk_app.services.station import Station

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
_KINDS = {k.value: k for k in EventKind}
_FILE_KEYS = ("attachment_id", "role", "component_key", "reused")  # the json_extract paths above


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
        # The driver's cursor directly: one pass over plain tuples, no Row objects.
        cursor = self.conn.connection.driver_connection.execute(sql, params)
        parse = dt.datetime.fromisoformat
        heads: dict[str, tuple[Any, ...]] = {}
        events: dict[str, list[DossierEvent]] = defaultdict(list)
        for row in cursor:
            dossier_id = row[0]
            if dossier_id not in heads:
                heads[dossier_id] = row[:10]
            payload: dict[str, Any] = {}
            if row[14] is not None:
                payload["due_at"] = row[14]
            if row[15] is not None:
                payload["method"] = row[15]
            if row[16] is not None:
                # Only what ``attachments.model.digitisation`` reads (ids, role, component, reused).
                values = json.loads(row[16])
                payload.update((k, v) for k, v in zip(_FILE_KEYS, values, strict=True) if v is not None)
            events[dossier_id].append(
                DossierEvent(row[10], dossier_id, _KINDS[row[11]], parse(row[12]), "", "", row[13], payload)
            )
        return [
            DossierRecord(
                id=r[0],
                code=r[1],
                field=r[2],
                procedure_code=r[3],
                officer=r[4],
                channel=r[5],
                received_at=parse(r[6]),
                due_at=parse(r[7]) if r[7] else None,
                unit_code=r[8],
                target_unit_code=r[9],
                events=events[r[0]],
            )
            for r in heads.values()
        ]


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
    """What the CLI, the Thống kê tab and the exports call."""

    def __init__(self, station: Station, rules: Rules = DEFAULT_RULES):
        self.station = station
        self.rules = rules

    def records(self, period: Period, flt: ReportFilter | None = None) -> list[DossierRecord]:
        with self.station.uow(write=False) as uow:
            return ReportRepository(uow.conn).records(period.start, period.end, flt)

    def facts(self, period: Period, flt: ReportFilter | None = None) -> list[DossierFacts]:
        return period_facts(
            self.records(period, flt), period.start, period.end, self.station.now(), self.rules
        )

    def summary(
        self, period: Period, flt: ReportFilter | None = None, *, with_months: bool = True
    ) -> Summary:
        return self._summary(period, flt, with_months)[0]

    def _summary(
        self, period: Period, flt: ReportFilter | None, with_months: bool
    ) -> tuple[Summary, list[DossierFacts]]:
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
        summary = Summary(
            period=period,
            as_of=period.as_of(now),
            total=total,
            by_field=tally_by(facts, lambda f: f.field, flt),
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
        return self.analyse(period, flt)[0]

    def analyse(
        self, period: Period, flt: ReportFilter | None = None
    ) -> tuple[PeriodicReport, list[DossierFacts]]:
        """The periodic report and the per-dossier facts behind it (for drill-down lists)."""
        summary, facts = self._summary(period, flt, True)
        unit = self.station.unit
        report = PeriodicReport(
            unit_name=unit.name,
            parent_name=unit.parent_name,
            period=period,
            as_of=summary.as_of,
            generated_at=self.station.now(),
            rows=list(summary.by_field.items()),
            total=summary.total,
            indicators=summary.indicators,
            by_month=summary.by_month,
            filter=flt or ReportFilter(),
            queue=summary.queue,
        )
        return report, facts

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
