"""What a dossier's events say about its digitised papers (pure; no I/O).

ATTACHED adds an attachment (a component's paper or the result), DETACHED removes
it (the event stays in history), RESULT_SIGNED adds the signed electronic result.
Reports (QĐ 766 indicators 3.3, 4.1, 4.2) count with ``digitisation``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from desk_app.domain.lifecycle import DossierEvent, EventKind

ROLE_COMPONENT = "component"
ROLE_RESULT = "result"
SOURCES = ("scanner", "folder", "file", "camera", "reuse", "signing")


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    dossier_id: str
    role: str  # ROLE_COMPONENT | ROLE_RESULT
    component_key: str  # "" for the result
    component_name: str
    sha256: str
    size: int
    mime: str
    pages: int
    actor: str
    at: dt.datetime
    event_id: str
    source: str = "file"
    reused: bool = False
    signed: bool = False
    result_code: str = ""
    signer: str = ""


def _from_event(e: DossierEvent) -> Attachment:
    p = e.payload
    signed = e.kind is EventKind.RESULT_SIGNED
    signer = p.get("signer") or {}
    return Attachment(
        attachment_id=str(p.get("attachment_id", e.id)),
        dossier_id=e.dossier_id,
        role=ROLE_RESULT if signed else str(p.get("role", ROLE_COMPONENT)),
        component_key=str(p.get("component_key", "")),
        component_name=str(p.get("component_name", "")),
        sha256=str(p.get("sha256", "")),
        size=int(p.get("size", 0) or 0),
        mime=str(p.get("mime", "application/pdf")),
        pages=int(p.get("pages", 0) or 0),
        actor=e.actor,
        at=e.at,
        event_id=e.id,
        source="signing" if signed else str(p.get("source", "file")),
        reused=bool(p.get("reused", False)),
        signed=signed,
        result_code=str(p.get("result_code", "")),
        signer=str(signer.get("subject", "")) if isinstance(signer, dict) else str(signer),
    )


def current_attachments(events: Iterable[DossierEvent]) -> list[Attachment]:
    """Attachments not detached, in HLC order (a DETACHED before its ATTACHED still wins)."""
    ordered = sorted(events, key=lambda e: (e.hlc, e.id))
    detached = {str(e.payload.get("attachment_id")) for e in ordered if e.kind is EventKind.DETACHED}
    out = []
    for e in ordered:
        if e.kind in (EventKind.ATTACHED, EventKind.RESULT_SIGNED):
            att = _from_event(e)
            if att.attachment_id not in detached:
                out.append(att)
    return out


def file_hashes(events: Iterable[DossierEvent]) -> set[str]:
    """Every file a dossier's events reference (detached ones too: history keeps them)."""
    return {
        str(e.payload["sha256"])
        for e in events
        if e.kind in (EventKind.ATTACHED, EventKind.RESULT_SIGNED) and e.payload.get("sha256")
    }


@dataclass(frozen=True)
class Digitisation:
    """Per dossier, what QĐ 766 counts.

    ``components``: keys of components with at least one attached file;
    ``reused_components``: those attached by reusing an earlier digitised paper;
    ``result_digitised``: the result exists as a file; ``result_signed``: as a signed e-result.
    """

    components: frozenset[str]
    reused_components: frozenset[str]
    result_digitised: bool
    result_signed: bool

    @property
    def has_digitised_components(self) -> bool:
        return bool(self.components)


def digitisation(events: Iterable[DossierEvent]) -> Digitisation:
    atts = current_attachments(events)
    comps = frozenset(a.component_key for a in atts if a.role == ROLE_COMPONENT)
    reused = frozenset(a.component_key for a in atts if a.role == ROLE_COMPONENT and a.reused)
    results = [a for a in atts if a.role == ROLE_RESULT]
    return Digitisation(
        components=comps,
        reused_components=reused,
        result_digitised=bool(results),
        result_signed=any(a.signed for a in results),
    )
