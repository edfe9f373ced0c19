"""Print a dossier's form or the logbook for a station: core data in, PDF bytes out.

The single place the GUI, the CLI and support tools go through to print. The
data comes from ``desk_app.services.print_data`` (the core never imports
``printing``); this module only turns it into a ``FormContext`` and renders it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from desk_app.services.print_data import load_form_data, load_logbook_data
from printing import FormContext, render_form, render_logbook

if TYPE_CHECKING:
    from desk_app.bootstrap import App


def form_context(app: App, form: str, code: str, **overrides: Any) -> FormContext:
    data = load_form_data(app, form, code)
    return FormContext(
        unit=data.unit,
        dossier=data.dossier,
        procedure=data.procedure,
        events=data.events,
        officer_names=data.officer_names,
        printed_at=data.printed_at,
        copies=overrides.pop("copies", data.copies),
        enrolled_server=data.enrolled_server,
        **overrides,
    )


def render_dossier_form(app: App, form: str, code: str, **overrides: Any) -> bytes:
    """PDF bytes of ``form`` for the dossier with ``code`` (or id)."""
    return bytes(render_form(form, form_context(app, form, code, **overrides)))


def render_logbook_range(app: App, date_from: dt.date, date_to: dt.date) -> bytes:
    """The logbook (Sổ theo dõi) for dossiers received from ``date_from`` to ``date_to``."""
    data = load_logbook_data(app, date_from, date_to)
    return bytes(
        render_logbook(
            data.unit,
            data.dossiers,
            date_from,
            date_to,
            events=data.events,
            procedures=data.procedures,
            printed_at=data.printed_at,
        )
    )
