"""Client of the LAN queue host, with the same interface as ``QueueService``.

Short timeouts (~1 s) and no retries of actions: when the host is gone the
counter learns it at once (``QueueHostUnavailable``) and keeps receiving
dossiers; "call next" is never retried blindly because a lost answer may hide a
call that did happen (the counter sees it in the status on the next poll).
"""

from __future__ import annotations

from typing import Any

import httpx

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


class QueueClient:
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
    def health(self) -> bool:
        return bool(self._request("GET", "/health").get("ok"))

    def config(self) -> QueueConfig:
        return QueueConfig.from_dict(self._request("GET", "/config"))

    def reserve_ticket(self, service_id: str, priority_reason: str | None = None) -> Ticket:
        return self._ticket(
            "POST", "/tickets", {"service_id": service_id, "priority_reason": priority_reason}
        )

    def confirm_printed(self, ticket_id: str) -> Ticket:
        return self._ticket("POST", f"/tickets/{ticket_id}/printed")

    def mark_print_failed(self, ticket_id: str, error: str) -> Ticket:
        return self._ticket("POST", f"/tickets/{ticket_id}/print-failed", {"error": error})

    def begin_reprint(self, ticket_id: str) -> Ticket:
        return self._ticket("POST", f"/tickets/{ticket_id}/reprint")

    def people_ahead(self, ticket_id: str) -> int:
        return int(self._request("GET", f"/tickets/{ticket_id}/ahead")["people_ahead"])

    def ticket(self, ticket_id: str) -> Ticket:
        return self._ticket("GET", f"/tickets/{ticket_id}")

    def call_next(self, counter_no: int, officer: str) -> Ticket | None:
        data = self._request("POST", f"/counters/{counter_no}/call-next", {"officer": officer})
        return Ticket.from_dict(data["ticket"]) if data.get("ticket") else None

    def recall(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._ticket(
            "POST", f"/tickets/{ticket_id}/recall", {"counter_no": counter_no, "officer": officer}
        )

    def no_show(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._ticket(
            "POST", f"/tickets/{ticket_id}/no-show", {"counter_no": counter_no, "officer": officer}
        )

    def transfer(
        self,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        return self._ticket(
            "POST",
            f"/tickets/{ticket_id}/transfer",
            {"counter_no": counter_no, "officer": officer, "to_queue": to_queue, "to_counter": to_counter},
        )

    def start(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._ticket(
            "POST", f"/tickets/{ticket_id}/start", {"counter_no": counter_no, "officer": officer}
        )

    def finish(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self._ticket(
            "POST", f"/tickets/{ticket_id}/finish", {"counter_no": counter_no, "officer": officer}
        )

    def walk_in(
        self,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket:
        return self._ticket(
            "POST",
            f"/counters/{counter_no}/walk-in",
            {"officer": officer, "queue_code": queue_code, "service_id": service_id, "note": note},
        )

    def link_dossier(self, ticket_id: str, dossier_id: str, counter_no: int, officer: str) -> Ticket:
        return self._ticket(
            "POST",
            f"/tickets/{ticket_id}/link-dossier",
            {"dossier_id": dossier_id, "counter_no": counter_no, "officer": officer},
        )

    def cancel(self, ticket_id: str, counter_no: int | None, officer: str, reason: str = "") -> Ticket:
        return self._ticket(
            "POST",
            f"/tickets/{ticket_id}/cancel",
            {"counter_no": counter_no, "officer": officer, "reason": reason},
        )

    def status(self) -> QueueStatus:
        return QueueStatus.from_dict(self._request("GET", "/status"))

    def recent_calls(self, limit: int = 10) -> list[CallRecord]:
        data = self._request("GET", "/calls/recent", params={"limit": limit})
        return [CallRecord.from_dict(c) for c in data["calls"]]

    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]:
        data = self._request("GET", "/events", params={"since": seq, "limit": limit})
        return [QueueEvent.from_dict(e) for e in data["events"]]
