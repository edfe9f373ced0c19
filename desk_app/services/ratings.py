"""Citizens' satisfaction ratings: RATED events of a dossier, written with their outbox row.

A rating comes from the citizen (the rating screen facing them, the kiosk, or the
public look-up page through the server), never from the officer: the workflow
service refuses RATED, and nothing edits or deletes an event. The fold ignores
ratings for the status; reports count the latest rating of each dossier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import RATING_SOURCES, DossierEvent, EventKind, RatingLevel
from desk_app.ids import uuid7
from desk_app.services.intake import _outbox_row, ensure_dossier
from desk_app.services.station import Station
from desk_app.store.repositories import iso
from desk_app.textfold import normalize_text

CITIZEN_ACTOR = "cong_dan"  # the actor of every rating: the citizen, not an account
MAX_COMMENT = 1000
MAX_REASONS = 10
MAX_REASON_LEN = 200


def rating_payload(
    level: str, reasons: Iterable[str] = (), comment: str = "", source: str = "counter", **extra: str
) -> dict[str, Any]:
    """Validated payload of a RATED event; raises ``InputErrors`` (Vietnamese)."""
    errors: dict[str, str] = {}
    try:
        level_value = RatingLevel(level).value
    except ValueError:
        errors["level"] = "Hãy chọn một mức: Rất hài lòng, Hài lòng hoặc Không hài lòng."
        level_value = ""
    if source not in RATING_SOURCES:
        errors["source"] = "Nguồn đánh giá không hợp lệ."
    cleaned = [normalize_text(r)[:MAX_REASON_LEN] for r in reasons if normalize_text(r)]
    if len(cleaned) > MAX_REASONS:
        errors["reasons"] = f"Chọn tối đa {MAX_REASONS} lý do."
    text = normalize_text(comment or "")
    if len(text) > MAX_COMMENT:
        errors["comment"] = f"Ý kiến tối đa {MAX_COMMENT} ký tự."
    if errors:
        raise InputErrors(errors)
    payload: dict[str, Any] = {"level": level_value, "reasons": cleaned, "comment": text, "source": source}
    payload.update({k: v for k, v in extra.items() if v})
    return payload


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

    def of_dossier(self, code_or_id: str) -> list[DossierEvent]:
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            return [e for e in uow.dossiers.events(dossier.id) if e.kind is EventKind.RATED]
