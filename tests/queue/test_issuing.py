"""Two-phase issuing: a ticket counts as issued only if it printed; reprint keeps the number."""

from __future__ import annotations

import pytest

from desk_app.devices.api import PrinterOfflineError
from desk_app.queue.models import InvalidTicketAction, TicketState
from desk_app.queue.service import QueueService, issue_with_printer, reprint_with_printer
from desk_app.queue.stats import compute_stats
from tests.helpers.fakes import FakeClock
from tests.helpers.queue_fakes import FakeTicketPrinter, paper_out


def test_printed_ticket_is_queued(service: QueueService, printer: FakeTicketPrinter) -> None:
    r = issue_with_printer(service, printer, "chung_thuc", unit_name="UBND phường Nha Trang")
    assert r.printed and r.error == "" and r.ticket.state == TicketState.WAITING
    job = printer.jobs[0]
    assert (job.number, job.unit_name, job.service_name) == (
        "B001",
        "UBND phường Nha Trang",
        "Chứng thực bản sao, chữ ký",
    )
    assert service.status().queues[1].waiting == 1


def test_failed_print_leaves_no_phantom_and_reprint_keeps_number(
    service: QueueService, printer: FakeTicketPrinter, clock: FakeClock
) -> None:
    printer.fail_next = paper_out()
    r = issue_with_printer(service, printer, "ho_tich")
    assert not r.printed and "hết giấy" in r.error
    assert r.ticket.state == TicketState.PRINT_FAILED and r.ticket.label == "A001"
    # Not in the queue: nobody can call it, it is not counted anywhere.
    assert service.status().queues[0].waiting == 0
    assert service.call_next(1, "an") is None
    assert compute_stats(service.events_since(0)).total.issued == 0
    # Someone else takes a number meanwhile: it does not reuse A001.
    clock.advance(seconds=10)
    other = issue_with_printer(service, printer, "ho_tich")
    clock.advance(seconds=10)
    assert other.ticket.label == "A002"
    # Reprint: same number, now queued (behind A002, which printed first).
    printer.fail_next = PrinterOfflineError("Máy in không phản hồi.")
    again = reprint_with_printer(service, printer, r.ticket.id)
    assert not again.printed and again.ticket.print_attempts == 2
    ok = reprint_with_printer(service, printer, r.ticket.id)
    assert ok.printed and ok.ticket.label == "A001" and ok.ticket.state == TicketState.WAITING
    assert ok.people_ahead == 1
    assert [j.number for j in printer.jobs] == ["A002", "A001"]
    assert compute_stats(service.events_since(0)).total.issued == 2
    assert [service.call_next(1, "an").label for _ in range(2)] == ["A002", "A001"]


def test_reserved_ticket_is_invisible_until_confirmed(service: QueueService) -> None:
    t = service.reserve_ticket("ho_tich")
    assert t.state == TicketState.PRINTING
    assert service.call_next(1, "an") is None
    assert service.confirm_printed(t.id).state == TicketState.WAITING
    assert service.confirm_printed(t.id).state == TicketState.WAITING  # retried confirmation is harmless
    with pytest.raises(InvalidTicketAction):
        service.mark_print_failed(t.id, "x")
    with pytest.raises(InvalidTicketAction):
        service.begin_reprint(t.id)


def test_driver_bug_marks_ticket_failed_and_propagates(service: QueueService) -> None:
    class Broken(FakeTicketPrinter):
        def print_ticket(self, _job):  # type: ignore[no-untyped-def]
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        issue_with_printer(service, Broken(), "ho_tich")
    (t,) = [e for e in service.events_since(0) if e.kind == "print_failed"]
    assert service.ticket(t.ticket_id).state == TicketState.PRINT_FAILED
