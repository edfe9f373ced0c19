"""Read side for the counter: find by code / CCCD / phone / name, paged lists, dashboard.

Lists use keyset paging on ``(received_at, rowid)`` so a page costs the same
at row 10 or row 900,000; the UI's lazy table model asks for pages only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, column, func, literal_column, or_, select, table, text

from desk_app.codes import CODE_RE
from desk_app.domain.lifecycle import FINAL_STATUSES, Status
from desk_app.domain.model import Applicant
from desk_app.services.station import Station
from desk_app.store import schema as s
from desk_app.store.repositories import iso
from desk_app.textfold import fold

LIST_COLUMNS = (
    s.dossiers.c.id,
    s.dossiers.c.code,
    s.dossiers.c.procedure_name,
    s.dossiers.c.field,
    s.dossiers.c.applicant_name,
    s.dossiers.c.applicant_id_number,
    s.dossiers.c.applicant_phone,
    s.dossiers.c.received_at,
    s.dossiers.c.due_at,
    s.dossiers.c.status,
    s.dossiers.c.officer,
    s.dossiers.c.has_conflict,
)

FTS = table("dossier_fts", column("rowid"))

# The tail of a dossier code as officers read it off a receipt: "261130-0039" (date and number).
CODE_TAIL_RE = re.compile(r"^(\d{6})-(\d{1,4})$")

OPEN_STATUSES = [st.value for st in Status if st not in FINAL_STATUSES and st is not Status.RESULT_READY]
_DIGITS = re.compile(r"^\+?[\d .\-]+$")


@dataclass(frozen=True)
class DossierRow:
    id: str
    code: str
    procedure_name: str
    field: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    received_at: dt.datetime
    due_at: dt.datetime
    status: str
    officer: str
    has_conflict: bool
    rowid: int = 0

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at < now

    def is_due_today(self, now: dt.datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at.date() == now.date() and self.due_at >= now


def _row(r: Any) -> DossierRow:
    return DossierRow(
        id=r.id,
        code=r.code,
        procedure_name=r.procedure_name,
        field=r.field,
        applicant_name=r.applicant_name,
        applicant_id_number=r.applicant_id_number,
        applicant_phone=r.applicant_phone,
        received_at=dt.datetime.fromisoformat(r.received_at),
        due_at=dt.datetime.fromisoformat(r.due_at),
        status=r.status,
        officer=r.officer,
        has_conflict=bool(r.has_conflict),
        rowid=r.rowid,
    )


@dataclass
class DossierFilter:
    """What the F3 list shows. ``search`` takes a code, CCCD, phone or a name."""

    search: str = ""
    statuses: list[str] = field(default_factory=list)
    field: str = ""
    officer: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    due_today: bool = False
    overdue: bool = False


def classify_search(text_in: str) -> tuple[str, str]:
    """('code'|'id'|'phone'|'name'|'', normalised value) for the one search box."""
    value = (text_in or "").strip()
    if not value:
        return "", ""
    if CODE_RE.match(value.upper()):
        return "code", value.upper()
    tail = CODE_TAIL_RE.match(value)
    if tail:
        return "code_tail", f"{tail.group(1)}-{int(tail.group(2)):04d}"
    if _DIGITS.match(value):
        digits = re.sub(r"\D", "", value)
        if value.startswith("+84") or (digits.startswith("84") and len(digits) == 11):
            digits = "0" + digits[2:]
        if len(digits) in (9, 12) and not digits.startswith("0") or len(digits) == 12:
            return "id", digits
        if digits.startswith("0"):
            return "phone", digits
        return "id", digits
    return "name", fold(value)


def fts_query(folded: str) -> str:
    """FTS5 query: every word must match; the last one as a prefix (search as you type)."""
    words = [w for w in re.split(r"[^a-z0-9]+", folded) if w]
    if not words:
        return ""
    parts = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
    return " ".join(parts)


class QueryService:
    def __init__(self, station: Station):
        self.station = station

    # ------------------------------------------------------------------ lists
    def _filtered(self, flt: DossierFilter, now: dt.datetime) -> Select[Any] | None:
        kind, value = classify_search(flt.search)
        source: Any = s.dossiers
        if kind == "name":
            # Drive name searches from the full-text index so "newest first" reads
            # its doclist backwards and stops at the page size (see page()).
            source = FTS.join(s.dossiers, literal_column("dossiers.rowid") == FTS.c.rowid)
        stmt = select(*LIST_COLUMNS, text("dossiers.rowid AS rowid")).select_from(source)
        if kind == "code":
            stmt = stmt.where(s.dossiers.c.code == value)
        elif kind == "code_tail":
            stmt = stmt.where(s.dossiers.c.code.in_(self.codes_ending(value)))
        elif kind == "id":
            stmt = stmt.where(s.dossiers.c.applicant_id_number == value)
        elif kind == "phone":
            stmt = stmt.where(s.dossiers.c.applicant_phone == value)
        elif kind == "name":
            query = fts_query(value)
            if not query:
                return None
            stmt = stmt.where(text("dossier_fts MATCH :q").bindparams(q=query))
        if flt.statuses:
            stmt = stmt.where(s.dossiers.c.status.in_(flt.statuses))
        if flt.field:
            stmt = stmt.where(s.dossiers.c.field == flt.field)
        if flt.officer:
            stmt = stmt.where(s.dossiers.c.officer == flt.officer)
        if flt.received_from:
            stmt = stmt.where(s.dossiers.c.received_at >= flt.received_from.isoformat())
        if flt.received_to:
            stmt = stmt.where(s.dossiers.c.received_at < (flt.received_to + dt.timedelta(days=1)).isoformat())
        if flt.due_today or flt.overdue:
            day_start = dt.datetime.combine(now.date(), dt.time(0), tzinfo=now.tzinfo)
            conds = []
            if flt.due_today:
                conds.append(
                    and_(
                        s.dossiers.c.due_at >= iso(now),
                        s.dossiers.c.due_at < iso(day_start + dt.timedelta(days=1)),
                    )
                )
            if flt.overdue:
                conds.append(s.dossiers.c.due_at < iso(now))
            stmt = stmt.where(s.dossiers.c.status.in_(OPEN_STATUSES)).where(or_(*conds))
        return stmt

    def page(
        self, flt: DossierFilter, limit: int = 100, after: tuple[str, int] | None = None
    ) -> list[DossierRow]:
        """Newest first; pass the last row's ``(received_at, rowid)`` as ``after`` for the next page."""
        now = self.station.now()
        stmt = self._filtered(flt, now)
        if stmt is None:
            return []
        if classify_search(flt.search)[0] == "name":
            # Name hits come newest-stored first: rowid order is insertion order,
            # which for a station's own dossiers is the order they were received.
            if after is not None:
                stmt = stmt.where(text("dossier_fts.rowid < :rid").bindparams(rid=after[1]))
            stmt = stmt.order_by(text("dossier_fts.rowid DESC")).limit(limit)
            with self.station.uow(write=False) as uow:
                return [_row(r) for r in uow.conn.execute(stmt)]
        if after is not None:
            recv, rowid = after
            stmt = stmt.where(
                or_(
                    s.dossiers.c.received_at < recv,
                    and_(
                        s.dossiers.c.received_at == recv, text("dossiers.rowid < :rid").bindparams(rid=rowid)
                    ),
                )
            )
        stmt = stmt.order_by(s.dossiers.c.received_at.desc(), text("dossiers.rowid DESC")).limit(limit)
        with self.station.uow(write=False) as uow:
            return [_row(r) for r in uow.conn.execute(stmt)]

    def count(self, flt: DossierFilter, cap: int = 100_000) -> int:
        """Row count, capped so that counting never stalls the list on huge sets."""
        stmt = self._filtered(flt, self.station.now())
        if stmt is None:
            return 0
        inner = stmt.with_only_columns(s.dossiers.c.id).limit(cap).subquery()
        with self.station.uow(write=False) as uow:
            return int(uow.conn.execute(select(func.count()).select_from(inner)).scalar_one())

    def codes_ending(self, tail: str) -> list[str]:
        """Full codes ``<agency>-<tail>`` that exist, for a tail like ``261130-0039``.

        A suffix match (``LIKE '%-261130-0039'``) would scan the table. Codes sort by
        agency first, so this walks the unique code index once per agency (a station
        holds one or a few): seek the first code after the previous agency, take its
        agency, look the full code up. Each step is one index seek.
        """
        c = s.dossiers.c
        found: list[str] = []
        after = ""
        with self.station.uow(write=False) as uow:
            while True:
                first = uow.conn.execute(
                    select(c.code).where(c.code > after).order_by(c.code).limit(1)
                ).scalar_one_or_none()
                if first is None:
                    return found
                agency = str(first).split("-", 1)[0]
                candidate = f"{agency}-{tail}"
                if uow.conn.execute(select(c.code).where(c.code == candidate)).first() is not None:
                    found.append(candidate)
                after = agency + "-~"  # "~" sorts after every digit: the next agency's first code

    def search_names(self, name: str, limit: int = 50) -> list[DossierRow]:
        """Diacritic-insensitive name search, newest first."""
        return self.page(DossierFilter(search=name), limit=limit)

    def find_code(self, code: str) -> DossierRow | None:
        rows = self.page(DossierFilter(search=code), limit=1)
        return rows[0] if rows else None

    def by_id_number(self, id_number: str, limit: int = 50) -> list[DossierRow]:
        return self.page(DossierFilter(search=id_number), limit=limit)

    # ------------------------------------------------------------------ dashboard
    def dashboard(self) -> dict[str, int]:
        """Counts for the dashboard panel: today's intake, due today, overdue, waiting for supplement."""
        now = self.station.now()
        day_start = dt.datetime.combine(now.date(), dt.time(0), tzinfo=now.tzinfo)
        day_end = day_start + dt.timedelta(days=1)
        d = s.dossiers.c
        with self.station.uow(write=False) as uow:
            c = uow.conn

            def count(*conds: Any) -> int:
                return int(c.execute(select(func.count()).select_from(s.dossiers).where(*conds)).scalar_one())

            return {
                "received_today": count(d.received_at >= iso(day_start), d.received_at < iso(day_end)),
                "due_today": count(
                    d.status.in_(OPEN_STATUSES), d.due_at >= iso(now), d.due_at < iso(day_end)
                ),
                "overdue": count(d.status.in_(OPEN_STATUSES), d.due_at < iso(now)),
                "supplement": count(d.status == Status.SUPPLEMENT_REQUESTED.value),
                "result_ready": count(d.status == Status.RESULT_READY.value),
                "conflicts": count(d.has_conflict == 1),  # matches the partial index
            }

    def apology_reminders(self, within_working_days: int = 1, limit: int = 50) -> list[DossierRow]:
        """Open dossiers due within the next working day(s): Mẫu 04 must go out before the deadline."""
        now = self.station.now()
        horizon_day = self.station.calendar.add_working_days(now.date(), within_working_days)
        horizon = dt.datetime.combine(horizon_day, dt.time(23, 59), tzinfo=now.tzinfo)
        stmt = (
            select(*LIST_COLUMNS, text("dossiers.rowid AS rowid"))
            .where(s.dossiers.c.status.in_(OPEN_STATUSES))
            .where(s.dossiers.c.due_at >= iso(now), s.dossiers.c.due_at <= iso(horizon))
            .order_by(s.dossiers.c.due_at)
            .limit(limit)
        )
        with self.station.uow(write=False) as uow:
            return [_row(r) for r in uow.conn.execute(stmt)]

    def fields(self) -> list[str]:
        with self.station.uow(write=False) as uow:
            return [
                r[0]
                for r in uow.conn.execute(
                    select(s.procedures.c.field).distinct().order_by(s.procedures.c.field)
                )
            ]

    def logbook(self, date_from: dt.date, date_to: dt.date) -> list[str]:
        """Dossier ids received in the range, in logbook order."""
        stmt = (
            select(s.dossiers.c.id)
            .where(s.dossiers.c.received_at >= date_from.isoformat())
            .where(s.dossiers.c.received_at < (date_to + dt.timedelta(days=1)).isoformat())
            .order_by(s.dossiers.c.received_at, s.dossiers.c.logbook_number)
        )
        with self.station.uow(write=False) as uow:
            return [r[0] for r in uow.conn.execute(stmt)]

    # ------------------------------------------------------------------ small probes for the windows
    def has_dossiers(self) -> bool:
        """True when at least one dossier exists (an indexed probe, not a count)."""
        with self.station.uow(write=False) as uow:
            return uow.conn.execute(select(s.dossiers.c.id).limit(1)).first() is not None

    def pending_changes(self, cap: int | None = None) -> int:
        """Outbox rows waiting for the server, counted up to ``cap`` (cheap on a big outbox)."""
        with self.station.uow(write=False) as uow:
            return int(uow.outbox.pending_count(cap))

    def find_applicant(self, id_number: str = "", phone: str = "") -> Applicant | None:
        """A returning applicant by id number first, then by phone."""
        with self.station.uow(write=False) as uow:
            return uow.applicants.find(id_number, phone)
