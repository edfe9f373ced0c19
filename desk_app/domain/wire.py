"""The one wire format of dossier events and sync changes (pydantic v2).

Who uses it:

* the desk encodes its events with ``encode_event``/``event_dict`` (store, outbox, sync client);
* the server checks EVERY pushed change with ``check_pushed`` before storing it;
* a station checks every pulled change with ``check_pulled`` before applying it,
  and decodes events with ``decode_event`` (the fold needs ``DossierEvent``).

Values travel as JSON; times as ISO-8601 strings *with* a time zone, in a sane
year range (a year-0001 or year-9999 time, or a naive one, would break the fold,
the due-date columns and every export downstream). Validation keeps the sender's
values as they are (no re-encoding), so a validated payload is stored byte for byte.

Change kinds are dispatched through tables (``PUSHED_KINDS``, ``PULLED_KINDS``):
a new kind is one model and one table entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from desk_app.domain.lifecycle import DossierEvent, EventKind, RatingLevel
from desk_app.domain.model import Channel, IdKind, ReturnMethod

MIN_YEAR, MAX_YEAR = 1990, 2200
MAX_DUE_AHEAD = dt.timedelta(days=5 * 366)  # a due date further than this after its event is absurd
MAX_TEXT = 2000
MAX_ID = 64

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_HLC_RE = re.compile(r"^(\d{13})-(\d{5})-([A-Za-z0-9._:-]{1,64})$")
_KIND_RE = re.compile(r"^[a-z_]{1,40}$")
_MIN_MS = int(dt.datetime(MIN_YEAR, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
_MAX_MS = int(dt.datetime(MAX_YEAR, 12, 31, tzinfo=dt.UTC).timestamp() * 1000)


# ---------------------------------------------------------------- field types
def parse_time(value: str) -> dt.datetime:
    """An aware datetime in [MIN_YEAR, MAX_YEAR] from its ISO text; ``ValueError`` otherwise."""
    if len(value) > 40:
        raise ValueError("thời điểm quá dài")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("thời điểm thiếu múi giờ")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"năm {parsed.year} ngoài khoảng {MIN_YEAR}–{MAX_YEAR}")
    return parsed


def _time(value: str) -> str:
    parse_time(value)
    return value


def _date(value: str) -> str:
    if len(value) != 10:
        raise ValueError("ngày phải có dạng YYYY-MM-DD")
    day = dt.date.fromisoformat(value)
    if not 1880 <= day.year <= MAX_YEAR:
        raise ValueError(f"năm {day.year} không hợp lệ")
    return value


def hlc_physical_ms(value: str) -> int:
    """The wall-clock part of an HLC stamp; ``ValueError`` if the stamp is malformed or absurd."""
    match = _HLC_RE.match(value)
    if match is None:
        raise ValueError("dấu thời gian HLC không hợp lệ")
    physical = int(match.group(1))
    if not _MIN_MS <= physical <= _MAX_MS:
        raise ValueError("dấu thời gian HLC ngoài khoảng hợp lệ")
    return physical


# Patterns run in pydantic's core (no Python call per field): pushes validate thousands of events.
WireId = Annotated[StrictStr, Field(pattern=_ID_RE.pattern)]
WireTime = Annotated[StrictStr, AfterValidator(_time)]
WireDate = Annotated[StrictStr, AfterValidator(_date)]
# shape only; the clock range is checked by every receiver (``clock_ahead_reason``)
WireHlc = Annotated[StrictStr, Field(pattern=_HLC_RE.pattern)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
ShortText = Annotated[StrictStr, Field(max_length=200)]
Count = Annotated[StrictInt, Field(ge=0, le=100_000)]


# ---------------------------------------------------------------- RECEIVED snapshot
class _Lenient(BaseModel):
    # Unknown keys are ignored (a newer sender may add columns); the stored payload keeps them.
    model_config = ConfigDict(extra="ignore")


class ComponentSnapshot(_Lenient):
    key: ShortText = ""
    name: Text
    originals: Count = 0
    certified_copies: Count = 0
    photocopies: Count = 0


class DossierSnapshot(_Lenient):
    id: WireId
    code: ShortText
    unit_code: ShortText
    target_unit_code: ShortText = ""
    procedure_code: ShortText = Field(min_length=1)
    procedure_name: Text = Field(min_length=1)
    field: Text
    applicant_id: WireId
    applicant_name: Text = Field(min_length=1)
    applicant_id_number: ShortText = ""
    applicant_phone: ShortText = ""
    applicant_address: Text = ""
    channel: Channel
    return_method: ReturnMethod
    return_address: Text = ""
    received_at: WireTime
    sets: Count = 1
    fee: Annotated[StrictInt, Field(ge=0, le=10**12)] = 0
    officer: ShortText = ""
    components: list[ComponentSnapshot] = Field(default_factory=list, max_length=200)
    logbook_volume: ShortText = ""
    logbook_number: Count = 0
    extra: dict[str, Any] = Field(default_factory=dict, max_length=50)


class ApplicantSnapshot(_Lenient):
    id: WireId
    full_name: Text = Field(min_length=1)
    id_kind: IdKind = IdKind.CCCD
    id_number: ShortText = ""
    birth_date: WireDate | None = None
    phone: ShortText = ""
    email: ShortText = ""
    street: Text = ""
    commune_code: ShortText = ""
    commune_name: Text = ""
    province_code: ShortText = ""
    province_name: Text = ""


# ---------------------------------------------------------------- event payloads per kind
class ReceivedPayload(_Lenient):
    due_at: WireTime
    dossier: DossierSnapshot
    applicant: ApplicantSnapshot


class NewDuePayload(_Lenient):  # SUPPLEMENTED, FEES_PAID: the legal time runs again
    due_at: WireTime | None = None


class ExtendedPayload(_Lenient):  # Mẫu 04: apology and a new appointment
    due_at: WireTime
    previous_due_at: WireTime | None = None
    reason: Text = ""
    issued_after_deadline: StrictBool = False


class RatedPayload(_Lenient):  # the citizen's rating (desk_app.domain.ratings builds it)
    level: RatingLevel
    reasons: list[ShortText] = Field(default_factory=list, max_length=10)
    comment: Annotated[StrictStr, Field(max_length=1000)] = ""
    source: Annotated[StrictStr, Field(pattern=r"^(counter|kiosk|web)$")]


# Digitised papers (desk_app.attachments): the file is named by its sha256 and synced
# separately (desk_app.sync.files, central/files.py).
Sha256 = Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
FileSize = Annotated[StrictInt, Field(ge=1, le=2**31)]
AttachmentRole = Annotated[StrictStr, Field(pattern=r"^(component|result)$")]


class AttachedPayload(_Lenient):
    attachment_id: WireId
    role: AttachmentRole
    component_key: ShortText = ""
    component_name: Text = ""
    sha256: Sha256
    size: FileSize
    mime: Annotated[StrictStr, Field(pattern=r"^application/pdf$")]
    pages: Count = 0
    source: ShortText = ""
    reused: StrictBool = False


class DetachedPayload(_Lenient):
    attachment_id: WireId
    sha256: Sha256 | None = None
    reason: Text = ""


class SignerSnapshot(_Lenient):
    subject: Text
    organisation: Text = ""
    serial: ShortText = ""
    issuer: Text = ""
    not_before: ShortText = ""
    not_after: ShortText = ""


class ResultSignedPayload(_Lenient):
    attachment_id: WireId
    sha256: Sha256
    size: FileSize
    pages: Count = 0
    result_code: ShortText = Field(min_length=1)
    signer: SignerSnapshot
    method: Annotated[StrictStr, Field(pattern=r"^(pkcs11|pkcs12)$")]
    unsigned_sha256: Annotated[StrictStr, Field(pattern=r"^([0-9a-f]{64})?$")] = ""


EVENT_PAYLOADS: dict[EventKind, type[BaseModel]] = {
    EventKind.ATTACHED: AttachedPayload,
    EventKind.DETACHED: DetachedPayload,
    EventKind.RESULT_SIGNED: ResultSignedPayload,
    EventKind.RATED: RatedPayload,
    EventKind.RECEIVED: ReceivedPayload,
    EventKind.SUPPLEMENTED: NewDuePayload,
    EventKind.FEES_PAID: NewDuePayload,
    EventKind.EXTENDED: ExtendedPayload,
}


class WireEvent(BaseModel):
    """A dossier event as it travels (push body, pull page, station outbox)."""

    model_config = ConfigDict(extra="forbid")

    id: WireId
    dossier_id: WireId
    kind: EventKind
    at: WireTime
    actor: ShortText
    device_id: WireId
    hlc: WireHlc
    payload: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _payload_fits_kind(self) -> WireEvent:
        model = EVENT_PAYLOADS.get(self.kind)
        if model is None:
            return self  # free payload (a remark, a reason): any JSON object
        body = model.model_validate(self.payload)
        due = getattr(body, "due_at", None)
        if (
            due is not None
            and dt.datetime.fromisoformat(due) - dt.datetime.fromisoformat(self.at) > MAX_DUE_AHEAD
        ):
            raise ValueError("hạn giải quyết quá xa thời điểm của sự kiện")
        if isinstance(body, ReceivedPayload):
            if body.dossier.id != self.dossier_id:
                raise ValueError("mã hồ sơ trong sự kiện tiếp nhận không khớp")
            if body.dossier.applicant_id != body.applicant.id:
                raise ValueError("thông tin người nộp không khớp")
        return self


class TicketEvent(BaseModel):
    """A queue ticket event (``ticket_event`` changes), kept for the province's statistics."""

    model_config = ConfigDict(extra="ignore")

    id: WireId
    at: WireTime
    day: ShortText
    kind: ShortText
    ticket_id: WireId
    device_id: WireId
    ticket_label: ShortText = ""
    queue_code: ShortText = ""
    counter_no: Annotated[StrictInt, Field(ge=0, le=10_000)] | None = None
    officer: ShortText = ""
    payload: dict[str, Any] = Field(default_factory=dict, max_length=50)


class CalendarChange(BaseModel):
    """A working-calendar override distributed by the server."""

    model_config = ConfigDict(extra="ignore")

    day: WireDate
    kind: Annotated[StrictStr, Field(pattern=r"^(off|work|clear)$")]
    note: Text = ""


class ProcedureChange(BaseModel):
    """A catalogue entry distributed by the server (full shape checked by the catalogue parser)."""

    model_config = ConfigDict(extra="allow")

    code: ShortText = Field(min_length=1)
    name: Text = Field(min_length=1)
    time: dict[str, Any]


# ---------------------------------------------------------------- changes and dispatch
class WireChange(BaseModel):
    """The envelope of one pushed change."""

    id: Annotated[StrictStr, Field(max_length=200)]
    kind: Annotated[StrictStr, Field(max_length=200)]
    entity_id: Annotated[StrictStr, Field(max_length=200)] = ""
    payload: Any = None


class PulledChange(BaseModel):
    seq: StrictInt
    kind: StrictStr
    payload: dict[str, Any]


# kind -> model of its payload. Pushed by stations (checked by the server):
PUSHED_KINDS: dict[str, type[BaseModel]] = {"event": WireEvent, "ticket_event": TicketEvent}
# Pulled by stations (checked by the station before applying):
PULLED_KINDS: dict[str, type[BaseModel]] = {
    "event": WireEvent,
    "calendar": CalendarChange,
    "procedure": ProcedureChange,
    "ticket_event": TicketEvent,
}


class WireError(ValueError):
    """A change that does not fit the wire format; ``str()`` is a Vietnamese reason."""


def _reason(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    msg = str(first.get("msg", "")).removeprefix("Value error, ")
    return f"Dữ liệu không đúng định dạng ({where or 'payload'}: {msg[:160]})."


def check_payload(table: Mapping[str, type[BaseModel]], kind: Any, payload: Any) -> BaseModel:
    """Validate ``payload`` as a change of ``kind``; raises ``WireError`` with a reason."""
    model = table.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise WireError(f"Loại thay đổi “{str(kind)[:40]}” không được hỗ trợ.")
    if not isinstance(payload, dict):
        raise WireError("Dữ liệu thay đổi không phải là một đối tượng JSON.")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise WireError(_reason(exc)) from None
    except (ValueError, TypeError, OverflowError) as exc:  # a validator's own parse error
        raise WireError(f"Dữ liệu không đúng định dạng ({str(exc)[:160]}).") from None


def check_pushed(kind: Any, payload: Any) -> BaseModel:
    return check_payload(PUSHED_KINDS, kind, payload)


def check_pulled(kind: Any, payload: Any) -> BaseModel:
    return check_payload(PULLED_KINDS, kind, payload)


def clock_ahead_reason(hlc: str, wall_ms: int, max_ahead_ms: int) -> str | None:
    """A reason if an HLC stamp runs further ahead of the receiver's wall clock than allowed."""
    try:
        physical = hlc_physical_ms(hlc)
    except ValueError as exc:
        return str(exc)
    if physical > wall_ms + max_ahead_ms:
        return "Dấu thời gian HLC vượt quá xa đồng hồ của máy nhận (đồng hồ thiết bị gửi sai?)."
    return None


# ---------------------------------------------------------------- encode / decode
EVENT_HEAD_FIELDS = ("id", "dossier_id", "kind", "at", "actor", "device_id", "hlc")


def event_dict(
    *,
    id: str,  # noqa: A002 - the wire field's name
    dossier_id: str,
    kind: str,
    at: str,
    actor: str,
    device_id: str,
    hlc: str,
    payload: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The wire form of an event from its stored fields (the one place that names them)."""
    return {
        "id": id,
        "dossier_id": dossier_id,
        "kind": kind,
        "at": at,
        "actor": actor,
        "device_id": device_id,
        "hlc": hlc,
        "payload": dict(payload or {}),
    }


def encode_event(e: DossierEvent) -> dict[str, Any]:
    return event_dict(
        id=e.id,
        dossier_id=e.dossier_id,
        kind=e.kind.value,
        at=e.at.isoformat(),
        actor=e.actor,
        device_id=e.device_id,
        hlc=e.hlc,
        payload=e.payload,
    )


def decode_event(d: Mapping[str, Any]) -> DossierEvent:
    """A ``DossierEvent`` from its wire/stored form (trusted: validated when it came in)."""
    return DossierEvent(
        d["id"],
        d["dossier_id"],
        EventKind(d["kind"]),
        dt.datetime.fromisoformat(d["at"]),
        d["actor"],
        d["device_id"],
        d["hlc"],
        d.get("payload") or {},
    )
