"""What a printed form needs, read from the station as plain data (no ``printing`` import).

``printing/printouts.py`` turns these records into PDFs: printing depends on the
core, never the reverse. The receipt copies setting and officer names are
applied here, once, for the GUI, the CLI and support tools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desk_app.domain.lifecycle import DossierEvent
from desk_app.domain.model import Dossier, Procedure, Unit
from desk_app.services.intake import ensure_dossier
from desk_app.services.station import META_ENROLLED

if TYPE_CHECKING:
    from desk_app.bootstrap import App


@dataclass(frozen=True)
class FormData:
    """One dossier with its history, procedure and the station's print settings."""

    unit: Unit
    dossier: Dossier
    procedure: Procedure | None
    events: list[DossierEvent]
    officer_names: dict[str, str]
    printed_at: dt.datetime
    copies: int
    enrolled_server: str | None = None  # the receipt QR's default look-up address


@dataclass(frozen=True)
class LogbookData:
    """The dossiers received in a date range, each with its events, and the procedures."""

    unit: Unit
    dossiers: list[Dossier]
    events: dict[str, list[DossierEvent]]
    procedures: dict[str, Procedure]
    printed_at: dt.datetime


def load_form_data(app: App, form: str, code: str) -> FormData:
    """The data of ``form`` for the dossier with ``code`` (or id); raises ``NotFound``."""
    station = app.station
    copies = app.settings.load().receipt_copies if form == "receipt" else 1
    with station.uow(write=False) as uow:
        dossier = ensure_dossier(uow, code)
        events = uow.dossiers.events(dossier.id)
        procedure = uow.procedures.get(dossier.procedure_code)
        enrolled = uow.meta.get(META_ENROLLED)
    return FormData(
        unit=station.unit,
        dossier=dossier,
        procedure=procedure,
        events=list(events),
        officer_names=app.accounts.names(),
        printed_at=station.now(),
        copies=copies,
        enrolled_server=enrolled,
    )


def load_logbook_data(app: App, date_from: dt.date, date_to: dt.date) -> LogbookData:
    """The logbook's rows: dossiers received from ``date_from`` to ``date_to``."""
    station = app.station
    ids = app.queries.logbook(date_from, date_to)
    dossiers: list[Dossier] = []
    events: dict[str, list[DossierEvent]] = {}
    procedures: dict[str, Procedure] = {}
    with station.uow(write=False) as uow:
        for dossier_id in ids:
            dossier = uow.dossiers.get(dossier_id)
            if dossier is None:
                continue
            dossiers.append(dossier)
            events[dossier.id] = list(uow.dossiers.events(dossier.id))
        for proc in uow.procedures.all(active_only=False):
            procedures[proc.code] = proc
    return LogbookData(station.unit, dossiers, events, procedures, station.now())
