"""The one wiring place: build a station's services from a database path.

The GUI, the CLI and the tests all call ``open_station``; tests pass a fake
clock. Devices, the queue and sync plug in here as they are configured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desk_app.config import default_db_path
from desk_app.services.accounts import AccountService
from desk_app.services.intake import IntakeService
from desk_app.services.queries import QueryService
from desk_app.services.ratings import RatingService
from desk_app.services.station import Station
from desk_app.services.workflow import WorkflowService
from desk_app.store.db import Database
from desk_app.workcalendar import now_vn


@dataclass
class App:
    station: Station
    intake: IntakeService
    workflow: WorkflowService
    queries: QueryService
    accounts: AccountService
    ratings: RatingService

    @property
    def db(self) -> Database:
        return self.station.db

    def close(self) -> None:
        self.station.db.close()


def open_station(db_path: str | Path | None = None, clock: Callable[[], dt.datetime] = now_vn) -> App:
    db = Database(db_path or default_db_path())
    station = Station(db, clock=clock)
    return App(
        station=station,
        intake=IntakeService(station),
        workflow=WorkflowService(station),
        queries=QueryService(station),
        accounts=AccountService(station),
        ratings=RatingService(station),
    )
