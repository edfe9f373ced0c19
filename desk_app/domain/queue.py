"""Plain data of the queue (no ORM, no Qt) and its errors.

Every type converts to and from a JSON-able dict, so the LAN host and the
in-process client hand out exactly the same objects. Times are ISO-8601 text
in Vietnam time, as stored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from desk_app.domain.errors import DomainError, NotFound

SECRET_HEADER = "X-Queue-Secret"  # shared secret of the LAN queue host


class QueueError(DomainError):
    """A queue rule was broken; the message is Vietnamese (shown at the counter)."""


class TicketNotFound(QueueError, NotFound):
    pass


class InvalidTicketAction(QueueError):
    """The action is not allowed in the ticket's current state."""


class QueueUnavailable(Exception):  # noqa: N818  (environment fault, not a domain error)
    """The queue cannot be reached (host down, network cut). Vietnamese ``str()``."""


class TicketState(StrEnum):
    PRINTING = "printing"  # number reserved, printer working; not in the queue yet
    PRINT_FAILED = "print_failed"  # not in the queue, not counted; can be reprinted
    WAITING = "waiting"
    CALLED = "called"
    RECALLED = "recalled"  # called again (repeat call, or a late no-show within tolerance)
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE_AT_COUNTER = (TicketState.CALLED, TicketState.RECALLED, TicketState.SERVING)

STATE_LABELS: dict[str, str] = {
    "printing": "Đang in",
    "print_failed": "In lỗi",
    "waiting": "Đang chờ",
    "called": "Đã gọi",
    "recalled": "Đã gọi lại",
    "serving": "Đang phục vụ",
    "done": "Đã xong",
    "no_show": "Vắng mặt",
    "cancelled": "Đã hủy",
}


class EventKind(StrEnum):
    RESERVED = "reserved"
    PRINT_FAILED = "print_failed"
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    STARTED = "started"
    FINISHED = "finished"
    WALK_IN = "walk_in"
    DOSSIER_LINKED = "dossier_linked"
    CANCELLED = "cancelled"
    RATED = "rated"  # the citizen's rating of a visit without a dossier (desk_app.services.ratings)


class PriorityReason(StrEnum):
    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    SMALL_CHILD = "small_child"
    OTHER = "other"


PRIORITY_LABELS: dict[str, str] = {
    "elderly": "Người cao tuổi",
    "disabled": "Người khuyết tật",
    "pregnant": "Phụ nữ mang thai",
    "small_child": "Người đưa con nhỏ",
    "other": "Ưu tiên khác",
}


class PriorityMode(StrEnum):
    STRICT = "strict"  # any waiting priority ticket goes first
    INTERLEAVED = "interleaved"  # one priority ticket after every N normal ones


T = TypeVar("T", bound="_Data")


class _Data:
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload,no-any-return]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Ticket(_Data):
    id: str
    day: str
    kind: str  # "ticket" | "walk_in"
    queue_code: str  # current queue (changes on transfer)
    series: str  # queue whose daily series issued the number (fixed)
    number: int | None
    label: str
    service_id: str
    service_name: str
    priority_reason: str | None
    state: str
    reserved_at: str
    issued_at: str | None = None
    front_at: str | None = None
    target_counter: int | None = None
    counter_no: int | None = None
    officer: str = ""
    called_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    no_show_at: str | None = None
    dossier_ids: list[str] = field(default_factory=list)
    print_attempts: int = 0
    last_error: str = ""

    @property
    def priority(self) -> bool:
        return self.priority_reason is not None

    @property
    def display_label(self) -> str:
        return self.label or "Không số"


@dataclass(frozen=True)
class QueueEvent(_Data):
    seq: int
    id: str
    at: str
    day: str
    kind: str
    ticket_id: str
    ticket_label: str
    queue_code: str
    counter_no: int | None
    officer: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class QueueInfo(_Data):
    code: str
    name: str
    sort: int = 0


@dataclass(frozen=True)
class ServiceInfo(_Data):
    id: str
    name: str
    queue_code: str
    sort: int = 0


@dataclass(frozen=True)
class CounterInfo(_Data):
    no: int
    name: str
    queue_codes: list[str]


@dataclass(frozen=True)
class QueueConfig(_Data):
    office_name: str
    priority_mode: str
    interleave_every: int
    no_show_tolerance_min: int
    service_level_min: int
    queues: list[QueueInfo]
    services: list[ServiceInfo]
    counters: list[CounterInfo]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueConfig:
        return cls(
            office_name=data["office_name"],
            priority_mode=data["priority_mode"],
            interleave_every=data["interleave_every"],
            no_show_tolerance_min=data["no_show_tolerance_min"],
            service_level_min=data["service_level_min"],
            queues=[QueueInfo.from_dict(q) for q in data["queues"]],
            services=[ServiceInfo.from_dict(s) for s in data["services"]],
            counters=[CounterInfo.from_dict(c) for c in data["counters"]],
        )


@dataclass(frozen=True)
class QueueLength(_Data):
    code: str
    name: str
    waiting: int
    waiting_priority: int
    last_called: str = ""


@dataclass(frozen=True)
class CounterNow(_Data):
    no: int
    name: str
    ticket_id: str | None = None
    label: str = ""
    state: str = ""
    service_name: str = ""
    since: str | None = None


@dataclass(frozen=True)
class QueueStatus(_Data):
    day: str
    at: str
    queues: list[QueueLength]
    counters: list[CounterNow]
    last_seq: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueStatus:
        return cls(
            day=data["day"],
            at=data["at"],
            queues=[QueueLength.from_dict(q) for q in data["queues"]],
            counters=[CounterNow.from_dict(c) for c in data["counters"]],
            last_seq=data["last_seq"],
        )


@dataclass(frozen=True)
class CallRecord(_Data):
    seq: int
    at: str
    ticket_id: str
    label: str
    counter_no: int
    service_name: str
    recall: bool = False


@dataclass(frozen=True)
class IssueResult(_Data):
    """Outcome of issuing (or reprinting) a ticket.

    ``printed`` False means the ticket is NOT in the queue; ``error`` says why
    (Vietnamese, from the printer) and the kiosk offers a reprint of the same number.
    """

    ticket: Ticket
    printed: bool
    people_ahead: int
    error: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IssueResult:
        return cls(
            Ticket.from_dict(data["ticket"]), data["printed"], data["people_ahead"], data.get("error", "")
        )
