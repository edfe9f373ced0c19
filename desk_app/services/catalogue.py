"""The procedure catalogue as the windows read it (file import/export is ``services.catalog``)."""

from __future__ import annotations

from desk_app.domain.model import Procedure
from desk_app.services.station import Station


class CatalogueService:
    """Read access to the station's procedures; plain ``Procedure`` records out."""

    def __init__(self, station: Station) -> None:
        self.station = station

    def procedures(self, active_only: bool = True) -> list[Procedure]:
        with self.station.uow(write=False) as uow:
            return list(uow.procedures.all(active_only=active_only))

    def procedure(self, code: str) -> Procedure | None:
        with self.station.uow(write=False) as uow:
            return uow.procedures.get(code)

    def count(self) -> int:
        with self.station.uow(write=False) as uow:
            return int(uow.procedures.count())
