"""The unit's own calendar decisions (extra days off, make-up workdays), audited.

The working calendar itself (``desk_app.workcalendar``) is pure; this service
stores the unit's overrides and drops the station's cached calendar after each
change, for the settings dialog and ``motcua calendar add-day-off|add-workday``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from desk_app.ids import uuid7
from desk_app.services.station import Station
from desk_app.store.repositories import iso
from desk_app.workcalendar import WorkCalendar

OverrideKind = Literal["off", "work"]


class CalendarService:
    def __init__(self, station: Station) -> None:
        self.station = station

    @property
    def calendar(self) -> WorkCalendar:
        return self.station.calendar

    def overrides(self) -> list[tuple[dt.date, str, str]]:
        """(day, "off" | "work", note), by day."""
        with self.station.uow(write=False) as uow:
            return list(uow.calendar.overrides())

    def set_day(self, day: dt.date, kind: OverrideKind, note: str = "", actor: str = "") -> None:
        with self.station.uow() as uow:
            uow.calendar.set(day, kind, note)
            uow.audit.add(uuid7(), iso(self.station.now()) or "", actor, f"calendar.{kind}", day.isoformat())
            uow.commit()
        self.station.invalidate_calendar()

    def remove_day(self, day: dt.date, actor: str = "") -> None:
        with self.station.uow() as uow:
            uow.calendar.remove(day)
            uow.audit.add(uuid7(), iso(self.station.now()) or "", actor, "calendar.remove", day.isoformat())
            uow.commit()
        self.station.invalidate_calendar()
