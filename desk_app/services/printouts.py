"""Load what a form needs from the station and hand it to ``printing`` (PDF bytes).

The single place the GUI, the CLI and support tools go through to print, so
the receipt copies setting and officer names are applied the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from desk_app.services.intake import ensure_dossier
from desk_app.services.station import META_ENROLLED

META_RECEIPT_COPIES = "settings.receipt_copies"
# The receipt model (Mẫu 01) is issued in two copies: Liên 1 kept, Liên 2 to the submitter.
DEFAULT_RECEIPT_COPIES = 2


def form_context(app: Any, form: str, code: str, **overrides: Any) -> Any:
    from printing import FormContext

    station = app.station
    with station.uow(write=False) as uow:
        dossier = ensure_dossier(uow, code)
        events = uow.dossiers.events(dossier.id)
        procedure = uow.procedures.get(dossier.procedure_code)
        copies = (
            int(uow.meta.get_json(META_RECEIPT_COPIES, DEFAULT_RECEIPT_COPIES) or DEFAULT_RECEIPT_COPIES)
            if form == "receipt"
            else 1
        )
        enrolled = uow.meta.get(META_ENROLLED)
    return FormContext(
        unit=station.unit,
        dossier=dossier,
        procedure=procedure,
        events=events,
        officer_names=app.accounts.names(),
        printed_at=station.now(),
        copies=overrides.pop("copies", copies),
        enrolled_server=enrolled,
        **overrides,
    )


def render_dossier_form(app: Any, form: str, code: str, **overrides: Any) -> bytes:
    """PDF bytes of ``form`` for the dossier with ``code`` (or id)."""
    from printing import render_form

    return bytes(render_form(form, form_context(app, form, code, **overrides)))


def render_logbook_range(app: Any, date_from: dt.date, date_to: dt.date) -> bytes:
    """The logbook (Sổ theo dõi) for dossiers received from ``date_from`` to ``date_to``."""
    from printing import render_logbook

    station = app.station
    ids = app.queries.logbook(date_from, date_to)
    dossiers, events, procedures = [], {}, {}
    with station.uow(write=False) as uow:
        for dossier_id in ids:
            dossier = uow.dossiers.get(dossier_id)
            if dossier is None:
                continue
            dossiers.append(dossier)
            events[dossier.id] = uow.dossiers.events(dossier.id)
        for proc in uow.procedures.all(active_only=False):
            procedures[proc.code] = proc
    return bytes(
        render_logbook(
            station.unit,
            dossiers,
            date_from,
            date_to,
            events=events,
            procedures=procedures,
            printed_at=station.now(),
        )
    )
