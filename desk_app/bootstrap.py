"""The one wiring place, and the typed ``App`` facade the windows talk to.

The GUI, the CLI and the tests all call ``open_station``; tests pass a fake
clock. ``App`` offers what a window needs — intake, workflow, queries, the
calendar, the catalogue, settings, accounts, the station's devices and queue
client, sync — so that ``ui/`` never opens a unit of work nor runs SQL (the
architecture test forbids ``ui`` to import ``desk_app.store``). Work off the GUI
thread receives the ``App`` (``ui.workers.app_op``), as Anki's ops receive the
collection.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk_app.config import default_db_path
from desk_app.services.accounts import AccountService
from desk_app.services.calendar_admin import CalendarService
from desk_app.services.catalogue import CatalogueService
from desk_app.services.intake import IntakeService
from desk_app.services.queries import QueryService
from desk_app.services.ratings import RatingService
from desk_app.services.station import Station
from desk_app.services.workflow import WorkflowService
from desk_app.settings import SettingsService
from desk_app.store.db import Database, StoreError
from desk_app.store.db import describe_sqlite_error as describe_sqlite_error  # for ui/workers
from desk_app.workcalendar import now_vn

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from desk_app.attachments.service import AttachmentService
    from desk_app.queue.api import QueueApi
    from desk_app.roles import Devices
    from desk_app.sync.worker import SyncWorker


@dataclass
class App:
    station: Station
    intake: IntakeService
    workflow: WorkflowService
    queries: QueryService
    accounts: AccountService
    settings: SettingsService
    ratings: RatingService
    catalogue: CatalogueService
    calendar: CalendarService
    #: The station's devices and queue client once ``ui/app.start_devices`` built them.
    devices: Devices | None = None
    _local_queue: QueueApi | None = field(default=None, repr=False)

    @cached_property
    def attachments(self) -> AttachmentService:
        from desk_app.attachments.service import AttachmentService

        return AttachmentService(self.station)

    @property
    def db(self) -> Database:
        return self.station.db

    @property
    def queue_client(self) -> QueueApi:
        """This station's ``QueueApi``: the devices' (local or the LAN host) once they are
        built, else the queue in this station's own database (a one-PC office)."""
        if self.devices is not None and self.devices.queue is not None:
            queue: QueueApi = self.devices.queue
            return queue
        if self._local_queue is None:
            from desk_app.queue.service import LocalQueueClient, QueueService

            service = QueueService(self.db, self.station.clock, self.station.device_id)
            self._local_queue = LocalQueueClient(service)
        return self._local_queue

    # ---------------------------------------------------------------- notices
    def notice_failures(self) -> list[dict[str, Any]]:
        """Notices to citizens that could not be delivered (or are being retried), newest first."""
        from desk_app.notices.delivery import failures

        return failures(self.db)

    def retry_notice(self, notice_id: str) -> None:
        """Staff ask to send a failed notice again (same idempotency key)."""
        from desk_app.notices.delivery import retry

        retry(self.db, notice_id, self.station.now())

    # ---------------------------------------------------------------- sync
    def server_url(self) -> str:
        """The central server this station is enrolled with ('' when not enrolled)."""
        from desk_app.sync.client import server_url

        return str(server_url(self.station) or "")

    def sync_worker(self, interval: float, on_status: Callable[[Any], None]) -> SyncWorker:
        from desk_app.sync.worker import SyncWorker

        return SyncWorker(self.station, interval=interval, on_status=on_status)

    def enrol(self, url: str, code: str, name: str = "counter") -> dict[str, Any]:
        """Enrol this station with the central server using a one-time code (network I/O)."""
        from desk_app.sync.client import enrol, make_http

        with make_http(url, timeout=15) as http:
            answer: dict[str, Any] = enrol(self.station, http, code, name=name)
        return answer

    def close(self) -> None:
        self.station.db.close()


def open_station(db_path: str | Path | None = None, clock: Callable[[], dt.datetime] = now_vn) -> App:
    db = Database(db_path or default_db_path())
    station = Station(db, clock=clock)
    app = App(
        station=station,
        intake=IntakeService(station),
        workflow=WorkflowService(station),
        queries=QueryService(station),
        accounts=AccountService(station),
        settings=SettingsService(station),
        catalogue=CatalogueService(station),
        calendar=CalendarService(station),
        ratings=RatingService(station),
    )
    try:
        app.settings.upgrade()  # one-time: the old settings.* keys → the one settings record
    except StoreError:  # read-only or locked: ``load`` reads the old keys until it can write
        log.warning("settings upgrade postponed: the database cannot be written now", exc_info=True)
    return app
