"""The station's report rows (``dossier_report_rows``, ``dossier_report_marks``): read and write.

A dossier's row is rebuilt from its events (``desk_app.reports.rows.report_row``)
by the transaction that appends an event to it: the unit of work refreshes the
rows of the dossiers it touched just before it commits, and the sync apply
path touches the dossiers of the events it pulled. Migration 0006 fills the
tables for the dossiers that existed before (``backfill``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.reports.facts import DossierRecord
from desk_app.reports.rows import ReportRow, report_row
from desk_app.workcalendar import VN_TZ

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...)
BACKFILL_BATCH = 5000

_KINDS = {k.value: k for k in EventKind}
_FILE_KEYS = ("attachment_id", "role", "component_key", "reused")

# One row per event, the dossier's head repeated; only what the rules read of each payload.
_SELECT = """
SELECT d.id, d.code, d.field, d.procedure_code, d.officer, d.channel, d.received_at, d.due_at,
       d.unit_code, d.target_unit_code,
       e.id, e.kind, e.at, e.hlc,
       CASE WHEN e.kind IN ('received', 'supplemented', 'fees_paid', 'extended')
            THEN json_extract(e.payload, '$.due_at') END,
       CASE WHEN e.kind = 'returned' THEN json_extract(e.payload, '$.method')
            WHEN e.kind = 'rated' THEN json_extract(e.payload, '$.level') END,
       CASE WHEN e.kind IN ('attached', 'detached', 'result_signed')
            THEN json_extract(e.payload, '$.attachment_id', '$.role', '$.component_key', '$.reused') END
FROM dossiers AS d
JOIN dossier_events AS e ON e.dossier_id = d.id AND e.kind != 'note'
"""

ROW_COLUMNS = (
    "received_at",
    "dossier_id",
    "code",
    "field",
    "procedure_code",
    "officer",
    "channel",
    "competent_unit",
    "first_event_at",
    "last_event_at",
    "regular",
    "exact_from",
    "finished_at",
    "finish",
    "resolved_at",
    "dropped_at",
    "overdue_from",
    "deadline",
    "appointment",
    "paused_since",
    "supplement_requests",
    "over_limit_at",
    "conflicts",
    "flags",
    "components_digitised",
    "components_reused",
    "result_digitised",
    "result_signed",
    "component_files_at",
    "result_files_at",
    "rating",
    "long_lived",
    "settled",
)
_INSERT_ROW = (
    f"INSERT INTO dossier_report_rows ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
)
_INSERT_MARK = "INSERT INTO dossier_report_marks (at, dossier_id, kind, n) VALUES (?, ?, ?, ?)"


def iso(value: dt.datetime | None) -> str | None:
    """Every time of the report tables in Vietnam time: one offset keeps text order = time order."""
    return None if value is None else value.astimezone(VN_TZ).isoformat()


def _driver(conn: Any) -> Any:
    """The sqlite3 connection under a SQLAlchemy connection (or the sqlite3 connection itself)."""
    connection = getattr(conn, "connection", None)
    return conn if connection is None else connection.driver_connection


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def records_from_rows(rows: Iterable[Sequence[Any]]) -> list[DossierRecord]:
    """``DossierRecord``s from the rows of ``_SELECT`` (grouped by dossier, in first-seen order)."""
    parse = dt.datetime.fromisoformat
    heads: dict[str, Sequence[Any]] = {}
    events: dict[str, list[DossierEvent]] = defaultdict(list)
    for row in rows:
        dossier_id = row[0]
        if dossier_id not in heads:
            heads[dossier_id] = row[:10]
        kind = _KINDS[row[11]]
        payload: dict[str, Any] = {}
        if row[14] is not None:
            payload["due_at"] = row[14]
        if row[15] is not None:
            payload["level" if kind is EventKind.RATED else "method"] = row[15]
        if row[16] is not None:
            values = json.loads(row[16])
            payload.update((k, v) for k, v in zip(_FILE_KEYS, values, strict=True) if v is not None)
        events[dossier_id].append(
            DossierEvent(row[10], dossier_id, kind, parse(row[12]), "", "", row[13], payload)
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
            events=tuple(events[r[0]]),
        )
        for r in heads.values()
    ]


def read_records(conn: Any, dossier_ids: Iterable[str]) -> list[DossierRecord]:
    """The dossiers' records with every event the reports read (ratings included)."""
    driver = _driver(conn)
    ids = sorted(set(dossier_ids))
    out: list[DossierRecord] = []
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        out += records_from_rows(driver.execute(_SELECT + f"WHERE d.id IN ({marks})", list(chunk)))
    return out


def row_values(row: ReportRow) -> tuple[Any, ...]:
    return (
        iso(row.received_at),
        row.dossier_id,
        row.code,
        row.field,
        row.procedure_code,
        row.officer,
        row.channel,
        row.competent_unit,
        iso(row.first_event_at),
        iso(row.last_event_at),
        int(row.regular),
        iso(row.exact_from),
        iso(row.finished_at),
        row.finish,
        iso(row.resolved_at),
        iso(row.dropped_at),
        iso(row.overdue_from),
        iso(row.deadline),
        iso(row.appointment),
        iso(row.paused_since),
        row.supplement_requests,
        iso(row.over_limit_at),
        row.conflicts,
        " ".join(row.flags),
        row.components_digitised,
        row.components_reused,
        int(row.result_digitised),
        int(row.result_signed),
        iso(row.component_files_at) or "",  # "" sorts before every time: no file event
        iso(row.result_files_at) or "",
        row.rating,
        int(row.long_lived),
        int(row.settled),
    )


def row_from_values(values: Sequence[Any]) -> ReportRow:
    """The inverse of ``row_values`` (marks not included)."""
    v = dict(zip(ROW_COLUMNS, values, strict=True))

    def t(name: str) -> dt.datetime | None:
        text = v[name]
        return dt.datetime.fromisoformat(text) if text else None

    return ReportRow(
        dossier_id=v["dossier_id"],
        code=v["code"],
        field=v["field"],
        procedure_code=v["procedure_code"],
        officer=v["officer"],
        channel=v["channel"],
        competent_unit=v["competent_unit"],
        received_at=dt.datetime.fromisoformat(v["received_at"]),
        first_event_at=dt.datetime.fromisoformat(v["first_event_at"]),
        last_event_at=dt.datetime.fromisoformat(v["last_event_at"]),
        regular=bool(v["regular"]),
        finished_at=t("finished_at"),
        finish=v["finish"],
        resolved_at=t("resolved_at"),
        dropped_at=t("dropped_at"),
        overdue_from=t("overdue_from"),
        deadline=t("deadline"),
        appointment=t("appointment"),
        paused_since=t("paused_since"),
        supplement_requests=v["supplement_requests"],
        over_limit_at=t("over_limit_at"),
        conflicts=v["conflicts"],
        flags=tuple(v["flags"].split()),
        components_digitised=v["components_digitised"],
        components_reused=v["components_reused"],
        result_digitised=bool(v["result_digitised"]),
        result_signed=bool(v["result_signed"]),
        component_files_at=t("component_files_at"),
        result_files_at=t("result_files_at"),
        rating=v["rating"],
    )


# The day roll-up of the settled rows: one line per received day, finished day and the
# values a tally groups or filters by; the sums a tally adds.
DAY_KEYS = (
    "received_day",
    "finished_day",
    "field",
    "channel",
    "procedure_code",
    "officer",
    "competent_unit",
    "finish",
)
DAY_SUMS = (
    "n",
    "components_digitised",
    "components_reused",
    "digitised",
    "results_digitised",
    "results_signed",
    "rated",
    "dissatisfied",
)
_DAY_UPSERT = (
    f"INSERT INTO dossier_report_days ({', '.join(DAY_KEYS + DAY_SUMS)}) "
    f"VALUES ({', '.join('?' * (len(DAY_KEYS) + len(DAY_SUMS)))}) "
    f"ON CONFLICT ({', '.join(DAY_KEYS)}) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in DAY_SUMS)
)
_DAY_PRUNE = f"DELETE FROM dossier_report_days WHERE {' AND '.join(f'{c} = ?' for c in DAY_KEYS)} AND n = 0"


def _day(value: dt.datetime) -> str:
    return value.astimezone(VN_TZ).date().isoformat()


def day_entry(row: ReportRow) -> tuple[tuple[Any, ...], tuple[int, ...]] | None:
    """The row's key and sums in the day roll-up; ``None`` unless the row is settled."""
    if not row.settled or row.finished_at is None:
        return None
    resolved = row.finish != "dropped"
    key = (
        _day(row.received_at),
        _day(row.finished_at),
        row.field,
        row.channel,
        row.procedure_code,
        row.officer,
        row.competent_unit,
        row.finish,
    )
    sums = (
        1,
        row.components_digitised,
        row.components_reused,
        int(resolved and row.result_digitised and row.components_digitised > 0),
        int(resolved and row.result_digitised),
        int(resolved and row.result_signed),
        int(row.rating is not None),
        int(row.rating == "khong_hai_long"),
    )
    return key, sums


def _adjust_days(driver: Any, entries: Iterable[tuple[tuple[Any, ...], tuple[int, ...]]], sign: int) -> None:
    totals: dict[tuple[Any, ...], list[int]] = {}
    for key, sums in entries:
        acc = totals.setdefault(key, [0] * len(DAY_SUMS))
        for i, v in enumerate(sums):
            acc[i] += sign * v
    driver.executemany(_DAY_UPSERT, [key + tuple(acc) for key, acc in totals.items()])
    if sign < 0:
        driver.executemany(_DAY_PRUNE, list(totals))


def _old_entries(driver: Any, ids: Sequence[str]) -> list[tuple[tuple[Any, ...], tuple[int, ...]]]:
    out = []
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        sql = (
            f"SELECT {', '.join(ROW_COLUMNS)} FROM dossier_report_rows "
            f"WHERE settled = 1 AND dossier_id IN ({marks})"
        )
        for values in driver.execute(sql, list(chunk)):
            entry = day_entry(row_from_values(values))
            if entry is not None:
                out.append(entry)
    return out


def mark_values(row: ReportRow) -> list[tuple[str | None, str, str, int]]:
    return [(iso(at), row.dossier_id, kind, n) for n, (kind, at) in enumerate(row.marks)]


def write_rows(conn: Any, rows: Sequence[ReportRow], replace: bool = True) -> None:
    """Insert (or replace) the rows and their marks."""
    driver = _driver(conn)
    if replace:
        ids = [r.dossier_id for r in rows]
        _adjust_days(driver, _old_entries(driver, ids), -1)
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            driver.execute(f"DELETE FROM dossier_report_rows WHERE dossier_id IN ({marks})", list(chunk))
            driver.execute(f"DELETE FROM dossier_report_marks WHERE dossier_id IN ({marks})", list(chunk))
    driver.executemany(_INSERT_ROW, [row_values(r) for r in rows])
    driver.executemany(_INSERT_MARK, [m for r in rows for m in mark_values(r)])
    _adjust_days(driver, (e for e in map(day_entry, rows) if e is not None), +1)


def refresh(conn: Any, dossier_ids: Iterable[str]) -> int:
    """Rebuild the rows of these dossiers from their events (same transaction). Returns rows written."""
    ids = sorted(set(dossier_ids))
    if not ids:
        return 0
    rows: list[ReportRow] = []
    kept: set[str] = set()
    for record in read_records(conn, ids):
        try:
            row = report_row(record)
        except Exception as exc:  # noqa: BLE001 - the events must be stored even if a report row can't be
            # A bug in the report rules must not cost the counter its dossier: the event is
            # committed, the dossier's previous row stays, and the log names the dossier.
            log.error("report row not rebuilt", extra={"dossier": record.id, "error": type(exc).__name__})
            kept.add(record.id)
            continue
        if row is not None:
            rows.append(row)
    driver = _driver(conn)
    written = {r.dossier_id for r in rows}
    gone = [i for i in ids if i not in written and i not in kept]  # no reported event (any more): no row
    _adjust_days(driver, _old_entries(driver, gone), -1)
    for chunk in _chunks(gone):
        marks = ", ".join("?" * len(chunk))
        driver.execute(f"DELETE FROM dossier_report_rows WHERE dossier_id IN ({marks})", list(chunk))
        driver.execute(f"DELETE FROM dossier_report_marks WHERE dossier_id IN ({marks})", list(chunk))
    write_rows(conn, rows)
    return len(rows)


def stored_rows(conn: Any, dossier_ids: Iterable[str] | None = None) -> dict[str, ReportRow]:
    """Rows as stored, with their marks (tests and the fallback's rating lookup)."""
    driver = _driver(conn)
    queries: list[tuple[str, list[str]]] = [("", [])]
    if dossier_ids is not None:
        ids = sorted(set(dossier_ids))
        queries = [
            (f" WHERE dossier_id IN ({', '.join('?' * len(chunk))})", list(chunk)) for chunk in _chunks(ids)
        ]
    rows: dict[str, ReportRow] = {}
    marks: dict[str, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for where, params in queries:
        for v in driver.execute(f"SELECT {', '.join(ROW_COLUMNS)} FROM dossier_report_rows{where}", params):
            rows[v[1]] = row_from_values(v)
        for at, dossier_id, kind, n in driver.execute(
            f"SELECT at, dossier_id, kind, n FROM dossier_report_marks{where}", params
        ):
            marks[dossier_id].append((n, kind, dt.datetime.fromisoformat(at)))
    out = {}
    for dossier_id, row in rows.items():
        ordered = tuple((kind, at) for _, kind, at in sorted(marks.get(dossier_id, [])))
        out[dossier_id] = _with_marks(row, ordered)
    return out


def _with_marks(row: ReportRow, marks: tuple[tuple[str, dt.datetime], ...]) -> ReportRow:
    from dataclasses import replace

    return replace(row, marks=marks)


def backfill(conn: Any, batch: int = BACKFILL_BATCH, progress: Any = None) -> int:
    """Rows for every dossier, ``batch`` dossiers at a time (migration 0006). Returns rows written."""
    driver = _driver(conn)
    written = 0
    last = -1
    while True:
        bounds = driver.execute(
            "SELECT min(rowid), max(rowid) FROM (SELECT rowid FROM dossiers WHERE rowid > ? "
            "ORDER BY rowid LIMIT ?)",
            (last, batch),
        ).fetchone()
        if bounds[0] is None:
            return written
        low, high = bounds
        records = records_from_rows(
            driver.execute(_SELECT + "WHERE d.rowid BETWEEN ? AND ? ORDER BY d.rowid", (low, high))
        )
        rows = [row for row in map(report_row, records) if row is not None]
        write_rows(conn, rows, replace=False)
        written += len(rows)
        last = high
        if progress is not None:
            progress(written)
