"""The station: one database plus who this device is, its unit, calendar and clocks.

This is the object services take; ``desk_app.bootstrap`` builds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from desk_app.domain.errors import NotFound
from desk_app.domain.model import Unit
from desk_app.hlc import HybridLogicalClock
from desk_app.ids import uuid7
from desk_app.store.db import Database
from desk_app.store.uow import UnitOfWork
from desk_app.workcalendar import WorkCalendar, now_vn

META_UNIT = "unit_code"
META_DEVICE = "device_id"
META_SLOT = "device_slot"
META_ENROLLED = "enrolled_server"  # set by enrolment: leases then come only from the server


class Station:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = now_vn):
        self.db = db
        self.clock = clock
        with UnitOfWork(db) as uow:
            device_id = uow.meta.get(META_DEVICE)
            if device_id is None:
                device_id = uuid7()
                uow.meta.set(META_DEVICE, device_id)
                uow.commit()
        self.device_id = device_id
        self.hlc = HybridLogicalClock(device_id, lambda: int(self.clock().timestamp() * 1000))
        self._unit: Unit | None = None
        self._calendar: WorkCalendar | None = None

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.db, write=write)

    def now(self) -> dt.datetime:
        return self.clock()

    # -------------------------------------------------------------- identity
    @property
    def unit_code(self) -> str | None:
        with self.uow(write=False) as uow:
            return uow.meta.get(META_UNIT)

    @property
    def unit(self) -> Unit:
        if self._unit is None:
            with self.uow(write=False) as uow:
                code = uow.meta.get(META_UNIT)
                unit = uow.units.get(code) if code else None
            if unit is None:
                raise NotFound("Trạm chưa được khởi tạo đơn vị. Hãy chạy “motcua init” hoặc mở phần Cài đặt.")
            self._unit = unit
        return self._unit

    @property
    def is_initialised(self) -> bool:
        try:
            self.unit  # noqa: B018 - loads and caches
        except NotFound:
            return False
        return True

    def set_unit(self, unit: Unit) -> None:
        with self.uow() as uow:
            uow.units.upsert(unit)
            uow.meta.set(META_UNIT, unit.code)
            uow.commit()
        self._unit = unit
        self._calendar = None

    @property
    def slot(self) -> int:
        with self.uow(write=False) as uow:
            return int(uow.meta.get(META_SLOT, "0") or 0)

    @property
    def enrolled(self) -> bool:
        with self.uow(write=False) as uow:
            return bool(uow.meta.get(META_ENROLLED))

    # -------------------------------------------------------------- calendar
    @property
    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            with self.uow(write=False) as uow:
                rows = uow.calendar.rows_with_source()
            hours = self.unit.hours if self.is_initialised else None
            # Layers: holidays package -> shipped + distributed decisions -> unit overrides;
            # each day off keeps its note (e.g. "Bầu cử") as the name the calendar shows.
            self._calendar = WorkCalendar.from_overrides(rows, hours=hours)
        return self._calendar

    def invalidate_calendar(self) -> None:
        self._calendar = None

    def invalidate_unit(self) -> None:
        self._unit = None
        self._calendar = None
