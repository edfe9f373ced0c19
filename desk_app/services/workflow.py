"""Recording what happens to a dossier after intake, one event per action.

Each action checks the transition against the fold of the dossier's events,
computes any new deadline with the working calendar (stored in the event so
the fold stays calendar-free), appends the event and its outbox row, and
refreshes the dossier's summary columns, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desk_app.domain.errors import DomainError, InputErrors
from desk_app.domain.lifecycle import DossierEvent, DossierState, EventKind, decide, decide_extension, fold
from desk_app.domain.model import Dossier, ReturnMethod
from desk_app.ids import uuid7
from desk_app.services.intake import _outbox_row, enqueue_notices, ensure_dossier
from desk_app.services.station import Station
from desk_app.store.repositories import iso, summary_values
from desk_app.store.uow import UnitOfWork
from desk_app.textfold import normalize_text


class WorkflowService:
    def __init__(self, station: Station):
        self.station = station

    def state(self, code_or_id: str) -> tuple[Dossier, list[DossierEvent], DossierState]:
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
        return dossier, events, fold(events)

    def act(self, actor: str, code_or_id: str, kind: EventKind, **data: Any) -> DossierEvent:
        """Record ``kind`` for the dossier; raises ``InvalidTransition`` or ``InputErrors``."""
        if kind is EventKind.RATED:  # only the citizen rates (desk_app.services.ratings)
            raise DomainError(
                "Đánh giá mức độ hài lòng do công dân thực hiện; cán bộ không ghi hay sửa được."
            )
        now = self.station.now()
        with self.station.uow() as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
            state = fold(events)
            decide(state, kind)  # raises InvalidTransition naming status and action
            payload = self._payload(uow, dossier, state, kind, now, data)
            event = DossierEvent(
                id=uuid7(),
                dossier_id=dossier.id,
                kind=kind,
                at=now,
                actor=actor,
                device_id=self.station.device_id,
                hlc=self.station.hlc.now(),
                payload=payload,
            )
            state = fold([*events, event])
            now_s = iso(now) or ""
            uow.dossiers.add_event(event)
            uow.dossiers.update_summary(dossier.id, **summary_values(state))
            uow.outbox.add_many([_outbox_row(event, now_s)])
            enqueue_notices(uow, self.station, dossier, [event], now)  # same transaction
            uow.audit.add(uuid7(), now_s, actor, f"dossier.{kind.value}", dossier.code)
            uow.commit()
        return event

    def _payload(
        self,
        uow: UnitOfWork,
        dossier: Dossier,
        state: DossierState,
        kind: EventKind,
        now: dt.datetime,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        text = {k: normalize_text(str(v)) for k, v in data.items() if isinstance(v, str)}
        errors: dict[str, str] = {}
        payload: dict[str, Any] = {}
        if kind is EventKind.TRANSFERRED:
            if not text.get("to"):
                errors["to"] = "Chọn bộ phận / cán bộ nhận hồ sơ để chuyển xử lý."
            payload = {"to": text.get("to", ""), "to_person": text.get("to_person", "")}
        elif kind is EventKind.SUPPLEMENT_REQUESTED:
            missing = [
                {"name": normalize_text(m.get("name", "")), "note": normalize_text(m.get("note", ""))}
                for m in data.get("missing", [])
                if normalize_text(m.get("name", ""))
            ]
            if not missing:
                errors["missing"] = (
                    "Phiếu yêu cầu bổ sung phải liệt kê đầy đủ các giấy tờ cần bổ sung (một lần)."
                )
            payload = {"missing": missing, "note": text.get("note", "")}
        elif kind in (EventKind.SUPPLEMENTED, EventKind.FEES_PAID):
            # The legal time runs again from the day the dossier is complete.
            proc = uow.procedures.get(dossier.procedure_code)
            due = self.station.calendar.due_at(now, proc.time, proc.cutoff) if proc else state.due_at
            payload = {"due_at": iso(due), "note": text.get("note", "")}
        elif kind is EventKind.EXTENDED:
            new_due = data.get("due_at")
            if isinstance(new_due, str):
                new_due = dt.datetime.fromisoformat(new_due)
            if isinstance(new_due, dt.date) and not isinstance(new_due, dt.datetime):
                hours = self.station.unit.hours
                hh, mm = (int(x) for x in hours.afternoon_end.split(":"))
                new_due = dt.datetime.combine(new_due, dt.time(hh, mm), tzinfo=now.tzinfo)
            # Domain rule (lifecycle.decide_extension): only for a late or at-risk dossier,
            # at risk = due before the end of the next working day.
            cal = self.station.calendar
            risk_day = cal.next_working_day(now.date())
            at_risk_until = dt.datetime.combine(risk_day, dt.time(23, 59, 59), tzinfo=now.tzinfo)
            try:
                decide_extension(
                    state, now, new_due if isinstance(new_due, dt.datetime) else None, at_risk_until
                )
            except DomainError as exc:
                errors["due_at"] = str(exc)
            if (
                "due_at" not in errors
                and isinstance(new_due, dt.datetime)
                and not cal.is_working_day(new_due.date())
            ):
                errors["due_at"] = f"Ngày hẹn mới {new_due:%d/%m/%Y} không phải ngày làm việc."
            if not text.get("reason"):
                errors["reason"] = "Phải nêu lý do chậm trễ trong văn bản xin lỗi."
            payload = {
                "due_at": iso(new_due) if isinstance(new_due, dt.datetime) else None,
                "previous_due_at": iso(state.due_at),
                "reason": text.get("reason", ""),
                "issued_after_deadline": bool(state.due_at and now > state.due_at),
            }
        elif kind in (EventKind.REFUSED, EventKind.STOPPED, EventKind.WITHDRAWN):
            if not text.get("reason"):
                errors["reason"] = "Phải ghi rõ lý do."
            payload = {"reason": text.get("reason", "")}
        elif kind is EventKind.RESULT_READY:
            payload = {"result": text.get("result", "")}
        elif kind is EventKind.RETURNED:
            method = data.get("method", dossier.return_method.value)
            method = ReturnMethod(method).value
            if method == ReturnMethod.POST.value and not text.get("tracking_number"):
                errors["tracking_number"] = "Trả qua bưu chính phải có mã vận đơn (số hiệu bưu gửi)."
            payload = {
                "method": method,
                "tracking_number": text.get("tracking_number", ""),
                "receiver": text.get("receiver", ""),
            }
        else:
            payload = dict(data)
        if errors:
            raise InputErrors(errors)
        return payload
