"""Which events notify the citizen, through which channels: plain data shared by
the station's outbox and the central server's delivery."""

from __future__ import annotations

from desk_app.domain.lifecycle import EventKind

NOTIFY_KEY = "notify"  # the consent and channel in a dossier's ``extra``
CHANNELS = ("email", "sms", "zalo")
CHANNEL_LABELS = {"": "Không nhận thông báo", "email": "Thư điện tử", "sms": "Tin nhắn SMS", "zalo": "Zalo"}
KIND_OF_EVENT = {
    EventKind.RECEIVED: "received",
    EventKind.SUPPLEMENT_REQUESTED: "supplement",
    EventKind.EXTENDED: "late",
    EventKind.RESULT_READY: "result_ready",
}
