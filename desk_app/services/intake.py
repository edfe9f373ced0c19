"""Receiving a dossier at the counter: validate, number, compute the deadline, record.

One write transaction holds the applicant, the dossier, its first events and
their outbox rows, and the code lease it consumed: a crash leaves all or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from desk_app import codes, lookup
from desk_app.domain.errors import DomainError, InputErrors, NotFound, ValidationError
from desk_app.domain.lifecycle import DossierEvent, EventKind, Status, fold
from desk_app.domain.model import (
    Address,
    Applicant,
    Channel,
    CutoffRule,
    Dossier,
    IdKind,
    Procedure,
    ReceivedComponent,
    ReturnMethod,
    TimeKind,
)
from desk_app.ids import uuid7
from desk_app.notices.config import META_NOTICES
from desk_app.notices.outbox import enqueue
from desk_app.notices.rules import CHANNELS as NOTICE_CHANNELS
from desk_app.notices.rules import NOTIFY_KEY
from desk_app.services.station import Station
from desk_app.store.repositories import applicant_to_row, dossier_to_row, event_to_row, iso, summary_values
from desk_app.store.uow import UnitOfWork
from desk_app.textfold import normalize_text
from desk_app.validation import (
    validate_birth_date,
    validate_email,
    validate_id,
    validate_name,
    validate_phone,
)


@dataclass
class ApplicantInput:
    full_name: str
    id_kind: IdKind = IdKind.CCCD
    id_number: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    email: str = ""
    street: str = ""
    commune_code: str = ""
    commune_name: str = ""
    province_code: str = ""
    province_name: str = ""


@dataclass
class IntakeRequest:
    procedure_code: str
    applicant: ApplicantInput
    components: list[ReceivedComponent] = field(default_factory=list)
    sets: int = 1
    channel: Channel = Channel.DESK
    return_method: ReturnMethod = ReturnMethod.DESK
    return_address: str = ""
    copies: int = 1  # fee basis for per-copy / per-page rules
    pages: int = 1
    fee_override: int | None = None
    target_unit_code: str = ""  # phi địa giới: the competent unit if not ours
    ticket_id: str = ""  # queue ticket this dossier was received from
    note: str = ""
    # An incomplete dossier may still be recorded, then immediately:
    # A same-day procedure with a CONDITIONAL cut-off received after 15:00: the officer
    # settles it today ("trả ngay") instead of the next working day.
    return_today: bool = False
    incomplete_action: str = ""  # "" | "supplement" | "refuse"
    missing: list[dict[str, str]] = field(default_factory=list)  # [{"name":…, "note":…}]
    refusal_reason: str = ""
    # The citizen agreed to be told of the dossier's progress through this channel
    # ("" = no notices; "email" | "sms" | "zalo", see desk_app.notices.outbox).
    notify_channel: str = ""


def validate_applicant(
    data: ApplicantInput, today: dt.date | None = None
) -> tuple[Applicant, dict[str, str]]:
    """Return the normalised applicant and the field errors (Vietnamese).

    ``today`` is the station's date (birth dates after it are refused).
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def check(name: str, func: Any, *args: Any) -> None:
        try:
            values[name] = func(*args)
        except ValidationError as exc:
            errors[name] = str(exc)

    check("full_name", validate_name, data.full_name)
    if data.birth_date is not None:
        check("birth_date", validate_birth_date, data.birth_date, today)
    # A wrong birth date is blamed on the birth date, not on the CCCD's digits.
    birth_ok = data.birth_date is not None and "birth_date" not in errors
    birth_year = data.birth_date.year if birth_ok and data.birth_date else None
    check("id_number", validate_id, data.id_kind, data.id_number, birth_year)  # "" for IdKind.NONE
    if data.phone.strip():
        check("phone", validate_phone, data.phone)
    if data.email.strip():
        check("email", validate_email, data.email)
    applicant = Applicant(
        id="",
        full_name=values.get("full_name", normalize_text(data.full_name)),
        id_kind=data.id_kind,
        id_number=values.get("id_number", data.id_number.strip()),
        birth_date=data.birth_date,
        phone=values.get("phone", ""),
        email=values.get("email", ""),
        address=Address(
            normalize_text(data.street),
            data.commune_code,
            normalize_text(data.commune_name),
            data.province_code,
            normalize_text(data.province_name),
        ),
    )
    return applicant, errors


def _deliverer(uow: UnitOfWork) -> str:
    """Who sends this station's notices: "station" (default) or "server" (settings.notices)."""
    settings = uow.meta.get_json(META_NOTICES, {}) or {}
    return "server" if isinstance(settings, dict) and settings.get("deliver_from") == "server" else "station"


def notice_wish(
    req: IntakeRequest, applicant: Applicant, at: dt.datetime, by: str = "station"
) -> dict[str, str] | str | None:
    """The recorded consent ``{"channel", "consent_at", "by"}``, None, or an error (Vietnamese).

    ``by`` names who delivers the dossier's notices, so that the station and the central
    server never both send them."""
    channel = req.notify_channel
    if not channel:
        return None
    if channel not in NOTICE_CHANNELS:
        return "Kênh nhận thông báo không hợp lệ."
    if channel == "email" and not applicant.email:
        return "Nhận thông báo qua thư điện tử cần có địa chỉ e-mail."
    if channel in ("sms", "zalo") and not applicant.phone:
        return "Nhận thông báo qua SMS/Zalo cần có số điện thoại."
    return {"channel": channel, "consent_at": iso(at) or "", "by": by}


def enqueue_notices(
    uow: UnitOfWork, station: Station, dossier: Dossier, events: list[DossierEvent], at: dt.datetime
) -> None:
    """The citizen's notices for ``events``, in the caller's transaction (desk_app.notices)."""
    from desk_app.services.station import META_ENROLLED

    if not isinstance(dossier.extra.get(NOTIFY_KEY), dict):
        return
    unit = station.unit
    enqueue(
        uow.conn, dossier, events, at, unit.one_stop_body, uow.meta.get(META_ENROLLED), unit.lookup_base_url
    )


def missing_components(proc: Procedure, received: list[ReceivedComponent]) -> list[str]:
    got = {c.key for c in received if c.total > 0}
    return [c.display_name for c in proc.components if c.required and c.key not in got]


def compute_fee(proc: Procedure, copies: int = 1, pages: int = 1) -> int:
    return proc.fee.compute(copies=copies, pages=pages)


def settles_on_the_spot(proc: Procedure) -> bool:
    """Whether a procedure may be settled at the desk in one sitting ("Giải quyết ngay").

    Derived from the catalogue: procedures whose legal time is within the working day
    (chứng thực, many hộ tịch extracts) are the ones offices settle on the spot.
    """
    return proc.time.kind is TimeKind.SAME_DAY


def on_the_spot_errors(proc: Procedure, req: IntakeRequest) -> dict[str, str]:
    """Why ``req`` cannot be settled on the spot (empty when it can)."""
    errors: dict[str, str] = {}
    if not settles_on_the_spot(proc):
        errors["procedure"] = (
            f"Thủ tục “{proc.name}” có thời hạn {proc.time.label.lower()}: "
            "không giải quyết ngay tại quầy được; hãy tiếp nhận và hẹn trả kết quả."
        )
    if req.incomplete_action:
        errors["components"] = "Hồ sơ chưa đầy đủ không giải quyết ngay được."
    if req.return_method is not ReturnMethod.DESK:
        errors["return_address"] = "Giải quyết ngay thì trả kết quả trực tiếp tại quầy, không qua bưu chính."
    if req.target_unit_code:
        errors["target_unit"] = "Hồ sơ thuộc đơn vị khác giải quyết: không giải quyết ngay tại đây được."
    return errors


class IntakeService:
    def __init__(self, station: Station):
        self.station = station
        # Procedures looked up during one bulk intake; None outside it, so a later
        # single receipt sees catalogue changes (processing time, fee, components).
        self._procs_cache: dict[str, Procedure] | None = None

    def preview_due(
        self, procedure: Procedure, received_at: dt.datetime | None = None, *, return_today: bool = False
    ) -> dt.datetime:
        return self.station.calendar.due_at(
            received_at or self.station.now(), procedure.time, procedure.cutoff, return_today=return_today
        )

    def explain_due(
        self, procedure: Procedure, received_at: dt.datetime | None = None, *, return_today: bool = False
    ) -> str:
        """Why the appointment is what it is (Vietnamese, for the intake form)."""
        return self.station.calendar.explain_due(
            received_at or self.station.now(), procedure.time, procedure.cutoff, return_today=return_today
        )

    def offers_return_today(self, procedure: Procedure, received_at: dt.datetime | None = None) -> bool:
        """True when the officer must choose "trả ngay" or the next day (conditional cut-off, after 15:00)."""
        when = received_at or self.station.now()
        cal = self.station.calendar
        return (
            procedure.cutoff is CutoffRule.CONDITIONAL
            and procedure.time.kind is TimeKind.SAME_DAY
            and cal.is_working_day(when.date())
            and cal.is_after_cutoff(when)
        )

    def receive(self, actor: str, req: IntakeRequest, received_at: dt.datetime | None = None) -> Dossier:
        """Record one dossier; raises ``InputErrors`` listing every bad field."""
        with self.station.uow() as uow:
            dossier = self._receive_in(uow, actor, req, received_at or self.station.now())
            uow.commit()
        return dossier

    def settle_on_the_spot(self, actor: str, req: IntakeRequest) -> Dossier:
        """Receive, settle and return in one sitting: three events, each at its real time, each audited.

        The fee collected is recorded on the return. Raises ``InputErrors`` like
        ``receive`` and when the procedure or the request does not allow it.
        """
        with self.station.uow() as uow:
            try:
                proc = self._procedure(uow, req.procedure_code)
            except InputErrors as exc:
                today = self.station.now().date()
                raise InputErrors({**exc.errors, **validate_applicant(req.applicant, today)[1]}) from None
            errors = on_the_spot_errors(proc, req)
            if errors:
                raise InputErrors(errors)
            received_at = self.station.now()
            fee = (
                req.fee_override if req.fee_override is not None else compute_fee(proc, req.copies, req.pages)
            )
            result_at = max(self.station.now(), received_at)
            returned_at = max(self.station.now(), result_at)
            history = [
                (EventKind.RESULT_READY, result_at, {"result": proc.result, "on_the_spot": True}),
                (
                    EventKind.RETURNED,
                    returned_at,
                    {
                        "method": ReturnMethod.DESK.value,
                        "tracking_number": "",
                        "receiver": normalize_text(req.applicant.full_name),
                        "fee_collected": fee,
                        "on_the_spot": True,
                    },
                ),
            ]
            dossier = self._receive_in(uow, actor, req, received_at, history=history)
            for kind, at, _payload in history:
                uow.audit.add(uuid7(), iso(at) or "", actor, f"dossier.{kind.value}", dossier.code)
            uow.commit()
        return dossier

    def receive_many(
        self,
        actor: str,
        reqs: list[tuple[IntakeRequest, dt.datetime]],
        histories: list[list[tuple[EventKind, dt.datetime, dict[str, Any]]]] | None = None,
    ) -> list[Dossier]:
        """Bulk intake in one transaction (demo data, imports) through the same rules.

        ``histories`` optionally gives each dossier later actions (kind, time,
        payload); they are checked by the same transition rules as live actions.
        """
        out: list[Dossier] = []
        with self.station.uow() as uow:
            self._procs_cache = {}
            try:
                for index, (req, at) in enumerate(reqs):
                    history = histories[index] if histories else []
                    out.append(self._receive_in(uow, actor, req, at, bulk=True, history=history))
                self._flush(uow)
                uow.commit()
            finally:
                self._procs_cache = None
        return out

    # ------------------------------------------------------------------ internals
    _pending: dict[str, list[dict[str, Any]]]

    def _procedure(self, uow: UnitOfWork, code: str) -> Procedure:
        cache = self._procs_cache
        if cache is not None and code in cache:
            return cache[code]
        proc = uow.procedures.get(code)
        if proc is None:
            raise InputErrors({"procedure": f"Không tìm thấy thủ tục có mã “{code}” trong danh mục."})
        if cache is not None:
            cache[code] = proc
        return proc

    def _next_code(self, uow: UnitOfWork, day: dt.date) -> str:
        station = self.station
        unit_code = station.unit.code
        key = codes.day_key(day)
        leases = uow.leases.for_day(unit_code, key)

        def local_block() -> tuple[int, int]:
            start, end, nxt = codes.BlockAuthority.grant(uow.leases.local_grant_next_free(unit_code, key))
            uow.leases.local_set_next_free(unit_code, key, nxt)
            return start, end

        # Enrolled stations never call the network here: the sync worker keeps
        # server leases in stock, and the fallback slice covers the rest.
        from desk_app.services.station import META_ENROLLED, META_SLOT

        enrolled = bool(uow.meta.get(META_ENROLLED))
        slot = int(uow.meta.get(META_SLOT, "0") or 0)
        request = None if enrolled else local_block
        alloc = codes.allocate(leases, key, slot, request, uuid7, block_source="local")
        uow.leases.save(unit_code, alloc.lease, alloc.is_new_lease, iso(station.now()) or "")
        return codes.format_code(unit_code, day, alloc.seq)

    def _receive_in(
        self,
        uow: UnitOfWork,
        actor: str,
        req: IntakeRequest,
        received_at: dt.datetime,
        bulk: bool = False,
        history: list[tuple[EventKind, dt.datetime, dict[str, Any]]] | None = None,
    ) -> Dossier:
        station = self.station
        errors: dict[str, str] = {}
        try:
            proc = self._procedure(uow, req.procedure_code)
        except InputErrors as exc:
            errors.update(exc.errors)
            proc = None
        applicant, app_errors = validate_applicant(req.applicant, received_at.date())
        errors.update(app_errors)
        if req.sets < 1:
            errors["sets"] = "Số bộ hồ sơ phải từ 1 trở lên."
        if req.return_method is ReturnMethod.POST and not normalize_text(req.return_address):
            errors["return_address"] = "Trả kết quả qua bưu chính cần có địa chỉ nhận."
        missing = missing_components(proc, req.components) if proc else []
        if missing and not req.incomplete_action:
            errors["components"] = "Hồ sơ còn thiếu: " + "; ".join(missing) + "."
        if req.incomplete_action == "supplement" and not (req.missing or missing):
            errors["missing"] = "Phiếu yêu cầu bổ sung phải nêu rõ giấy tờ còn thiếu."
        if req.incomplete_action == "refuse" and not normalize_text(req.refusal_reason):
            errors["refusal_reason"] = "Phải ghi rõ lý do từ chối tiếp nhận."
        notify = notice_wish(
            req, applicant, received_at, _deliverer(uow) if req.notify_channel else "station"
        )
        if isinstance(notify, str):
            errors["notify_channel"] = notify
        if errors:
            raise InputErrors(errors)
        assert proc is not None

        now_s = iso(received_at) or ""
        existing = uow.applicants.find(applicant.id_number, "") if applicant.id_number else None
        applicant = replace(applicant, id=existing.id if existing else uuid7())
        code = self._next_code(uow, received_at.date())
        due = station.calendar.due_at(received_at, proc.time, proc.cutoff, return_today=req.return_today)
        fee = req.fee_override if req.fee_override is not None else compute_fee(proc, req.copies, req.pages)
        volume = str(received_at.year)
        number = uow.logbook.next_number(volume)
        dossier = Dossier(
            id=uuid7(),
            code=code,
            unit_code=station.unit.code,
            procedure_code=proc.code,
            procedure_name=proc.name,
            field=proc.field,
            applicant=applicant,
            channel=req.channel,
            return_method=req.return_method,
            received_at=received_at,
            due_at=due,
            status=Status.RECEIVED.value,
            components=tuple(c for c in req.components if c.total > 0),
            sets=req.sets,
            fee=fee,
            officer=actor,
            return_address=normalize_text(req.return_address),
            logbook_volume=volume,
            logbook_number=number,
            target_unit_code=req.target_unit_code,
            extra={
                k: v
                for k, v in (
                    ("ticket_id", req.ticket_id),
                    ("note", req.note),
                    # kept so that an after-15:00 same-day appointment can be explained later
                    ("return_today", req.return_today and proc.cutoff is CutoffRule.CONDITIONAL),
                    # random, offline, never derived from the code: the receipt QR's key
                    (lookup.SECRET_KEY, lookup.new_secret()),
                    (NOTIFY_KEY, notify),
                )
                if v
            },
        )
        dossier_row = dossier_to_row(dossier)
        applicant_row = applicant_to_row(applicant, now_s)
        received = DossierEvent(
            id=uuid7(),
            dossier_id=dossier.id,
            kind=EventKind.RECEIVED,
            at=received_at,
            actor=actor,
            device_id=station.device_id,
            hlc=station.hlc.now(),
            payload={
                "due_at": iso(due),
                "dossier": snapshot(dossier_row, DOSSIER_DERIVED),
                "applicant": snapshot(applicant_row, APPLICANT_DERIVED),
            },
        )
        events = [received]
        if req.incomplete_action == "supplement":
            listed = req.missing or [{"name": name, "note": ""} for name in missing]
            events.append(
                self._follow_up(
                    dossier.id,
                    actor,
                    received_at,
                    EventKind.SUPPLEMENT_REQUESTED,
                    {"missing": listed, "note": req.note, "at_intake": True},
                )
            )
        elif req.incomplete_action == "refuse":
            events.append(
                self._follow_up(
                    dossier.id,
                    actor,
                    received_at,
                    EventKind.REFUSED,
                    {"reason": normalize_text(req.refusal_reason), "at_intake": True},
                )
            )
        for kind, at, payload in history or ():
            events.append(self._follow_up(dossier.id, actor, at, kind, payload))
        state = fold(events)
        if state.conflicts:
            raise InputErrors({"history": state.conflicts[0].message})
        dossier_row.update(summary_values(state))
        dossier = replace(dossier, status=dossier_row["status"], due_at=state.due_at or due)

        if bulk:
            self._queue_rows(uow, applicant_row, existing is not None, dossier_row, events, now_s)
        else:
            uow.applicants.upsert(applicant, now_s)  # a returning applicant's details are refreshed
            uow.dossiers.add_many([dossier_row])
            uow.dossiers.add_events([event_to_row(e) for e in events])
            uow.outbox.add_many([_outbox_row(e, now_s) for e in events])
            enqueue_notices(uow, station, dossier, events, received_at)
            uow.audit.add(uuid7(), now_s, actor, "dossier.receive", code)
        return dossier

    def _follow_up(
        self, dossier_id: str, actor: str, at: dt.datetime, kind: EventKind, payload: dict[str, Any]
    ) -> DossierEvent:
        return DossierEvent(
            uuid7(), dossier_id, kind, at, actor, self.station.device_id, self.station.hlc.now(), payload
        )

    def _queue_rows(
        self,
        uow: UnitOfWork,
        applicant_row: dict[str, Any],
        exists: bool,
        dossier_row: dict[str, Any],
        events: list[DossierEvent],
        now_s: str,
    ) -> None:
        pending = getattr(self, "_pending", None)
        if pending is None:
            pending = self._pending = {"applicants": [], "dossiers": [], "events": [], "outbox": []}
        if not exists:  # a returning applicant keeps its row in bulk mode
            pending["applicants"].append(applicant_row)
        pending["dossiers"].append(dossier_row)
        pending["events"].extend(event_to_row(e) for e in events)
        pending["outbox"].extend(_outbox_row(e, now_s) for e in events)
        if len(pending["dossiers"]) >= 2000:
            self._flush(uow)

    def _flush(self, uow: UnitOfWork) -> None:
        pending = getattr(self, "_pending", None)
        if not pending:
            return
        from sqlalchemy import insert

        from desk_app.store import schema as s

        if pending["applicants"]:
            uow.conn.execute(insert(s.applicants).prefix_with("OR IGNORE"), pending["applicants"])
        uow.dossiers.add_many(pending["dossiers"])
        uow.dossiers.add_events(pending["events"])
        uow.outbox.add_many(pending["outbox"])
        self._pending = {"applicants": [], "dossiers": [], "events": [], "outbox": []}


# Columns a receiving station derives itself (the fold, search folding): they
# stay out of the RECEIVED snapshot so every event stays small and immutable.
DOSSIER_DERIVED = frozenset(
    {
        "applicant_name_folded",
        "status",
        "due_at",
        "extensions",
        "has_conflict",
        "last_hlc",
        "transferred_at",
        "result_ready_at",
        "returned_at",
    }
)
APPLICANT_DERIVED = frozenset({"name_folded", "updated_at"})


def snapshot(row: dict[str, Any], derived: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in derived}


def _outbox_row(event: DossierEvent, now_s: str) -> dict[str, Any]:
    # Events are immutable, so the outbox only points at the event row (same id);
    # ``OutboxRepository.pending`` joins the event back in when it is pushed.
    return {
        "id": event.id,
        "kind": "event",
        "entity_id": event.dossier_id,
        "payload": {},
        "created_at": now_s,
        "attempts": 0,
    }


def ensure_dossier(uow: UnitOfWork, code_or_id: str) -> Dossier:
    dossier = uow.dossiers.by_code(code_or_id) or uow.dossiers.get(code_or_id)
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ “{code_or_id}” trong cơ sở dữ liệu của trạm.")
    return dossier


__all__ = [
    "ApplicantInput",
    "DomainError",
    "IntakeRequest",
    "IntakeService",
    "compute_fee",
    "on_the_spot_errors",
    "settles_on_the_spot",
    "ensure_dossier",
    "missing_components",
    "validate_applicant",
]
