"""Delivery channels behind one interface: ``send(message) -> provider reference``.

A channel raises ``TemporaryFailure`` when trying again later may work (network,
5xx, throttling) and ``PermanentFailure`` when it will not (bad address, refused
template). Every request carries the notice's idempotency key: the e-mail's
Message-ID, the SMS gateway's ``Idempotency-Key`` header and reference, Zalo's
``tracking_id`` — a provider that de-duplicates on it turns our at-least-once
retries into exactly-once delivery.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import httpx


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key: "<event id>:<channel>"
    kind: str
    recipient: str
    subject: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> str: ...


def short_key(key: str, length: int = 32) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:length]


@dataclass
class EmailChannel:
    host: str
    port: int = 25
    sender: str = ""
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 15.0
    name: str = "email"

    def send(self, message: Message) -> str:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2] or "motcua.local"
        msg_id = f"<{short_key(message.key)}@{domain}>"
        mail["Message-ID"] = msg_id
        mail.set_content(message.text, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure("Địa chỉ e-mail bị máy chủ thư từ chối.") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"Máy chủ thư từ chối (mã {exc.smtp_code}).") from exc
            raise TemporaryFailure(f"Máy chủ thư tạm thời lỗi (mã {exc.smtp_code}).") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure("Không kết nối được máy chủ thư.") from exc
        return msg_id


def _post(http: httpx.Client, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = http.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise TemporaryFailure("Không kết nối được cổng gửi tin.") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(f"Cổng gửi tin tạm thời lỗi (HTTP {response.status_code}).")
    if response.status_code >= 400:
        raise PermanentFailure(f"Cổng gửi tin từ chối (HTTP {response.status_code}).")
    return response


@dataclass
class SmsHttpChannel:
    """A generic SMS gateway: POST JSON ``{to, text, sender, ref}`` with a bearer token.

    Most Vietnamese brand-name SMS gateways take this shape or are fronted by a small
    adapter that does; the URL, token and brand name are settings.
    """

    url: str
    token: str = ""
    brand_name: str = ""
    timeout: float = 15.0
    name: str = "sms"

    def send(self, message: Message) -> str:
        body = {"to": message.recipient, "text": message.text, "sender": self.brand_name, "ref": message.key}
        headers = {"Idempotency-Key": message.key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        with httpx.Client(timeout=self.timeout) as http:
            response = _post(http, self.url, json=body, headers=headers)
        try:
            data = response.json()
        except ValueError:
            data = {}
        return str(data.get("id", "")) if isinstance(data, dict) else ""


def zalo_phone(phone: str) -> str:
    """'0905123456' -> '84905123456' (ZNS wants the international form without '+')."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


@dataclass
class ZaloZnsChannel:
    """Zalo Notification Service: an approved template by id, filled with parameters.

    ``POST {base_url}/message/template`` with header ``access_token`` and body
    ``{phone, template_id, template_data, tracking_id}``; the answer is
    ``{"error": 0, "message": "Success", "data": {"msg_id": …}}`` or a non-zero error.
    """

    access_token: str
    template_ids: dict[str, str]
    base_url: str = "https://business.openapi.zalo.me"
    timeout: float = 15.0
    name: str = "zalo"

    def send(self, message: Message) -> str:
        template_id = self.template_ids.get(message.kind)
        if not template_id:
            raise PermanentFailure(f"Chưa khai báo mẫu ZNS cho loại tin “{message.kind}”.")
        body = {
            "phone": zalo_phone(message.recipient),
            "template_id": template_id,
            "template_data": {k: str(v) for k, v in message.params.items() if isinstance(v, str | int)},
            "tracking_id": short_key(message.key),
        }
        with httpx.Client(timeout=self.timeout) as http:
            response = _post(
                http,
                self.base_url.rstrip("/") + "/message/template",
                json=body,
                headers={"access_token": self.access_token},
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise TemporaryFailure("Zalo trả lời không đúng định dạng.") from exc
        error = data.get("error") if isinstance(data, dict) else None
        if error != 0:
            # Negative codes are Zalo's; -124 (token expired) and quota errors recover later.
            text = str(data.get("message", ""))[:200] if isinstance(data, dict) else ""
            if error in (-124, -1, -32):
                raise TemporaryFailure(f"Zalo tạm thời chưa gửi được ({error}): {text}")
            raise PermanentFailure(f"Zalo từ chối ({error}): {text}")
        return str((data.get("data") or {}).get("msg_id", ""))
