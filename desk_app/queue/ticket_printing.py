"""The kiosk's printing workflow: reserve a number, print it, confirm or record the failure.

Two-phase issuing (see ``service.py``): the printer runs outside any transaction
and only a printed ticket joins the queue. It works over any ``QueueApi`` (this
station's queue or the LAN host), so the kiosk PC need not be the queue host.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from desk_app.devices.api import PrinterError, TicketPrinter, TicketPrintJob
from desk_app.queue.api import QueueApi
from desk_app.queue.models import IssueResult, QueueUnavailable, Ticket


def _retry_unavailable(fn: Callable[[], Ticket], attempts: int = 3) -> Ticket:
    for i in range(attempts):
        try:
            return fn()
        except QueueUnavailable:
            if i == attempts - 1:
                raise
            time.sleep(0.3 * (i + 1))
    raise AssertionError("unreachable")


def print_reserved(
    api: QueueApi, printer: TicketPrinter, ticket: Ticket, unit_name: str, qr_text: str = ""
) -> IssueResult:
    """Print a reserved ticket and confirm it, or record the failure (phase 2)."""
    ahead = api.people_ahead(ticket.id)
    job = TicketPrintJob(
        unit_name=unit_name,
        number=ticket.label,
        service_name=ticket.service_name,
        people_ahead=ahead,
        issued_at=dt.datetime.fromisoformat(ticket.reserved_at),
        priority=ticket.priority,
        qr_text=qr_text,
    )
    try:
        printer.print_ticket(job)
    except PrinterError as exc:
        message = str(exc)
        failed = _retry_unavailable(lambda: api.mark_print_failed(ticket.id, message))
        return IssueResult(failed, False, ahead, message)
    except Exception:
        # A driver bug: the ticket must not linger as "printing"; record and re-raise.
        _retry_unavailable(lambda: api.mark_print_failed(ticket.id, "Lỗi không xác định của máy in."))
        raise
    # The paper is out: confirming must not be lost to a short network blip.
    confirmed = _retry_unavailable(lambda: api.confirm_printed(ticket.id))
    return IssueResult(confirmed, True, ahead)


def issue_with_printer(
    api: QueueApi,
    printer: TicketPrinter,
    service_id: str,
    priority_reason: str | None = None,
    unit_name: str = "",
) -> IssueResult:
    """Reserve a number, print it, then confirm (queued) or mark failed (not queued)."""
    ticket = api.reserve_ticket(service_id, priority_reason)
    return print_reserved(api, printer, ticket, unit_name)


def reprint_with_printer(
    api: QueueApi, printer: TicketPrinter, ticket_id: str, unit_name: str = ""
) -> IssueResult:
    """Print a failed ticket again with the same number."""
    ticket = api.begin_reprint(ticket_id)
    return print_reserved(api, printer, ticket, unit_name)
