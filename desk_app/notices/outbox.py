"""Which events make which notices, written in the event's own transaction.

A citizen who agreed at intake to be told (``Dossier.extra["notify"]`` =
``{"channel": "email"|"sms"|"zalo", "consent_at": …}``) gets a notice when the
dossier is received, needs a supplement, is late (the apology and new
appointment), and has its result ready. The row's id ``<event id>:<channel>`` is
the idempotency key: writing it twice is a no-op, sending it carries the key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select

from desk_app import lookup
from desk_app.domain.lifecycle import DossierEvent
from desk_app.domain.model import Dossier
from desk_app.notices.rules import CHANNELS, KIND_OF_EVENT, NOTIFY_KEY
from desk_app.store import schema as s


def _fmt(value: Any) -> str:
    if isinstance(value, str) and value:
        value = dt.datetime.fromisoformat(value)
    return f"{value:%H:%M} ngày {value:%d/%m/%Y}" if isinstance(value, dt.datetime) else ""


def recipient_for(channel: str, dossier: Dossier) -> str:
    return dossier.applicant.email if channel == "email" else dossier.applicant.phone


def notice_params(
    dossier: Dossier, event: DossierEvent, body: str, enrolled_server: str | None, lookup_base_url: str = ""
) -> dict[str, Any]:
    secret = str(dossier.extra.get(lookup.SECRET_KEY, "") or "")
    base = lookup.lookup_base(lookup_base_url, enrolled_server)
    payload = event.payload
    return {
        "name": dossier.applicant.full_name,
        "code": dossier.code,
        "procedure": dossier.procedure_name,
        "body": body,
        "received_at": _fmt(dossier.received_at),
        "due_at": _fmt(payload.get("due_at") or dossier.due_at),
        "missing": [str(m.get("name", "")) for m in payload.get("missing", []) or [] if isinstance(m, dict)],
        "reason": str(payload.get("reason", "") or ""),
        "lookup_url": lookup.lookup_url(base, dossier.code, secret) if secret else "",
    }


def enqueue(
    conn: Any,
    dossier: Dossier,
    events: list[DossierEvent],
    now: dt.datetime,
    body: str,
    enrolled_server: str | None,
    lookup_base_url: str = "",
) -> int:
    """Write the notices ``events`` call for (same connection, same transaction); returns how many."""
    wish = dossier.extra.get(NOTIFY_KEY)
    if not isinstance(wish, dict) or wish.get("channel") not in CHANNELS or not wish.get("consent_at"):
        return 0
    if wish.get("by", "station") != "station":
        return 0  # the central server sends this dossier's notices (central.notices)
    channel = str(wish["channel"])
    recipient = recipient_for(channel, dossier)
    if not recipient:
        return 0
    rows = []
    now_s = now.isoformat()
    for event in events:
        kind = KIND_OF_EVENT.get(event.kind)
        if kind is None:
            continue
        rows.append(
            {
                "id": f"{event.id}:{channel}",
                "event_id": event.id,
                "dossier_id": dossier.id,
                "kind": kind,
                "channel": channel,
                "recipient": recipient,
                "params": notice_params(dossier, event, body, enrolled_server, lookup_base_url),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now_s,
                "created_at": now_s,
            }
        )
    if not rows:
        return 0
    existing = set(
        conn.execute(select(s.notices.c.id).where(s.notices.c.id.in_([r["id"] for r in rows]))).scalars()
    )
    fresh = [r for r in rows if r["id"] not in existing]
    if fresh:
        conn.execute(insert(s.notices), fresh)
    return len(fresh)
