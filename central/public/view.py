"""What the public look-up page may show of a dossier, built from its synced events.

Only public fields leave this module: the procedure, the masked name, times,
the current step and its history (labels only: officers' notes, reasons typed
by staff, receivers and tracking numbers stay out), what to bring when a
supplement is asked, where and when to collect, and whether a signed electronic
result exists (its number/symbol, signer and date only). Never the ID number,
phone, address, e-mail, files or their hashes. Pure: no database, no HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desk_app import lookup
from desk_app.attachments.model import ROLE_RESULT, current_attachments
from desk_app.domain.lifecycle import DossierEvent, EventKind, Status, fold
from desk_app.domain.model import ReturnMethod

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")

# Steps a citizen understands, in plain words (the history never shows internal remarks).
PUBLIC_STEP = {
    EventKind.RECEIVED: "Hồ sơ đã được tiếp nhận",
    EventKind.TRANSFERRED: "Hồ sơ đã được chuyển đến bộ phận giải quyết",
    EventKind.PROCESSING_STARTED: "Hồ sơ đang được giải quyết",
    EventKind.SUPPLEMENT_REQUESTED: "Cần bổ sung, hoàn thiện hồ sơ",
    EventKind.SUPPLEMENTED: "Ông/bà đã bổ sung hồ sơ",
    EventKind.FEES_REQUESTED: "Chờ thực hiện nghĩa vụ tài chính",
    EventKind.FEES_PAID: "Đã thực hiện nghĩa vụ tài chính",
    EventKind.RESULT_READY: "Đã có kết quả",
    EventKind.REFUSED: "Hồ sơ bị từ chối giải quyết",
    EventKind.STOPPED: "Dừng giải quyết hồ sơ",
    EventKind.WITHDRAWN: "Ông/bà đã rút hồ sơ",
    EventKind.EXTENDED: "Cơ quan xin lỗi và hẹn lại ngày trả kết quả",
    EventKind.RETURNED: "Đã trả kết quả",
}
# Files are not steps of the procedure; the signed e-result has its own line (``SignedResult``).
HIDDEN_KINDS = frozenset(
    {EventKind.NOTE, EventKind.RATED, EventKind.ATTACHED, EventKind.DETACHED, EventKind.RESULT_SIGNED}
)
_KINDS = {k.value: k for k in EventKind}


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    label: str


@dataclass(frozen=True)
class SignedResult:
    """The public facts of a signed electronic result: never the file nor its hash."""

    result_code: str  # số, ký hiệu of the result document
    signer: str  # the certificate's subject (the issuing officer or agency)
    at: dt.datetime


@dataclass
class PublicView:
    dossier_id: str
    code: str
    unit_code: str
    procedure: str
    masked_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    status: Status | None
    status_label: str
    history: list[Step] = field(default_factory=list)
    to_bring: list[str] = field(default_factory=list)  # when a supplement is requested
    collect_where: str = ""
    collect_when: str = ""
    rated: bool = False  # a rating from the public page exists already
    can_rate: bool = False  # result returned, not yet rated on the page
    late_apology: bool = False
    signed_result: SignedResult | None = None  # the latest signed e-result not detached


def event_from_wire(p: Mapping[str, Any]) -> DossierEvent | None:
    """A pushed event (JSON) as a domain event; ``None`` for shapes this server does not know."""
    kind = _KINDS.get(str(p.get("kind", "")))
    try:
        at = dt.datetime.fromisoformat(str(p.get("at", "")))
    except ValueError:
        return None
    if kind is None:
        return None
    payload = p.get("payload")
    return DossierEvent(
        id=str(p.get("id", "")),
        dossier_id=str(p.get("dossier_id", "")),
        kind=kind,
        at=at,
        actor=str(p.get("actor", "")),
        device_id=str(p.get("device_id", "")),
        hlc=str(p.get("hlc", "")),
        payload=payload if isinstance(payload, dict) else {},
    )


def received_snapshot(events: Iterable[DossierEvent]) -> tuple[dict[str, Any], dict[str, Any]]:
    for e in events:
        if e.kind is EventKind.RECEIVED:
            dossier = e.payload.get("dossier")
            applicant = e.payload.get("applicant")
            return (
                dossier if isinstance(dossier, dict) else {},
                applicant if isinstance(applicant, dict) else {},
            )
    return {}, {}


def dossier_secret(dossier: Mapping[str, Any]) -> str:
    extra = dossier.get("extra")
    return str(extra.get(lookup.SECRET_KEY, "") or "") if isinstance(extra, dict) else ""


def last4_candidates(applicant: Mapping[str, Any]) -> list[str]:
    return [str(applicant.get("phone") or ""), str(applicant.get("id_number") or "")]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(VN_TZ) if value is not None and value.tzinfo is not None else value


def signed_result(events: Iterable[DossierEvent]) -> SignedResult | None:
    """The latest signed electronic result still attached (same rule as ``digitisation``)."""
    signed = [a for a in current_attachments(events) if a.role == ROLE_RESULT and a.signed]
    if not signed:
        return None
    last = signed[-1]
    return SignedResult(result_code=last.result_code, signer=last.signer, at=_local(last.at) or last.at)


def build_view(events: list[DossierEvent], unit_body: str) -> PublicView | None:
    dossier, applicant = received_snapshot(events)
    if not dossier:
        return None
    state = fold(events)
    ordered = sorted(events, key=lambda e: (e.hlc, e.id))
    history = [Step(_local(e.at) or e.at, PUBLIC_STEP[e.kind]) for e in ordered if e.kind not in HIDDEN_KINDS]
    to_bring: list[str] = []
    if state.status is Status.SUPPLEMENT_REQUESTED:
        last = [e for e in ordered if e.kind is EventKind.SUPPLEMENT_REQUESTED][-1]
        for item in last.payload.get("missing", []) or []:
            name = item.get("name", "") if isinstance(item, dict) else str(item)
            if name:
                to_bring.append(str(name))
    try:
        method: ReturnMethod | None = ReturnMethod(str(dossier.get("return_method", "")))
    except ValueError:
        method = None
    due = _local(state.due_at)
    if method is ReturnMethod.POST:
        where = "Qua dịch vụ bưu chính công ích, gửi đến địa chỉ ông/bà đã đăng ký"
    elif method is ReturnMethod.ONLINE:
        where = "Trực tuyến, trên Cổng Dịch vụ công"
    else:
        where = f"Tại Bộ phận Một cửa – {unit_body}" if unit_body else "Tại Bộ phận Một cửa"
    if state.status is Status.RESULT_READY:
        when = "Kết quả đã có: mời ông/bà đến nhận trong giờ làm việc, mang theo giấy tiếp nhận hồ sơ."
    elif state.status is not None and state.status.is_final:
        when = ""
    elif due is not None:
        when = f"Từ {due:%H:%M} ngày {due:%d/%m/%Y} (theo giấy hẹn)"
    else:
        when = ""
    rated = any(e.kind is EventKind.RATED and e.payload.get("source") == "web" for e in events)
    return PublicView(
        dossier_id=str(dossier.get("id", "")),
        code=str(dossier.get("code", "")),
        unit_code=str(dossier.get("unit_code", "")),
        procedure=str(dossier.get("procedure_name", "")),
        masked_name=lookup.mask_name(str(applicant.get("full_name", ""))),
        received_at=_local(state.received_at),
        due_at=due,
        status=state.status,
        status_label=state.status.label if state.status else "",
        history=history,
        to_bring=to_bring,
        collect_where=where,
        collect_when=when,
        rated=rated,
        can_rate=state.status is Status.RETURNED and not rated,
        late_apology=state.extensions > 0,
        signed_result=signed_result(events),
    )
