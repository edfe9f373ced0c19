"""Client of the LAN queue host, with the same interface as ``QueueService`` (``QueueApi``).

Write actions are the shared commands of ``desk_app.queue.api``, posted to
``/commands/{name}``; only the reads have methods of their own here.

Short timeouts (~1 s) and no retries of actions: when the host is gone the
counter learns it at once (``QueueHostUnavailable``) and keeps receiving
dossiers; "call next" is never retried blindly because a lost answer may hide a
call that did happen (the counter sees it in the status on the next poll).
"""

from __future__ import annotations

from typing import Any, cast

import httpx

from desk_app.queue.api import Command, QueueApi, R, decode_result
from desk_app.queue.models import (
    SECRET_HEADER,
    CallRecord,
    InvalidTicketAction,
    QueueConfig,
    QueueError,
    QueueEvent,
    QueueStatus,
    QueueUnavailable,
    Ticket,
    TicketNotFound,
)

HOST_DOWN_MESSAGE = (
    "Mất kết nối máy chủ xếp hàng ({url}). Vẫn tiếp nhận hồ sơ bình thường; "
    "gọi số sẽ hoạt động lại khi máy chủ xếp hàng có kết nối."
)


class QueueHostUnavailable(QueueUnavailable):
    """The queue host does not answer (off, unplugged, crashed) or its disk failed."""


class QueueAuthError(QueueUnavailable):
    """The host refused the shared secret: a setup fault, not a network one."""


_RULE_ERRORS: dict[str, type[QueueError]] = {
    "InvalidTicketAction": InvalidTicketAction,
    "TicketNotFound": TicketNotFound,
}


class QueueClient(QueueApi):
    """``QueueApi`` over HTTP. Thread-safe (one pooled ``httpx.Client``)."""

    def __init__(
        self, base_url: str, secret: str, http_client: httpx.Client | None = None, timeout: float = 1.0
    ):
        self.base_url = base_url.rstrip("/")
        self._headers = {SECRET_HEADER: secret}
        self._http = http_client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )

    def close(self) -> None:
        self._http.close()

    def _request(
        self, method: str, path: str, json: dict[str, Any] | None = None, params: dict[str, Any] | None = None
    ) -> Any:
        try:
            resp = self._http.request(
                method, self.base_url + path, json=json, params=params, headers=self._headers
            )
        except httpx.TransportError as exc:  # refused, reset, timeout, DNS
            raise QueueHostUnavailable(HOST_DOWN_MESSAGE.format(url=self.base_url)) from exc
        except UnicodeEncodeError as exc:  # a secret with diacritics cannot travel in a header
            raise QueueAuthError("Mã bí mật của máy chủ xếp hàng chỉ được dùng ký tự không dấu.") from exc
        if resp.status_code < 400:
            return resp.json()
        try:
            body = resp.json()
        except ValueError:
            body = {}
        detail = str(body.get("detail") or resp.text or resp.reason_phrase)
        if resp.status_code in (401, 403):
            raise QueueAuthError(
                f"Máy chủ xếp hàng từ chối kết nối: {detail} Hãy kiểm tra mã bí mật trong cài đặt."
            )
        if resp.status_code == 404 and body.get("error") == "TicketNotFound":
            raise TicketNotFound(detail)
        if resp.status_code == 409:
            raise _RULE_ERRORS.get(str(body.get("error")), QueueError)(detail)
        if resp.status_code in (502, 503, 504):
            raise QueueHostUnavailable(f"Máy chủ xếp hàng đang gặp sự cố: {detail}")
        resp.raise_for_status()  # anything else is a bug: let it reach the log
        return None

    def _ticket(self, method: str, path: str, json: dict[str, Any] | None = None) -> Ticket:
        return Ticket.from_dict(self._request(method, path, json))

    # ------------------------------------------------------------- QueueApi
    def execute(self, command: Command[R]) -> R:
        """One write action: ``POST /commands/{name}`` with the command's fields."""
        data = self._request("POST", f"/commands/{command.name}", command.arguments())
        return cast(R, decode_result(data))

    def health(self) -> bool:
        return bool(self._request("GET", "/health").get("ok"))

    def config(self) -> QueueConfig:
        return QueueConfig.from_dict(self._request("GET", "/config"))

    def people_ahead(self, ticket_id: str) -> int:
        return int(self._request("GET", f"/tickets/{ticket_id}/ahead")["people_ahead"])

    def ticket(self, ticket_id: str) -> Ticket:
        return self._ticket("GET", f"/tickets/{ticket_id}")

    def status(self) -> QueueStatus:
        return QueueStatus.from_dict(self._request("GET", "/status"))

    def recent_calls(self, limit: int = 10) -> list[CallRecord]:
        data = self._request("GET", "/calls/recent", params={"limit": limit})
        return [CallRecord.from_dict(c) for c in data["calls"]]

    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]:
        data = self._request("GET", "/events", params={"since": seq, "limit": limit})
        return [QueueEvent.from_dict(e) for e in data["events"]]
