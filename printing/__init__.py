"""Official forms and the logbook as PDF bytes (reportlab; no Qt here).

Public API:
    render_form(form, ctx) -> bytes     form in FORMS: receipt, supplement, refusal,
                                        apology, stop, control
    render_logbook(unit, dossiers, date_from, date_to, ...) -> bytes
    FormContext, MissingItem            what a form needs (plain data)

The unit's ``form_set`` picks the Thông tư 03/2025/TT-VPCP set (default) or the
legacy Thông tư 01/2018/TT-VPCP set: "Mẫu số" labels, titles and legal basis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence

from desk_app.domain.lifecycle import DossierEvent
from desk_app.domain.model import Dossier, Procedure, Unit
from printing.context import FormContext, MissingItem
from printing.forms import apology, control, logbook, receipt, refusal, stop, supplement

_BUILDERS: dict[str, Callable[[FormContext], bytes]] = {
    "receipt": receipt.build,
    "supplement": supplement.build,
    "refusal": refusal.build,
    "apology": apology.build,
    "stop": stop.build,
    "control": control.build,
}
FORMS: tuple[str, ...] = tuple(_BUILDERS)


class UnknownFormError(ValueError):
    """The form name is not one of ``FORMS``."""


def render_form(form: str, ctx: FormContext) -> bytes:
    """PDF bytes (A5 portrait) of one form of one dossier."""
    try:
        builder = _BUILDERS[form]
    except KeyError:
        raise UnknownFormError(f"Không có mẫu “{form}”. Các mẫu: {', '.join(FORMS)}.") from None
    return builder(ctx)


def render_logbook(
    unit: Unit,
    dossiers: Iterable[Dossier],
    date_from: dt.date,
    date_to: dt.date,
    *,
    events: Mapping[str, Sequence[DossierEvent]] | None = None,
    procedures: Mapping[str, Procedure] | None = None,
    printed_at: dt.datetime | None = None,
    volume: str = "",
) -> bytes:
    """PDF bytes (A4 landscape) of the logbook for dossiers received in [date_from, date_to].

    ``events`` maps dossier id -> events (transferred / result / returned columns);
    ``procedures`` maps procedure code -> Procedure (lead agency column).
    """
    return logbook.build_logbook(
        unit,
        dossiers,
        date_from,
        date_to,
        events=events,
        procedures=procedures,
        printed_at=printed_at,
        volume=volume,
    )


__all__ = ["FORMS", "FormContext", "MissingItem", "UnknownFormError", "render_form", "render_logbook"]
