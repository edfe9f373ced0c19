"""Repositories: map rows to domain objects. They never commit (the unit of work does)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, text, update

from desk_app.codes import Lease
from desk_app.domain.lifecycle import DossierEvent, DossierState
from desk_app.domain.model import (
    Address,
    Applicant,
    Channel,
    Component,
    CutoffRule,
    Dossier,
    FeeKind,
    FeeRule,
    FormSet,
    IdKind,
    Procedure,
    ProcessingTime,
    ReceivedComponent,
    ReturnMethod,
    TimeKind,
    Unit,
    UnitLevel,
    WorkingHours,
)
from desk_app.store import schema as s
from desk_app.textfold import fold


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def from_iso(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


# ---------------------------------------------------------------- meta / settings
class MetaRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self.conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()
        return default if value is None else value

    def set(self, key: str, value: str) -> None:
        self.conn.execute(
            text(
                "INSERT INTO meta(key, value) VALUES (:k, :v) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            ),
            {"k": key, "v": value},
        )

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get(key)
        return default if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        self.set(key, json.dumps(value, ensure_ascii=False))

    def delete(self, key: str) -> None:
        self.conn.execute(s.meta.delete().where(s.meta.c.key == key))


# ---------------------------------------------------------------- units
def unit_to_row(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level.value,
        "form_set": unit.form_set.value,
        "parent_name": unit.parent_name,
        "place": unit.place,
        "address": unit.address,
        "phone": unit.phone,
        "hours": asdict(unit.hours),
        "lookup_base_url": unit.lookup_base_url,
        "body_name": unit.body_name,
    }


def unit_from_row(row: Any) -> Unit:
    return Unit(
        code=row.code,
        name=row.name,
        level=UnitLevel(row.level),
        form_set=FormSet(row.form_set),
        parent_name=row.parent_name,
        place=row.place,
        address=row.address,
        phone=row.phone,
        hours=WorkingHours(**row.hours),
        lookup_base_url=row.lookup_base_url,
        body_name=row.body_name,
    )


class UnitRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, code: str) -> Unit | None:
        row = self.conn.execute(select(s.units).where(s.units.c.code == code)).first()
        return None if row is None else unit_from_row(row)

    def upsert(self, unit: Unit) -> None:
        values = unit_to_row(unit)
        self.conn.execute(delete(s.units).where(s.units.c.code == unit.code))
        self.conn.execute(insert(s.units).values(**values))

    def all(self) -> list[Unit]:
        return [unit_from_row(r) for r in self.conn.execute(select(s.units).order_by(s.units.c.code))]


# ---------------------------------------------------------------- procedures
def procedure_to_row(proc: Procedure, now: str) -> dict[str, Any]:
    fee = asdict(proc.fee)
    fee["kind"] = proc.fee.kind.value
    return {
        "code": proc.code,
        "name": proc.name,
        "name_folded": fold(f"{proc.name} {proc.code} {proc.field}"),
        "field": proc.field,
        "level": proc.level,
        "time_kind": proc.time.kind.value,
        "time_days": proc.time.days,
        "fee": fee,
        "result": proc.result,
        "lead_agency": proc.lead_agency,
        "components": [{**asdict(c), "alternatives": list(c.alternatives)} for c in proc.components],
        "active": True,
        "updated_at": now,
        "cutoff": proc.cutoff.value,
        "source": proc.source,
        "code_verified": proc.code_verified,
    }


def procedure_from_row(row: Any) -> Procedure:
    fee = dict(row.fee)
    fee["kind"] = FeeKind(fee["kind"])
    return Procedure(
        code=row.code,
        name=row.name,
        field=row.field,
        time=ProcessingTime(TimeKind(row.time_kind), row.time_days),
        fee=FeeRule(**fee),
        result=row.result,
        components=tuple(
            Component(**{**c, "alternatives": tuple(c.get("alternatives", ()))}) for c in row.components
        ),
        level=row.level,
        lead_agency=row.lead_agency,
        cutoff=CutoffRule(row.cutoff),
        source=row.source,
        code_verified=bool(row.code_verified),
    )


class ProcedureRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, code: str) -> Procedure | None:
        row = self.conn.execute(select(s.procedures).where(s.procedures.c.code == code)).first()
        return None if row is None else procedure_from_row(row)

    def upsert_many(self, procs: Iterable[Procedure], now: str) -> int:
        rows = [procedure_to_row(p, now) for p in procs]
        if not rows:
            return 0
        self.conn.execute(delete(s.procedures).where(s.procedures.c.code.in_([r["code"] for r in rows])))
        self.conn.execute(insert(s.procedures), rows)
        return len(rows)

    def all(self, active_only: bool = True) -> list[Procedure]:
        query = select(s.procedures).order_by(s.procedures.c.field, s.procedures.c.name)
        if active_only:
            query = query.where(s.procedures.c.active.is_(True))
        return [procedure_from_row(r) for r in self.conn.execute(query)]

    def search(self, query: str, limit: int = 30) -> list[Procedure]:
        """Diacritic-insensitive, every word must appear (name, code or field)."""
        words = fold(query).split()
        stmt = select(s.procedures).where(s.procedures.c.active.is_(True))
        for word in words:
            stmt = stmt.where(s.procedures.c.name_folded.contains(word, autoescape=True))
        stmt = stmt.order_by(s.procedures.c.field, s.procedures.c.name).limit(limit)
        return [procedure_from_row(r) for r in self.conn.execute(stmt)]

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(s.procedures)).scalar_one())


# ---------------------------------------------------------------- applicants
def applicant_to_row(app: Applicant, now: str) -> dict[str, Any]:
    return {
        "id": app.id,
        "full_name": app.full_name,
        "name_folded": fold(app.full_name),
        "id_kind": app.id_kind.value,
        "id_number": app.id_number,
        "birth_date": iso(app.birth_date),
        "phone": app.phone,
        "email": app.email,
        "street": app.address.street,
        "commune_code": app.address.commune_code,
        "commune_name": app.address.commune_name,
        "province_code": app.address.province_code,
        "province_name": app.address.province_name,
        "updated_at": now,
    }


def applicant_from_row(row: Any) -> Applicant:
    return Applicant(
        id=row.id,
        full_name=row.full_name,
        id_kind=IdKind(row.id_kind),
        id_number=row.id_number,
        birth_date=dt.date.fromisoformat(row.birth_date) if row.birth_date else None,
        phone=row.phone,
        email=row.email,
        address=Address(row.street, row.commune_code, row.commune_name, row.province_code, row.province_name),
    )


class ApplicantRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, applicant_id: str) -> Applicant | None:
        row = self.conn.execute(select(s.applicants).where(s.applicants.c.id == applicant_id)).first()
        return None if row is None else applicant_from_row(row)

    def find(self, id_number: str = "", phone: str = "") -> Applicant | None:
        """A returning applicant by id number first, then by phone."""
        for column, value in ((s.applicants.c.id_number, id_number), (s.applicants.c.phone, phone)):
            if value:
                row = self.conn.execute(
                    select(s.applicants)
                    .where(column == value)
                    .order_by(s.applicants.c.updated_at.desc())
                    .limit(1)
                ).first()
                if row is not None:
                    return applicant_from_row(row)
        return None

    def upsert(self, app: Applicant, now: str) -> None:
        row = applicant_to_row(app, now)
        exists = self.conn.execute(select(s.applicants.c.id).where(s.applicants.c.id == app.id)).first()
        if exists:
            row.pop("id")  # never rewrite the key: SQLite would re-check every referencing dossier
            self.conn.execute(update(s.applicants).where(s.applicants.c.id == app.id).values(**row))
        else:
            self.conn.execute(insert(s.applicants).values(**row))


# ---------------------------------------------------------------- dossiers and events
def dossier_to_row(d: Dossier) -> dict[str, Any]:
    return {
        "id": d.id,
        "code": d.code,
        "unit_code": d.unit_code,
        "target_unit_code": d.target_unit_code,
        "procedure_code": d.procedure_code,
        "procedure_name": d.procedure_name,
        "field": d.field,
        "applicant_id": d.applicant.id,
        "applicant_name": d.applicant.full_name,
        "applicant_name_folded": fold(d.applicant.full_name),
        "applicant_id_number": d.applicant.id_number,
        "applicant_phone": d.applicant.phone,
        "applicant_address": str(d.applicant.address),
        "channel": d.channel.value,
        "return_method": d.return_method.value,
        "return_address": d.return_address,
        "received_at": iso(d.received_at),
        "due_at": iso(d.due_at),
        "status": d.status,
        "sets": d.sets,
        "fee": d.fee,
        "officer": d.officer,
        "components": [asdict(c) for c in d.components],
        "logbook_volume": d.logbook_volume,
        "logbook_number": d.logbook_number,
        "extensions": 0,
        "has_conflict": d.has_conflict,
        "last_hlc": "",
        "extra": d.extra,
    }


def dossier_from_row(row: Any, applicant: Applicant) -> Dossier:
    return Dossier(
        id=row.id,
        code=row.code,
        unit_code=row.unit_code,
        procedure_code=row.procedure_code,
        procedure_name=row.procedure_name,
        field=row.field,
        applicant=applicant,
        channel=Channel(row.channel),
        return_method=ReturnMethod(row.return_method),
        received_at=dt.datetime.fromisoformat(row.received_at),
        due_at=dt.datetime.fromisoformat(row.due_at),
        status=row.status,
        components=tuple(ReceivedComponent(**c) for c in row.components),
        sets=row.sets,
        fee=row.fee,
        officer=row.officer,
        return_address=row.return_address,
        logbook_volume=row.logbook_volume,
        logbook_number=row.logbook_number,
        target_unit_code=row.target_unit_code,
        has_conflict=bool(row.has_conflict),
        extra=dict(row.extra or {}),
    )


# The wire schema (pydantic) is imported on first use: building its models costs
# ~0.18 s, which the counter window's start (summary columns only) does not need.
def event_to_row(e: DossierEvent) -> dict[str, Any]:
    from desk_app.domain import wire

    return wire.encode_event(e)


def event_from_row(row: Any) -> DossierEvent:
    from desk_app.domain import wire

    return wire.decode_event(row._mapping)


class DossierRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        # Dossiers whose events changed in this transaction: the unit of work
        # rebuilds their report rows before it commits (desk_app.store.report_rows).
        self.touched: set[str] = set()

    def add(self, dossier: Dossier) -> None:
        self.conn.execute(insert(s.dossiers).values(**dossier_to_row(dossier)))

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(s.dossiers), list(rows))

    def _with_applicant(self, row: Any) -> Dossier:
        app_row = self.conn.execute(select(s.applicants).where(s.applicants.c.id == row.applicant_id)).first()
        return dossier_from_row(row, applicant_from_row(app_row))

    def get(self, dossier_id: str) -> Dossier | None:
        row = self.conn.execute(select(s.dossiers).where(s.dossiers.c.id == dossier_id)).first()
        return None if row is None else self._with_applicant(row)

    def by_code(self, code: str) -> Dossier | None:
        row = self.conn.execute(select(s.dossiers).where(s.dossiers.c.code == code)).first()
        return None if row is None else self._with_applicant(row)

    def code_exists(self, code: str) -> bool:
        return self.conn.execute(select(s.dossiers.c.id).where(s.dossiers.c.code == code)).first() is not None

    def update_summary(self, dossier_id: str, **values: Any) -> None:
        self.conn.execute(update(s.dossiers).where(s.dossiers.c.id == dossier_id).values(**values))

    def events(self, dossier_id: str) -> list[DossierEvent]:
        rows = self.conn.execute(
            select(s.dossier_events)
            .where(s.dossier_events.c.dossier_id == dossier_id)
            .order_by(s.dossier_events.c.hlc, s.dossier_events.c.id)
        )
        return [event_from_row(r) for r in rows]

    def event_conflicts(self, dossier_id: str) -> dict[str, str]:
        rows = self.conn.execute(
            select(s.dossier_events.c.id, s.dossier_events.c.conflict).where(
                and_(s.dossier_events.c.dossier_id == dossier_id, s.dossier_events.c.conflict.is_not(None))
            )
        )
        return {r.id: r.conflict for r in rows}

    def add_event(self, event: DossierEvent) -> None:
        self.conn.execute(insert(s.dossier_events).values(**event_to_row(event)))
        self.touched.add(event.dossier_id)

    def add_events(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(s.dossier_events), list(rows))
            self.touched.update(str(r["dossier_id"]) for r in rows)

    def event_exists(self, event_id: str) -> bool:
        return (
            self.conn.execute(select(s.dossier_events.c.id).where(s.dossier_events.c.id == event_id)).first()
            is not None
        )

    def set_event_conflict(self, event_id: str, message: str | None) -> None:
        self.conn.execute(
            update(s.dossier_events).where(s.dossier_events.c.id == event_id).values(conflict=message)
        )


def summary_values(state: DossierState) -> dict[str, Any]:
    """Dossier columns that mirror the fold (status, due date, milestones)."""
    return {
        "status": state.status.value if state.status else "received",
        "due_at": iso(state.due_at),
        "extensions": state.extensions,
        "transferred_at": iso(state.transferred_at),
        "result_ready_at": iso(state.result_ready_at),
        "returned_at": iso(state.returned_at),
        "last_hlc": state.last_hlc,
        "has_conflict": bool(state.conflicts),
    }


# ---------------------------------------------------------------- outbox
@dataclass(frozen=True)
class OutboxRow:
    seq: int
    id: str
    kind: str
    entity_id: str
    payload: dict[str, Any]
    created_at: str
    attempts: int
    last_error: str | None
    rejected: bool


class OutboxRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, change_id: str, kind: str, entity_id: str, payload: dict[str, Any], now: str) -> None:
        self.conn.execute(
            insert(s.outbox).values(
                id=change_id, kind=kind, entity_id=entity_id, payload=payload, created_at=now, attempts=0
            )
        )

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(s.outbox), list(rows))

    def pending(self, limit: int = 500) -> list[OutboxRow]:
        """Oldest first; event changes get their payload from the (immutable) event row."""
        e = s.dossier_events
        rows = self.conn.execute(
            select(
                s.outbox,
                e.c.dossier_id,
                e.c.kind.label("event_kind"),
                e.c.at,
                e.c.actor,
                e.c.device_id,
                e.c.hlc,
                e.c.payload.label("event_payload"),
            )
            .select_from(s.outbox.outerjoin(e, and_(s.outbox.c.kind == "event", e.c.id == s.outbox.c.id)))
            .where(s.outbox.c.rejected.is_(False))
            .order_by(s.outbox.c.seq)
            .limit(limit)
        )
        from desk_app.domain import wire

        out = []
        for r in rows:
            payload = r.payload
            if r.kind == "event" and r.event_kind is not None and not payload:
                payload = wire.event_dict(
                    id=r.id,
                    dossier_id=r.dossier_id,
                    kind=r.event_kind,
                    at=r.at,
                    actor=r.actor,
                    device_id=r.device_id,
                    hlc=r.hlc,
                    payload=r.event_payload,
                )
            out.append(
                OutboxRow(
                    r.seq,
                    r.id,
                    r.kind,
                    r.entity_id,
                    payload,
                    r.created_at,
                    r.attempts,
                    r.last_error,
                    bool(r.rejected),
                )
            )
        return out

    def pending_count(self, cap: int | None = None) -> int:
        """Changes waiting for the server; ``cap`` bounds the work on a huge backlog."""
        inner = select(s.outbox.c.seq).where(s.outbox.c.rejected.is_(False))
        if cap is not None:
            inner = inner.limit(cap)
        return int(self.conn.execute(select(func.count()).select_from(inner.subquery())).scalar_one())

    def rejected(self) -> list[Any]:
        return list(
            self.conn.execute(select(s.outbox).where(s.outbox.c.rejected.is_(True)).order_by(s.outbox.c.seq))
        )

    def acknowledge(self, ids: Sequence[str]) -> None:
        if ids:
            self.conn.execute(delete(s.outbox).where(s.outbox.c.id.in_(list(ids))))

    def reject(self, change_id: str, reason: str) -> None:
        self.conn.execute(
            update(s.outbox).where(s.outbox.c.id == change_id).values(rejected=True, last_error=reason)
        )

    def mark_attempt(self, ids: Sequence[str], error: str | None) -> None:
        if ids:
            self.conn.execute(
                update(s.outbox)
                .where(s.outbox.c.id.in_(list(ids)))
                .values(attempts=s.outbox.c.attempts + 1, last_error=error)
            )


# ---------------------------------------------------------------- code leases
class LeaseRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def for_day(self, unit_code: str, day: str) -> list[Lease]:
        rows = self.conn.execute(
            select(s.code_leases).where(
                and_(s.code_leases.c.unit_code == unit_code, s.code_leases.c.day == day)
            )
        )
        return [Lease(r.id, r.day, r.start, r.end, r.next, r.source) for r in rows]

    def save(self, unit_code: str, lease: Lease, is_new: bool, now: str) -> None:
        if is_new:
            self.conn.execute(
                insert(s.code_leases).values(
                    id=lease.id,
                    unit_code=unit_code,
                    day=lease.day,
                    start=lease.start,
                    end=lease.end,
                    next=lease.next,
                    source=lease.source,
                    created_at=now,
                )
            )
        else:
            self.conn.execute(
                update(s.code_leases).where(s.code_leases.c.id == lease.id).values(next=lease.next)
            )

    def local_grant_next_free(self, unit_code: str, day: str) -> int:
        value = self.conn.execute(
            select(s.code_authority.c.next_free).where(
                and_(s.code_authority.c.unit_code == unit_code, s.code_authority.c.day == day)
            )
        ).scalar()
        return 1 if value is None else int(value)

    def local_set_next_free(self, unit_code: str, day: str, next_free: int) -> None:
        self.conn.execute(
            text(
                "INSERT INTO code_authority(unit_code, day, next_free) VALUES (:u, :d, :n) "
                "ON CONFLICT(unit_code, day) DO UPDATE SET next_free = excluded.next_free"
            ),
            {"u": unit_code, "d": day, "n": next_free},
        )


# ---------------------------------------------------------------- calendar overrides
class CalendarRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def overrides(self) -> list[tuple[dt.date, str, str]]:
        rows = self.conn.execute(select(s.calendar_overrides).order_by(s.calendar_overrides.c.day))
        return [(dt.date.fromisoformat(r.day), r.kind, r.note) for r in rows]

    def rows_with_source(self) -> list[tuple[dt.date, str, str, str]]:
        """``(day, kind, note, source)``; source "decision:<document>" marks a government decision."""
        rows = self.conn.execute(select(s.calendar_overrides).order_by(s.calendar_overrides.c.day))
        return [(dt.date.fromisoformat(r.day), r.kind, r.note, r.source) for r in rows]

    def set(self, day: dt.date, kind: str, note: str = "", source: str = "local") -> None:
        self.conn.execute(
            text(
                "INSERT INTO calendar_overrides(day, kind, note, source) VALUES (:d, :k, :n, :s) "
                "ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, note = excluded.note, "
                "source = excluded.source"
            ),
            {"d": day.isoformat(), "k": kind, "n": note, "s": source},
        )

    def remove(self, day: dt.date) -> None:
        self.conn.execute(delete(s.calendar_overrides).where(s.calendar_overrides.c.day == day.isoformat()))


# ---------------------------------------------------------------- logbook numbering and audit
class LogbookRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def next_number(self, volume: str) -> int:
        row = self.conn.execute(
            text(
                "INSERT INTO logbook_counters(volume, last_number) VALUES (:v, 1) "
                "ON CONFLICT(volume) DO UPDATE SET last_number = last_number + 1 RETURNING last_number"
            ),
            {"v": volume},
        ).first()
        assert row is not None
        return int(row[0])


class AuditRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(
        self,
        entry_id: str,
        at: str,
        actor: str,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.conn.execute(
            insert(s.audit_log).values(
                id=entry_id, at=at, actor=actor, action=action, target=target, detail=detail or {}
            )
        )
