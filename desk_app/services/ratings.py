"""Citizens' satisfaction ratings: RATED events of a dossier, written with their outbox row.

A rating comes from the citizen (the rating screen facing them, the kiosk, or the
public look-up page through the server), never from the officer: the workflow
service refuses RATED, and nothing edits or deletes an event. The fold ignores
ratings for the status; reports count the latest rating of each dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.domain.ratings import CITIZEN_ACTOR, rating_payload
from desk_app.ids import uuid7
from desk_app.services.intake import _outbox_row, ensure_dossier
from desk_app.services.station import Station
from desk_app.store.repositories import iso


class RatingService:
    def __init__(self, station: Station):
        self.station = station

    def rate(
        self,
        code_or_id: str,
        level: str,
        reasons: Iterable[str] = (),
        comment: str = "",
        source: str = "counter",
        ticket_id: str = "",
    ) -> DossierEvent:
        """Record the citizen's rating of a dossier (event + outbox row, one transaction)."""
        payload = rating_payload(level, reasons, comment, source, ticket_id=ticket_id)
        now = self.station.now()
        with self.station.uow() as uow:
            dossier = ensure_dossier(uow, code_or_id)
            event = DossierEvent(
                id=uuid7(),
                dossier_id=dossier.id,
                kind=EventKind.RATED,
                at=now,
                actor=CITIZEN_ACTOR,
                device_id=self.station.device_id,
                hlc=self.station.hlc.now(),
                payload=payload,
            )
            now_s = iso(now) or ""
            uow.dossiers.add_event(event)
            uow.outbox.add_many([_outbox_row(event, now_s)])
            uow.audit.add(uuid7(), now_s, CITIZEN_ACTOR, "dossier.rated", dossier.code)
            uow.commit()
        return event

    def rate_visit(
        self,
        queue: Any,
        ticket_id: str,
        level: str,
        reasons: Iterable[str] = (),
        comment: str = "",
        source: str = "counter",
    ) -> dict[str, Any]:
        """The rating of a queue visit without a dossier: a RATED event of the ticket (queue log)."""
        payload = rating_payload(level, reasons, comment, source)
        queue.rate(ticket_id, payload)
        return payload

    def of_dossier(self, code_or_id: str) -> list[DossierEvent]:
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            return [e for e in uow.dossiers.events(dossier.id) if e.kind is EventKind.RATED]
