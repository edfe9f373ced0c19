"""A station with a realistic history (the demo generator) plus hand-made dossiers."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk_app.bootstrap import App
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import Channel
from desk_app.reports.facts import DossierRecord
from desk_app.services import demo
from tests.helpers.fakes import FakeClock, birth_request, sample_procedures


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~300 demo dossiers over the last 80 working days plus hand-made ones, built once per run."""
    from desk_app.bootstrap import open_station
    from desk_app.cli_core import DEMO_UNIT
    from desk_app.domain.model import Role

    path = tmp_path_factory.mktemp("reports") / "history.sqlite3"
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, 0))
    app = open_station(path, clock=clock)
    try:
        app.station.set_unit(DEMO_UNIT)
        with app.station.uow() as uow:
            uow.procedures.upsert_many(sample_procedures(), "2026-11-25T08:00:00+07:00")
            uow.commit()
        app.accounts.create("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1)
        demo.generate(app.station, 300, days=80, seed=7)
        # One online dossier asked twice for a supplement, one refused.
        online = app.intake.receive("canbo1", birth_request(channel=Channel.ONLINE)).code
        app.workflow.act(
            "canbo1", online, EventKind.SUPPLEMENT_REQUESTED, missing=[{"name": "Giấy chứng sinh"}]
        )
        app.workflow.act("canbo1", online, EventKind.SUPPLEMENTED)
        app.workflow.act("canbo1", online, EventKind.SUPPLEMENT_REQUESTED, missing=[{"name": "CCCD"}])
        refused = app.intake.receive("canbo1", birth_request()).code
        app.workflow.act("canbo1", refused, EventKind.REFUSED, reason="Không thuộc thẩm quyền")
        # The queue: two tickets; the first waits 5 min and is served for 6, the second waits 30.
        from desk_app.queue.service import QueueService

        queue = QueueService(app.db, clock, app.station.device_id)
        first = queue.confirm_printed(queue.reserve_ticket("ho_tich").id)
        queue.confirm_printed(queue.reserve_ticket("ho_tich").id)
        clock.advance(minutes=5)
        called = queue.call_next(1, "canbo1")
        assert called is not None and called.id == first.id
        queue.start(called.id, 1, "canbo1")
        clock.advance(minutes=6)
        queue.finish(called.id, 1, "canbo1")
        clock.advance(minutes=19)
        queue.call_next(1, "canbo1")
    finally:
        app.close()  # checkpoints the WAL into the file
    return path


@pytest.fixture
def history_app(history_template: Path, tmp_path: Path, clock: FakeClock) -> Iterator[App]:
    from desk_app.bootstrap import open_station

    path = tmp_path / "station.sqlite3"
    shutil.copyfile(history_template, path)
    application = open_station(path, clock=clock)
    yield application
    application.close()


def all_records(app) -> list[DossierRecord]:  # type: ignore[no-untyped-def]
    """Every dossier with its full events, read one by one (the slow, obviously complete way)."""
    from sqlalchemy import select

    from desk_app.store import schema as s

    out = []
    with app.station.uow(write=False) as uow:
        ids = [r[0] for r in uow.conn.execute(select(s.dossiers.c.id))]
        for dossier_id in ids:
            d = uow.dossiers.get(dossier_id)
            out.append(
                DossierRecord(
                    id=d.id,
                    code=d.code,
                    field=d.field,
                    procedure_code=d.procedure_code,
                    officer=d.officer,
                    channel=d.channel.value,
                    received_at=d.received_at,
                    due_at=d.due_at,
                    unit_code=d.unit_code,
                    target_unit_code=d.target_unit_code,
                    events=tuple(uow.dossiers.events(d.id)),
                )
            )
    return out
