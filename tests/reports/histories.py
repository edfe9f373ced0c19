"""Hand-made event histories for the report rules (no database)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from desk_app.domain.lifecycle import DossierEvent, EventKind, Status
from desk_app.reports.facts import DossierRecord
from desk_app.workcalendar import VN_TZ

_ids = itertools.count(1)


# Random histories (tests/reports/test_properties.py, tests/sync/test_rollups.py): where they start,
# the channels, and the status each action leads to.
ORIGIN = dt.datetime(2026, 9, 1, 8, 0, tzinfo=VN_TZ)
CHANNELS = ("truc_tiep", "truc_tuyen", "buu_chinh")
NEXT_STATUS = {
    EventKind.TRANSFERRED: Status.TRANSFERRED,
    EventKind.PROCESSING_STARTED: Status.PROCESSING,
    EventKind.SUPPLEMENT_REQUESTED: Status.SUPPLEMENT_REQUESTED,
    EventKind.SUPPLEMENTED: Status.SUPPLEMENTED,
    EventKind.FEES_REQUESTED: Status.AWAITING_FEES,
    EventKind.FEES_PAID: Status.PROCESSING,
    EventKind.RESULT_READY: Status.RESULT_READY,
    EventKind.REFUSED: Status.REFUSED,
    EventKind.STOPPED: Status.STOPPED,
    EventKind.WITHDRAWN: Status.WITHDRAWN,
    EventKind.RETURNED: Status.RETURNED,
}


def t(day: int, hour: int = 9, minute: int = 0, month: int = 11, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def ev(
    kind: EventKind,
    at: dt.datetime,
    dossier: str = "d1",
    device: str = "dev1",
    hlc_at: dt.datetime | None = None,
    **payload: Any,
) -> DossierEvent:
    n = next(_ids)
    ms = int((hlc_at or at).timestamp() * 1000)
    return DossierEvent(
        id=f"e{n:06d}",
        dossier_id=dossier,
        kind=kind,
        at=at,
        actor="canbo1",
        device_id=device,
        hlc=f"{ms:013d}-00000-{device}",
        payload={k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in payload.items()},
    )


def record(
    *events: DossierEvent,
    code: str = "C1",
    field: str = "Hộ tịch",
    channel: str = "truc_tiep",
    officer: str = "canbo1",
    procedure: str = "1.001193.000.00.00.H56",
    target_unit: str = "",
) -> DossierRecord:
    received = next(e for e in events if e.kind is EventKind.RECEIVED)
    return DossierRecord(
        id=received.dossier_id,
        code=code,
        field=field,
        procedure_code=procedure,
        officer=officer,
        channel=channel,
        received_at=received.at,
        unit_code="000.21.31.H56",
        target_unit_code=target_unit,
        events=tuple(events),
    )


def received(at: dt.datetime, due: dt.datetime, dossier: str = "d1") -> DossierEvent:
    return ev(EventKind.RECEIVED, at, dossier, due_at=due)
