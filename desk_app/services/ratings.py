"""Citizens' satisfaction ratings: RATED events of a dossier, written with their outbox row.

A rating comes from the citizen (the rating screen facing them, the kiosk, or the
public look-up page through the server), never from the officer: the workflow
service refuses RATED, and nothing edits or deletes an event. The fold ignores
ratings for the status; reports count the latest rating of each dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from desk_app.domain.errors import DomainError
from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.domain.model import Role
from desk_app.domain.ratings import CITIZEN_ACTOR, rating_payload
from desk_app.ids import uuid7
from desk_app.services.intake import _outbox_row, ensure_dossier
from desk_app.services.station import Station
from desk_app.store import queue_schema as qs
from desk_app.store import schema as s
from desk_app.store.repositories import iso

#: Who may read citizens' ratings: supervisors judge the service; officers never see theirs.
RATING_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


class RatingsNotAllowed(DomainError):
    """An account that may not read ratings asked for them."""


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

    def recent(self, username: str, limit: int = 200) -> list[dict[str, Any]]:
        """The latest ratings of dossiers and of queue visits, newest first, for a supervisor
        or an administrator (checked against the stored account, not the caller's word)."""
        with self.station.uow(write=False) as uow:
            role = uow.conn.execute(
                select(s.users.c.role).where(s.users.c.username == username, s.users.c.active.is_(True))
            ).scalar()
            if role not in RATING_READERS:
                raise RatingsNotAllowed(
                    "Chỉ giám sát viên hoặc quản trị viên được xem đánh giá của công dân."
                )
            e, d, q = s.dossier_events, s.dossiers, qs.queue_events
            dossier_rows = uow.conn.execute(
                select(e.c.at, e.c.payload, d.c.code)
                .join(d, d.c.id == e.c.dossier_id)
                .where(e.c.kind == EventKind.RATED.value)
                .order_by(e.c.at.desc())
                .limit(limit)
            ).all()
            visit_rows = uow.conn.execute(
                select(q.c.at, q.c.payload, q.c.ticket_label)
                .where(q.c.kind == EventKind.RATED.value)
                .order_by(q.c.at.desc())
                .limit(limit)
            ).all()
        rows = [_rating_row(at, payload, code, "") for at, payload, code in dossier_rows]
        rows += [_rating_row(at, payload, "", label) for at, payload, label in visit_rows]
        rows.sort(key=lambda r: r["at"], reverse=True)
        return rows[:limit]


def _rating_row(at: str, payload: Any, dossier_code: str, ticket_label: str) -> dict[str, Any]:
    body = payload if isinstance(payload, dict) else {}
    return {
        "at": str(at),
        "level": str(body.get("level", "")),
        "reasons": [str(r) for r in body.get("reasons", []) or []],
        "comment": str(body.get("comment", "") or ""),
        "source": str(body.get("source", "") or ""),
        "dossier_code": dossier_code,
        "ticket_label": ticket_label,
    }
