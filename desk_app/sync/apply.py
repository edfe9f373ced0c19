"""Apply pulled changes to a station database (one transaction per page).

Events merge by union: an event already present is skipped, a new one is
inserted; the RECEIVED event's payload carries the dossier and applicant rows
so a dossier first seen here can be created from the stream alone. Every
touched dossier is re-folded in HLC order and its summary columns and event
conflict flags rewritten.

Nothing from the server is trusted blindly: every change is checked with the
shared wire schema (``desk_app.domain.wire``) and events whose clock runs too
far ahead of ours are refused. A bad change is **quarantined** (kept in
``meta.sync_quarantine`` with a Vietnamese reason shown to staff) and the rest
of the page is applied, so one bad change never stalls the cursor. If a page
still fails in the database, it is applied again change by change, each in its
own savepoint, and the change that fails is quarantined.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from desk_app.domain import wire
from desk_app.domain.lifecycle import DossierEvent, fold
from desk_app.hlc import MAX_AHEAD_MS, ClockTooFarAhead
from desk_app.services.station import Station
from desk_app.store import schema as s
from desk_app.store.repositories import event_from_row, summary_values
from desk_app.store.uow import UnitOfWork
from desk_app.textfold import fold as fold_text

log = logging.getLogger("desk_app.sync.apply")

_DOSSIER_COLUMNS = {c.name for c in s.dossiers.columns}
_APPLICANT_COLUMNS = {c.name for c in s.applicants.columns}
CHUNK = 900  # SQLite bound-parameter budget per IN (...)
META_QUARANTINE = "sync_quarantine"
MAX_QUARANTINE = 500  # entries kept (oldest dropped, and logged)


@dataclass
class ApplyReport:
    events: int = 0  # new events stored
    duplicates: int = 0
    dossiers_created: int = 0
    dossiers_refolded: int = 0
    conflicts: int = 0
    calendar: int = 0
    procedures: int = 0
    skipped: int = 0  # kinds this station does not keep (queue ticket events, …)
    quarantined: int = 0  # bad changes kept aside with a reason (``quarantine``)
    orphans: list[str] = field(default_factory=list)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def quarantine(uow: UnitOfWork, change: Any, reason: str) -> None:
    """Keep a change this station cannot apply, with a reason for staff (never dropped silently)."""
    seq = change.get("seq") if isinstance(change, dict) else None
    kind = change.get("kind") if isinstance(change, dict) else None
    log.warning("pulled change seq=%s kind=%.40s quarantined: %s", seq, kind, reason)
    kept = uow.meta.get_json(META_QUARANTINE, []) or []
    kept.append(
        {
            "seq": seq if isinstance(seq, int) else None,
            "kind": str(kind)[:40] if kind is not None else "",
            "reason": reason,
            "change": _dumps(change)[:100_000],
        }
    )
    if len(kept) > MAX_QUARANTINE:
        log.warning("quarantine full: %d oldest entries dropped", len(kept) - MAX_QUARANTINE)
        kept = kept[-MAX_QUARANTINE:]
    uow.meta.set_json(META_QUARANTINE, kept)


def quarantined(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The changes kept aside, oldest first: ``seq``, ``kind``, ``reason`` (Vietnamese), ``change``."""
    return list(uow.meta.get_json(META_QUARANTINE, []) or [])


def apply_changes(uow: UnitOfWork, station: Station, changes: Sequence[Any]) -> ApplyReport:
    """Apply one page. Bad changes are quarantined; the rest always applies (see the module doc)."""
    report = ApplyReport()
    good: list[dict[str, Any]] = []
    wall = station.hlc.wall_ms()
    for ch in changes:
        kind = ch.get("kind") if isinstance(ch, dict) else None
        if isinstance(kind, str) and kind not in wire.PULLED_KINDS:
            report.skipped += 1  # a kind this version does not know: not ours to judge
            continue
        try:
            wire.check_pulled(kind, ch.get("payload") if isinstance(ch, dict) else None)
        except wire.WireError as exc:
            quarantine(uow, ch, str(exc))
            report.quarantined += 1
            continue
        if kind == "event":
            ahead = wire.clock_ahead_reason(ch["payload"]["hlc"], wall, MAX_AHEAD_MS)
            if ahead:
                quarantine(uow, ch, ahead)
                report.quarantined += 1
                continue
        good.append(ch)
    try:
        with uow.conn.begin_nested():
            part = _apply_checked(uow, station, good)
    except (SQLAlchemyError, ValueError, KeyError, TypeError, ClockTooFarAhead) as exc:
        log.warning("page could not be applied at once (%s); applying change by change", type(exc).__name__)
        part = ApplyReport()
        for ch in good:
            try:
                with uow.conn.begin_nested():
                    _merge_report(part, _apply_checked(uow, station, [ch]))
            except (SQLAlchemyError, ValueError, KeyError, TypeError, ClockTooFarAhead) as one:
                quarantine(uow, ch, f"Không áp dụng được vào cơ sở dữ liệu của trạm ({type(one).__name__}).")
                part.quarantined += 1
    _merge_report(report, part)
    return report


def _merge_report(total: ApplyReport, part: ApplyReport) -> None:
    for name in (
        "events",
        "duplicates",
        "dossiers_created",
        "dossiers_refolded",
        "conflicts",
        "calendar",
        "procedures",
        "skipped",
        "quarantined",
    ):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.orphans.extend(part.orphans)


# kind -> how a checked change of that kind is applied (events are applied together, below)
APPLIERS: dict[str, Any] = {}


def _apply_checked(uow: UnitOfWork, station: Station, changes: Sequence[dict[str, Any]]) -> ApplyReport:
    report = ApplyReport()
    conn = uow.conn
    events: dict[str, dict[str, Any]] = {}
    for ch in changes:
        kind, payload = ch["kind"], ch["payload"]
        if kind == "event":
            events.setdefault(payload["id"], payload)
        elif kind in APPLIERS:
            counter = APPLIERS[kind](uow, station, payload)
            setattr(report, counter, getattr(report, counter) + 1)
        else:
            report.skipped += 1
    if report.calendar:
        station.invalidate_calendar()
    if not events:
        return report

    ids = list(events)
    present: set[str] = set()
    for chunk in _chunks(ids):
        present.update(
            conn.execute(select(s.dossier_events.c.id).where(s.dossier_events.c.id.in_(chunk))).scalars()
        )
    new = [events[i] for i in ids if i not in present]
    report.duplicates = len(ids) - len(new)
    if not new:
        return report

    dossier_ids = list({e["dossier_id"] for e in new})
    known: set[str] = set()
    for chunk in _chunks(dossier_ids):
        known.update(conn.execute(select(s.dossiers.c.id).where(s.dossiers.c.id.in_(chunk))).scalars())
    dossier_rows: dict[str, dict[str, Any]] = {}
    applicant_rows: list[dict[str, Any]] = []
    folded: dict[str, str] = {}  # one page often folds the same name twice (applicant, dossier)
    for e in new:
        if e["kind"] == "received" and e["dossier_id"] not in known:
            body = e.get("payload") or {}
            d, a = body.get("dossier"), body.get("applicant")
            if isinstance(d, dict) and isinstance(a, dict):
                applicant_rows.append(_applicant_row(a, e, folded))
                dossier_rows[e["dossier_id"]] = _dossier_row(d, e, folded)
                known.add(e["dossier_id"])
    storable: list[dict[str, Any]] = []
    for e in new:
        if e["dossier_id"] in known:
            storable.append(e)
        else:  # cannot happen with the server's ordering; kept visible in the log, cursor still moves
            report.orphans.append(e["id"])
            log.error("pulled event %s for unknown dossier %s", e["id"], e["dossier_id"])
    # Dossiers created by this page have no other local events: fold them from memory
    # *before* writing, so their rows go in with the final summary columns and their
    # events with their conflict flags (no UPDATE afterwards).
    in_memory: dict[str, list[DossierEvent]] = {}
    for e in storable:
        if e["dossier_id"] in dossier_rows:
            in_memory.setdefault(e["dossier_id"], []).append(_event(e))
    flags: dict[str, str] = {}
    for dossier_id, evs in in_memory.items():
        state = fold(evs)
        dossier_rows[dossier_id].update(summary_values(state))
        for c in state.conflicts:
            flags[c.event_id] = c.message
    report.conflicts = len(flags)
    if applicant_rows:
        _insert_rows(conn, s.applicants, applicant_rows, "INSERT OR IGNORE")
    if dossier_rows:
        _insert_rows(conn, s.dossiers, list(dossier_rows.values()), "INSERT")
        report.dossiers_created = len(dossier_rows)
    if storable:
        conn.exec_driver_sql(
            "INSERT INTO dossier_events (id, dossier_id, kind, at, actor, device_id, hlc, payload, conflict) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e["id"],
                    e["dossier_id"],
                    e["kind"],
                    e["at"],
                    e["actor"],
                    e["device_id"],
                    e["hlc"],
                    _dumps(e.get("payload") or {}),
                    flags.get(e["id"]),
                )
                for e in storable
            ],
        )
        station.hlc.observe(max(e["hlc"] for e in storable))
    report.events = len(storable)
    # Dossiers that already had local events: read their whole history back and re-fold.
    touched = {e["dossier_id"] for e in storable}
    uow.touch_dossiers(touched)  # their report rows are rebuilt before the page commits
    report.conflicts += refold(uow, touched - set(in_memory))
    report.dossiers_refolded = len(touched)
    return report


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # the store's JSON serialiser


class _RowShape:
    """How ``insert(table)`` fills a row: every column, the column default for a missing
    key, JSON columns encoded like the store's own serialiser."""

    def __init__(self, table: Any):
        names = [c.name for c in table.columns]
        self.base = {
            c.name: (c.default.arg if c.default is not None and c.default.is_scalar else None)
            for c in table.columns
        }
        self.getter = operator.itemgetter(*names)
        self.json_at = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
        self.columns = ", ".join(names)
        self.marks = ", ".join("?" for _ in names)

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        values = self.getter(self.base | row)
        if not self.json_at:
            return tuple(values)
        out = list(values)
        for i in self.json_at:
            out[i] = _dumps(out[i])
        return tuple(out)


_SHAPES: dict[str, _RowShape] = {}


def _insert_rows(conn: Any, table: Any, rows: list[dict[str, Any]], verb: str) -> None:
    """Bulk insert of dict rows straight through the driver (SQLAlchemy's per-row
    parameter processing cost more than SQLite's own insert)."""
    shape = _SHAPES.get(table.name)
    if shape is None:
        shape = _SHAPES[table.name] = _RowShape(table)
    conn.exec_driver_sql(
        f"{verb} INTO {table.name} ({shape.columns}) VALUES ({shape.marks})",
        [shape.values(row) for row in rows],
    )


_event = wire.decode_event


def _fold_cached(value: str, cache: dict[str, str]) -> str:
    folded = cache.get(value)
    if folded is None:
        folded = cache[value] = fold_text(value)
    return folded


def _applicant_row(
    snapshot: dict[str, Any], event: dict[str, Any], folded: dict[str, str] | None = None
) -> dict[str, Any]:
    """The RECEIVED snapshot leaves out what a station derives itself; derive it."""
    row = {k: v for k, v in snapshot.items() if k in _APPLICANT_COLUMNS}
    if "name_folded" not in row:
        row["name_folded"] = _fold_cached(str(row.get("full_name", "")), folded if folded is not None else {})
    row.setdefault("updated_at", event["at"])
    return row


def _dossier_row(
    snapshot: dict[str, Any], event: dict[str, Any], folded: dict[str, str] | None = None
) -> dict[str, Any]:
    row = {k: v for k, v in snapshot.items() if k in _DOSSIER_COLUMNS}
    if "applicant_name_folded" not in row:
        row["applicant_name_folded"] = _fold_cached(
            str(row.get("applicant_name", "")), folded if folded is not None else {}
        )
    row.setdefault("status", "received")
    row.setdefault("due_at", (event.get("payload") or {}).get("due_at") or row.get("received_at"))
    row.setdefault("extensions", 0)
    row.setdefault("has_conflict", False)
    row.setdefault("last_hlc", "")
    row.setdefault("extra", {})
    row.setdefault("components", [])
    return row  # summary columns come from the fold (``apply_changes``)


def refold(
    uow: UnitOfWork, dossier_ids: Iterable[str], in_memory: dict[str, list[DossierEvent]] | None = None
) -> int:
    """Re-fold dossiers: summary columns and per-event conflict flags. Returns the conflicts found.

    ``in_memory`` holds the complete, freshly inserted (unflagged) history of some
    dossiers, which then need no read back.
    """
    conn = uow.conn
    by_dossier: dict[str, list[Any]] = dict(in_memory or {})
    ids = [d for d in dossier_ids if d not in by_dossier]
    flags: dict[str, str | None] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(s.dossier_events).where(s.dossier_events.c.dossier_id.in_(chunk))):
            by_dossier.setdefault(row.dossier_id, []).append(event_from_row(row))
            flags[row.id] = row.conflict
    summaries, flag_updates = [], []
    total = 0
    for dossier_id, evs in by_dossier.items():
        state = fold(evs)
        summaries.append({"_id": dossier_id, **{"v_" + k: v for k, v in summary_values(state).items()}})
        wanted = {c.event_id: c.message for c in state.conflicts}
        total += len(wanted)
        for e in evs:
            if flags.get(e.id) != wanted.get(e.id):
                flag_updates.append({"_id": e.id, "v_conflict": wanted.get(e.id)})
    if summaries:
        keys = [k for k in summaries[0] if k != "_id"]
        conn.exec_driver_sql(
            "UPDATE dossiers SET " + ", ".join(f"{k[2:]} = ?" for k in keys) + " WHERE id = ?",
            [tuple(row[k] for k in keys) + (row["_id"],) for row in summaries],
        )
    if flag_updates:
        conn.execute(
            update(s.dossier_events)
            .where(s.dossier_events.c.id == bindparam("_id"))
            .values(conflict=bindparam("v_conflict")),
            flag_updates,
        )
    return total


def _apply_calendar(uow: UnitOfWork, _station: Station, payload: dict[str, Any]) -> str:
    from desk_app.workcalendar import DECISION_SOURCE_PREFIX

    day = dt.date.fromisoformat(payload["day"])
    decision = payload.get("decision", "")
    if not isinstance(decision, str) or len(decision) > 200:
        decision = ""  # malformed reference: keep the day, as a plain server override
    if payload["kind"] == "clear":
        uow.calendar.remove(day)
    else:  # server-authoritative: overwrites a local override of the same day
        # A government decision keeps its document in the source: the station's
        # calendar puts it in the decisions' layer (see WorkCalendar.from_overrides).
        source = DECISION_SOURCE_PREFIX + decision.strip() if decision.strip() else "server"
        uow.calendar.set(day, payload["kind"], payload.get("note", ""), source=source)
    return "calendar"


def _apply_procedure(uow: UnitOfWork, station: Station, payload: dict[str, Any]) -> str:
    from desk_app.formats.catalog_files import procedure_from_dict
    from desk_app.store.repositories import iso

    uow.procedures.upsert_many([procedure_from_dict(payload)], iso(station.now()) or "")
    return "procedures"


APPLIERS.update({"calendar": _apply_calendar, "procedure": _apply_procedure})
