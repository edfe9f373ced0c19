"""Helpers for the roll-up tests: store hand-made or generated histories on a central
server, and compare the fast reporting contract with the reference (the oracle)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from central import reporting
from central import service as svc
from desk_app.domain import wire
from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.reports.facts import DossierRecord
from desk_app.reports.indicators import CELLS, Tally
from desk_app.reports.periods import Period

UNITS = ("000.21.31.H56", "000.22.31.H56")


def snapshot(rec: DossierRecord, due: dt.datetime | None) -> dict[str, Any]:
    return {
        "id": rec.id,
        "code": rec.code,
        "unit_code": rec.unit_code,
        "target_unit_code": rec.target_unit_code,
        "procedure_code": rec.procedure_code,
        "procedure_name": "Đăng ký khai sinh",
        "field": rec.field,
        "applicant_name": f"Người {rec.code}",
        "channel": rec.channel,
        "received_at": rec.received_at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "officer": rec.officer,
    }


def change_rows(rec: DossierRecord, device: str = "") -> list[dict[str, Any]]:
    """The change-log rows the server would hold for the record's events."""
    rows = []
    for e in rec.events:
        payload = dict(e.payload)
        if e.kind is EventKind.RECEIVED:
            due = payload.get("due_at")
            payload["dossier"] = snapshot(rec, dt.datetime.fromisoformat(str(due)) if due else rec.due_at)
        wire_event = wire.encode_event(
            DossierEvent(e.id, e.dossier_id, e.kind, e.at, e.actor, e.device_id, e.hlc, payload)
        )
        rows.append(
            {
                "change_id": e.id,
                "kind": "event",
                "unit_code": rec.unit_code,
                "target_unit_code": rec.target_unit_code,
                "dossier_id": rec.id,
                "device_id": device,
                "payload": json.dumps(wire_event, ensure_ascii=False),
                "created_at": "2026-11-25T02:00:00.000+00:00",
            }
        )
    return rows


def store_in_batches(store: svc.Store, batches: Iterable[Sequence[dict[str, Any]]]) -> None:
    """Append the rows batch by batch, each in its own transaction (as pushes arrive)."""
    for batch in batches:
        with store.write() as conn:
            svc.append_changes(store, conn, list(batch))


def add_dossier_rows(store: svc.Store, records: Sequence[DossierRecord]) -> None:
    from sqlalchemy import insert

    from central import models as m

    with store.write() as conn:
        conn.execute(
            insert(m.dossiers),
            [
                {
                    "id": r.id,
                    "code": r.code,
                    "unit_code": r.unit_code,
                    "target_unit_code": r.target_unit_code,
                    "received_at": r.received_at.isoformat(),
                    "device_id": "",
                }
                for r in records
            ],
        )


def values(t: Tally) -> dict[str, int]:
    return t.as_dict()


def nonzero_rows(rows: Sequence[tuple[str, Tally]]) -> list[tuple[str, dict[str, int]]]:
    return [(f, values(t)) for f, t in rows if any(values(t).values())]


def assert_same(
    store: svc.Store, periods: Sequence[Period], nows: Sequence[dt.datetime], cells: bool
) -> None:
    """Every contract function equals its reference for every period, ``now`` and unit."""
    for now in nows:
        for unit in UNITS:
            assert reporting.overdue_dossiers(store, unit, now) == reporting.reference_overdue_dossiers(
                store, unit, now
            ), (unit, now)
            assert reporting.at_risk(store, unit, now) == reporting.reference_at_risk(store, unit, now), (
                unit,
                now,
            )
        for period in periods:
            if now < period.start:
                continue
            fast = reporting.scorecards(store, period, now)
            slow = reporting.reference_scorecards(store, period, now)
            assert [(c.unit_code, values(c.total), c.overdue_now) for c in fast] == [
                (c.unit_code, values(c.total), c.overdue_now) for c in slow
            ], (period, now)
            assert [c.indicators for c in fast] == [c.indicators for c in slow], (period, now)
            for unit in (None, *UNITS):
                a = reporting.periodic(store, period, now, unit)
                b = reporting.reference_periodic(store, period, now, unit)
                assert nonzero_rows(a.rows) == nonzero_rows(b.rows), (period, now, unit)
                assert values(a.total) == values(b.total), (period, now, unit)
                assert a.indicators == b.indicators, (period, now, unit)
            if cells:
                for unit in UNITS:
                    for cell in CELLS:
                        assert reporting.cell_dossiers(
                            store, period, now, unit, cell
                        ) == reporting.reference_cell_dossiers(store, period, now, unit, cell), (
                            period,
                            now,
                            unit,
                            cell,
                        )
