"""What a form needs to be printed: plain data, no Qt, no database.

The caller (desk service or CLI) loads the unit, the dossier, its procedure and
its events and builds a ``FormContext``. Overrides (``reason``, ``missing``,
``new_due_at``) let the counter print a form *before* the matching event is
recorded, e.g. to show the citizen a refusal slip while the action is pending.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desk_app import lookup
from desk_app.domain.lifecycle import DossierEvent, EventKind
from desk_app.domain.model import Dossier, Procedure, Unit
from desk_app.workcalendar import now_vn

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


def to_local(value: dt.datetime) -> dt.datetime:
    """Aware datetimes in Vietnam time; naive ones are taken as already local."""
    if value.tzinfo is None:
        return value
    return value.astimezone(VN_TZ)


def parse_time(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class MissingItem:
    """One thing the citizen must add or correct (Mẫu 02)."""

    name: str
    note: str = ""


@dataclass(frozen=True)
class FormContext:
    """Everything one form of one dossier needs.

    Attributes:
        unit: the receiving unit (header, form set, look-up URL).
        dossier: the dossier as received plus the fold of its events.
        procedure: its catalogue entry when known (legal time, fee label, lead agency).
        events: the dossier's events, any order.
        officer_names: username -> full name, for signatures and hand-over rows.
        printed_at: the date printed next to the place name; defaults to now.
        copies: 2 prints the receipt as "Liên 1: Lưu" + "Liên 2: Giao người nộp hồ sơ".
        reason: overrides the refusal / stop / extension reason from the events.
        missing: overrides the supplement list from the events.
        new_due_at: overrides the new appointment on the apology letter.
        document_number: "Số: …" on the slip; blank leaves dots for handwriting.
    """

    unit: Unit
    dossier: Dossier
    procedure: Procedure | None = None
    events: Sequence[DossierEvent] = ()
    officer_names: Mapping[str, str] = field(default_factory=dict)
    printed_at: dt.datetime | None = None
    copies: int = 1
    reason: str | None = None
    missing: Sequence[MissingItem] | None = None
    new_due_at: dt.datetime | None = None
    document_number: str = ""
    # The look-up address when the unit's setting is empty (the enrolled server's page).
    enrolled_server: str | None = None

    # -- derived values ---------------------------------------------------
    @property
    def print_time(self) -> dt.datetime:
        return to_local(self.printed_at or now_vn())

    def officer_name(self, username: str) -> str:
        """Full name of a user, falling back to the username itself."""
        return self.officer_names.get(username, username) if username else ""

    @property
    def sorted_events(self) -> list[DossierEvent]:
        return sorted(self.events, key=lambda e: (e.hlc, e.at, e.id))

    def last_event(self, kind: EventKind) -> DossierEvent | None:
        found = [e for e in self.sorted_events if e.kind is kind]
        return found[-1] if found else None

    def reason_for(self, kind: EventKind) -> str:
        if self.reason is not None:
            return self.reason
        event = self.last_event(kind)
        return str(event.payload.get("reason", "")) if event else ""

    def missing_items(self) -> list[MissingItem]:
        if self.missing is not None:
            return list(self.missing)
        event = self.last_event(EventKind.SUPPLEMENT_REQUESTED)
        if event is None:
            return []
        items = []
        for raw in event.payload.get("missing", []) or []:
            if isinstance(raw, Mapping):
                items.append(MissingItem(str(raw.get("name", "")), str(raw.get("note", "") or "")))
            else:
                items.append(MissingItem(str(raw)))
        return items

    def supplement_note(self) -> str:
        event = self.last_event(EventKind.SUPPLEMENT_REQUESTED)
        return str(event.payload.get("note", "") or "") if event else ""

    def extension(self) -> tuple[dt.datetime, dt.datetime | None, str]:
        """(new appointment, previous appointment, reason) for the apology letter."""
        event = self.last_event(EventKind.EXTENDED)
        previous: dt.datetime | None = None
        new_due = self.new_due_at
        reason = self.reason
        if event is not None:
            previous = parse_time(event.payload.get("previous_due_at"))
            if new_due is None:
                new_due = parse_time(event.payload.get("due_at"))
            if reason is None:
                reason = str(event.payload.get("reason", "") or "")
        if previous is None:
            previous = self.dossier.due_at if self.new_due_at is not None or event is None else None
        return (new_due or self.dossier.due_at, previous, reason or "")

    @property
    def lookup_url(self) -> str:
        """The receipt QR's content (address, code, secret), or "" before enrolment."""
        base = lookup.lookup_base(self.unit.lookup_base_url, self.enrolled_server)
        secret = str((self.dossier.extra or {}).get(lookup.SECRET_KEY, "") or "")
        return lookup.lookup_url(base, self.dossier.code, secret)
