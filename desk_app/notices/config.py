"""Which channels a station delivers through: meta ``settings.notices`` (JSON).

    {"deliver_from": "station" | "server",
     "email": {"host": "...", "port": 587, "sender": "...", "starttls": true,
               "username": "...", "password": "..."},
     "sms": {"url": "...", "token": "...", "brand_name": "..."},
     "zalo": {"access_token": "...", "template_ids": {"received": "...", ...}, "base_url": "..."}}

With ``deliver_from`` = "server" (or nothing configured) the station only writes its
outbox; a deliverer with the same channels can run wherever the settings are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from desk_app.domain.errors import ValidationError

if TYPE_CHECKING:
    from desk_app.notices.channels import Channel

META_NOTICES = "settings.notices"


def channels_from_settings(settings: Mapping[str, Any]) -> dict[str, Channel]:
    # The channels bring httpx, smtplib and ssl (~70 ms): the intake, which only needs
    # ``META_NOTICES``, must not pay for them when the counter window opens.
    from desk_app.notices.channels import EmailChannel, SmsHttpChannel, ZaloZnsChannel

    out: dict[str, Channel] = {}
    try:
        if isinstance(mail := settings.get("email"), Mapping) and mail.get("host"):
            out["email"] = EmailChannel(
                str(mail["host"]),
                int(mail.get("port", 25)),
                sender=str(mail.get("sender", "")),
                starttls=bool(mail.get("starttls", False)),
                username=str(mail.get("username", "")),
                password=str(mail.get("password", "")),
            )
        if isinstance(sms := settings.get("sms"), Mapping) and sms.get("url"):
            out["sms"] = SmsHttpChannel(
                str(sms["url"]), token=str(sms.get("token", "")), brand_name=str(sms.get("brand_name", ""))
            )
        if isinstance(zalo := settings.get("zalo"), Mapping) and zalo.get("access_token"):
            ids = zalo.get("template_ids") or {}
            out["zalo"] = ZaloZnsChannel(
                str(zalo["access_token"]),
                {str(k): str(v) for k, v in ids.items()} if isinstance(ids, Mapping) else {},
                base_url=str(zalo.get("base_url", "https://business.openapi.zalo.me")),
            )
    except (TypeError, ValueError) as exc:
        raise ValidationError("notices", f"Cấu hình kênh gửi thông báo không hợp lệ: {exc}") from exc
    return out


def delivers_here(settings: Mapping[str, Any]) -> bool:
    return settings.get("deliver_from", "station") == "station" and bool(channels_from_settings(settings))
