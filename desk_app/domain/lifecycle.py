"""Dossier lifecycle: event kinds, statuses, the transition table and the fold.

A dossier's status and due date are never stored as truth: they are the fold
of its append-only events in hybrid-logical-clock order. ``decide`` checks a
new action against the current state (raising ``InvalidTransition``);
``fold`` replays merged history and *flags* events that are invalid after a
merge instead of dropping them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from desk_app.domain.errors import DomainError, InvalidTransition


class Status(StrEnum):
    RECEIVED = "received"
    TRANSFERRED = "transferred"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    AWAITING_FEES = "awaiting_fees"
    RESULT_READY = "result_ready"
    REFUSED = "refused"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def clock_running(self) -> bool:
        """Whether the processing deadline matters in this status."""
        return self not in FINAL_STATUSES and self not in (
            Status.RESULT_READY,
            Status.SUPPLEMENT_REQUESTED,
            Status.AWAITING_FEES,
        )


STATUS_LABELS = {
    Status.RECEIVED: "Mới tiếp nhận",
    Status.TRANSFERRED: "Đã chuyển xử lý",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    Status.SUPPLEMENTED: "Đã bổ sung",
    Status.AWAITING_FEES: "Chờ thực hiện nghĩa vụ tài chính",
    Status.RESULT_READY: "Đã có kết quả",
    Status.REFUSED: "Từ chối giải quyết",
    Status.STOPPED: "Dừng giải quyết",
    Status.WITHDRAWN: "Công dân rút hồ sơ",
    Status.RETURNED: "Đã trả kết quả",
}

FINAL_STATUSES = frozenset({Status.REFUSED, Status.STOPPED, Status.WITHDRAWN, Status.RETURNED})


class EventKind(StrEnum):
    RECEIVED = "received"
    TRANSFERRED = "transferred"
    PROCESSING_STARTED = "processing_started"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    SUPPLEMENTED = "supplemented"
    FEES_REQUESTED = "fees_requested"
    FEES_PAID = "fees_paid"
    RESULT_READY = "result_ready"
    REFUSED = "refused"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"
    EXTENDED = "extended"  # apology letter + new appointment (Mẫu 04)
    RETURNED = "returned"
    NOTE = "note"  # free remark; allowed in any status
    # Digitised papers (desk_app.attachments): recorded in any status, never change it.
    ATTACHED = "attached"
    DETACHED = "detached"
    RESULT_SIGNED = "result_signed"  # a result issued as a signed electronic file
    # The citizen's satisfaction rating (counter screen, kiosk or the public page): never
    # changes the status, never a conflict, and not an officer's action (not in TRANSITIONS).
    RATED = "rated"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    EventKind.RECEIVED: "Tiếp nhận hồ sơ",
    EventKind.TRANSFERRED: "Chuyển xử lý",
    EventKind.PROCESSING_STARTED: "Bắt đầu xử lý",
    EventKind.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    EventKind.SUPPLEMENTED: "Công dân đã bổ sung hồ sơ",
    EventKind.FEES_REQUESTED: "Chờ thực hiện nghĩa vụ tài chính",
    EventKind.FEES_PAID: "Đã thực hiện nghĩa vụ tài chính",
    EventKind.RESULT_READY: "Đã có kết quả",
    EventKind.REFUSED: "Từ chối giải quyết hồ sơ",
    EventKind.STOPPED: "Dừng giải quyết hồ sơ",
    EventKind.WITHDRAWN: "Công dân rút hồ sơ",
    EventKind.EXTENDED: "Xin lỗi và gia hạn thời gian giải quyết",
    EventKind.RETURNED: "Trả kết quả",
    EventKind.NOTE: "Ghi chú",
    EventKind.ATTACHED: "Đính kèm bản số hóa",
    EventKind.DETACHED: "Gỡ bản số hóa",
    EventKind.RESULT_SIGNED: "Ký số kết quả điện tử",
    EventKind.RATED: "Công dân đánh giá mức độ hài lòng",
}

# Kinds recorded by their own panels (attachments, signing), not offered as dossier actions.
RECORD_ONLY_KINDS = frozenset({EventKind.ATTACHED, EventKind.DETACHED, EventKind.RESULT_SIGNED})


class RatingLevel(StrEnum):
    VERY_SATISFIED = "rat_hai_long"
    SATISFIED = "hai_long"
    DISSATISFIED = "khong_hai_long"

    @property
    def label(self) -> str:
        return {
            "rat_hai_long": "Rất hài lòng",
            "hai_long": "Hài lòng",
            "khong_hai_long": "Không hài lòng",
        }[self.value]


RATING_SOURCES = ("counter", "kiosk", "web")
# Reasons a citizen may tick (Vietnamese labels, stored as given).
RATING_REASONS = (
    "Thái độ phục vụ chưa tốt",
    "Hướng dẫn chưa rõ ràng",
    "Phải chờ đợi lâu",
    "Trả kết quả không đúng hẹn",
    "Yêu cầu bổ sung nhiều lần",
)

_OPEN = (Status.RECEIVED, Status.TRANSFERRED, Status.PROCESSING, Status.SUPPLEMENTED)

# action -> (statuses it is allowed from, resulting status or None to keep the status)
TRANSITIONS: Mapping[EventKind, tuple[frozenset[Status], Status | None]] = {
    EventKind.TRANSFERRED: (frozenset({Status.RECEIVED, Status.SUPPLEMENTED}), Status.TRANSFERRED),
    EventKind.PROCESSING_STARTED: (
        frozenset({Status.RECEIVED, Status.TRANSFERRED, Status.SUPPLEMENTED}),
        Status.PROCESSING,
    ),
    EventKind.SUPPLEMENT_REQUESTED: (frozenset(_OPEN), Status.SUPPLEMENT_REQUESTED),
    EventKind.SUPPLEMENTED: (frozenset({Status.SUPPLEMENT_REQUESTED}), Status.SUPPLEMENTED),
    EventKind.FEES_REQUESTED: (frozenset(_OPEN), Status.AWAITING_FEES),
    EventKind.FEES_PAID: (frozenset({Status.AWAITING_FEES}), Status.PROCESSING),
    EventKind.RESULT_READY: (frozenset({*_OPEN, Status.AWAITING_FEES}), Status.RESULT_READY),
    EventKind.REFUSED: (frozenset({*_OPEN, Status.SUPPLEMENT_REQUESTED}), Status.REFUSED),
    EventKind.STOPPED: (
        frozenset({*_OPEN, Status.SUPPLEMENT_REQUESTED, Status.AWAITING_FEES}),
        Status.STOPPED,
    ),
    EventKind.WITHDRAWN: (
        frozenset({*_OPEN, Status.SUPPLEMENT_REQUESTED, Status.AWAITING_FEES, Status.RESULT_READY}),
        Status.WITHDRAWN,
    ),
    EventKind.EXTENDED: (frozenset({*_OPEN, Status.AWAITING_FEES}), None),
    EventKind.RETURNED: (frozenset({Status.RESULT_READY}), Status.RETURNED),
    EventKind.NOTE: (frozenset(Status), None),
    EventKind.ATTACHED: (frozenset(Status), None),
    EventKind.DETACHED: (frozenset(Status), None),
    EventKind.RESULT_SIGNED: (frozenset(Status), None),
}


def allowed_actions(status: Status) -> list[EventKind]:
    """Actions a counter may offer for a dossier in ``status`` (table order)."""
    return [
        kind
        for kind, (sources, _) in TRANSITIONS.items()
        if status in sources and kind not in RECORD_ONLY_KINDS
    ]


@dataclass(frozen=True)
class DossierEvent:
    id: str
    dossier_id: str
    kind: EventKind
    at: dt.datetime
    actor: str
    device_id: str
    hlc: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    event_id: str
    kind: EventKind
    status: Status
    message: str


@dataclass
class DossierState:
    status: Status | None = None
    due_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    extensions: int = 0
    result_ready_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    transferred_at: dt.datetime | None = None
    last_hlc: str = ""
    conflicts: list[Conflict] = field(default_factory=list)


def decide(state: DossierState, kind: EventKind) -> Status | None:
    """Return the status after ``kind`` or raise ``InvalidTransition``."""
    if kind is EventKind.RATED:
        return None  # a rating is an opinion on the dossier, not a step of it
    if kind is EventKind.RECEIVED:
        if state.status is not None:
            raise InvalidTransition(state.status.value, kind.value, state.status.label, kind.label)
        return Status.RECEIVED
    if state.status is None:
        raise InvalidTransition("none", kind.value, "Chưa tiếp nhận", kind.label)
    sources, target = TRANSITIONS[kind]
    if state.status not in sources:
        raise InvalidTransition(state.status.value, kind.value, state.status.label, kind.label)
    return target


def decide_extension(
    state: DossierState,
    now: dt.datetime,
    new_due: dt.datetime | None,
    at_risk_until: dt.datetime,
) -> None:
    """The apology and extension letter (Mẫu 04) is for a dossier that is late or about
    to be: refuse it otherwise, and require a new appointment after the current one.

    ``at_risk_until``: the dossier is "at risk" when its appointment is not after this
    moment (the service puts it at the end of the next working day, computed with the
    working calendar, so this rule stays calendar-free). Raises ``DomainError``.
    """
    decide(state, EventKind.EXTENDED)
    due = state.due_at
    if due is not None and now <= due and due > at_risk_until:
        raise DomainError(
            "Chỉ lập văn bản xin lỗi và đề nghị gia hạn khi hồ sơ đã quá hạn hoặc sắp đến hạn "
            f"mà chưa giải quyết xong (hạn hiện tại: {due:%H:%M %d/%m/%Y})."
        )
    if new_due is None:
        raise DomainError("Văn bản xin lỗi phải ghi thời gian trả kết quả mới.")
    if due is not None and new_due <= due:
        raise DomainError("Thời gian trả kết quả mới phải sau thời hạn hiện tại.")


def _parse_time(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def apply(state: DossierState, event: DossierEvent) -> DossierState:
    """Apply one event in place (raises ``InvalidTransition`` if not allowed)."""
    target = decide(state, event.kind)
    payload = event.payload
    if target is not None:
        state.status = target
    if event.kind is EventKind.RECEIVED:
        state.received_at = event.at
        state.due_at = _parse_time(payload.get("due_at"))
    elif event.kind in (EventKind.SUPPLEMENTED, EventKind.EXTENDED, EventKind.FEES_PAID):
        # The service computes the new deadline with the working calendar and
        # stores it in the event, so the fold needs no calendar.
        new_due = _parse_time(payload.get("due_at"))
        if new_due is not None:
            state.due_at = new_due
        if event.kind is EventKind.EXTENDED:
            state.extensions += 1
    elif event.kind is EventKind.TRANSFERRED:
        state.transferred_at = state.transferred_at or event.at
    elif event.kind is EventKind.RESULT_READY:
        state.result_ready_at = event.at
    elif event.kind is EventKind.RETURNED:
        state.returned_at = event.at
    state.last_hlc = max(state.last_hlc, event.hlc)
    return state


def fold(events: Iterable[DossierEvent]) -> DossierState:
    """Replay events in HLC order; invalid ones become conflicts, never vanish."""
    state = DossierState()
    for event in sorted(events, key=lambda e: (e.hlc, e.id)):
        try:
            apply(state, event)
        except InvalidTransition as exc:
            current = state.status or Status.RECEIVED
            state.conflicts.append(Conflict(event.id, event.kind, current, str(exc)))
            state.last_hlc = max(state.last_hlc, event.hlc)
    return state


def timeliness(due_at: dt.datetime | None, done_at: dt.datetime | None) -> str:
    """'Trước hạn' / 'Đúng hạn' / 'Quá hạn' as used on the control sheet."""
    if due_at is None or done_at is None:
        return ""
    if done_at.date() < due_at.date():
        return "Trước hạn"
    if done_at <= due_at:
        return "Đúng hạn"
    return "Quá hạn"
