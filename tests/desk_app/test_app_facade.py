"""The typed ``App`` offers what the windows need, so ``ui/`` never opens a unit of work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from desk_app.domain.model import IdKind
from tests.helpers.fakes import birth_request


def test_catalogue_and_probes(app: Any) -> None:
    procs = app.catalogue.procedures()
    assert procs and app.catalogue.procedure(procs[0].code) == procs[0]
    assert app.catalogue.procedure("không-có") is None
    assert app.catalogue.count() == len(app.catalogue.procedures(active_only=False))
    assert app.queries.has_dossiers() is False
    assert app.queries.pending_changes(cap=10) == 0


def test_calendar_days_are_stored_audited_and_used(app: Any) -> None:
    day = dt.date(2026, 11, 27)  # a Friday
    assert app.calendar.calendar.is_working_day(day)
    app.calendar.set_day(day, "off", "Nghỉ bù", actor="giamsat")
    assert app.calendar.overrides() == [(day, "off", "Nghỉ bù")]
    assert not app.calendar.calendar.is_working_day(day)  # the cached calendar was dropped
    app.calendar.remove_day(day, actor="giamsat")
    assert app.calendar.overrides() == [] and app.calendar.calendar.is_working_day(day)
    with app.station.uow(write=False) as uow:
        actions = [
            r[0]
            for r in uow.conn.exec_driver_sql(
                "SELECT action FROM audit_log WHERE action LIKE 'calendar.%' ORDER BY at, id"
            )
        ]
    assert actions == ["calendar.off", "calendar.remove"]


def test_returning_applicant_is_found_by_id_then_phone(app: Any) -> None:
    dossier = app.intake.receive("canbo1", birth_request())
    applicant = dossier.applicant
    assert applicant.id_kind is IdKind.CCCD
    assert app.queries.find_applicant(applicant.id_number, "").full_name == applicant.full_name
    assert app.queries.find_applicant("", applicant.phone).full_name == applicant.full_name
    assert app.queries.find_applicant("079999999999", "") is None
    assert app.queries.has_dossiers() and app.queries.pending_changes() >= 1


def test_queue_client_is_the_stations_own_queue_without_devices(app: Any) -> None:
    from desk_app.queue.api import QueueApi

    client = app.queue_client
    assert isinstance(client, QueueApi) and app.queue_client is client
    assert client.status().day == "2026-11-25"  # the fixed clock's day
