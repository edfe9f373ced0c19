"""The real serial driver (python-escpos + pyserial) against the printer simulator on a pty."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest

from desk_app.devices.api import (
    CoverOpenError,
    DeviceNotFoundError,
    PaperOutError,
    PrinterOfflineError,
    TicketPrintJob,
)
from desk_app.devices.simulators import PrinterSimulator
from desk_app.devices.ticket_printer import EscposTicketPrinter


def _wait_for(cond: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def _printer(sim: PrinterSimulator, mode: str = "cp1258") -> EscposTicketPrinter:
    return EscposTicketPrinter(sim.port, 9600, encoding_mode=mode, settle_s=0.0, status_timeout=0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["cp1258", "tcvn3"])
def test_printed_text_equals_the_vietnamese_input(
    printer_sim: PrinterSimulator, job: TicketPrintJob, mode: str
) -> None:
    with _printer(printer_sim, mode) as printer:
        result = printer.print_ticket(job)
    assert len(printer_sim.tickets) == 1
    assert printer_sim.tickets[0].lines == [
        "UBND PHƯỜNG HOÀN KIẾM",
        "SỐ THỨ TỰ",
        "A023",
        "Hộ tịch - Đăng ký khai sinh, kết hôn",
        "Số người đang chờ trước bạn: 12",
        "14:20  25/11/2026",
        f"[QR: {job.qr_text}]",
    ]
    assert printer_sim.tickets[0].qr == [job.qr_text]
    assert result.bytes_sent == printer_sim.bytes_received <= 512
    assert printer_sim.status_requests == 6


@pytest.mark.parametrize("flow", ["rtscts", "xonxoff"])
def test_flow_control_settings(printer_sim: PrinterSimulator, job: TicketPrintJob, flow: str) -> None:
    with EscposTicketPrinter(printer_sim.port, 19200, flow=flow, settle_s=0.0) as printer:  # type: ignore[arg-type]
        printer.print_ticket(job)
        assert printer._serial.rtscts is (flow == "rtscts")
        assert printer._serial.xonxoff is (flow == "xonxoff")
    assert len(printer_sim.tickets) == 1


def test_raster_mode_prints_bitmaps_for_vietnamese_lines(
    printer_sim: PrinterSimulator, job: TicketPrintJob
) -> None:
    with _printer(printer_sim, "raster") as printer:
        printer.print_ticket(job)
    ticket = printer_sim.tickets[0]
    assert len(ticket.images) == 4
    assert "A023" in ticket.lines and "14:20  25/11/2026" in ticket.lines
    # The bitmaps carry ink (not blank) and are at most one text line high.
    for img in ticket.images:
        assert img.getbbox() is not None and img.height < 40


def test_paper_out_before_printing(printer_sim: PrinterSimulator, job: TicketPrintJob) -> None:
    printer_sim.set_state("paper_out")
    with _printer(printer_sim) as printer:
        assert "hết giấy" in printer.status()
        with pytest.raises(PaperOutError):
            printer.print_ticket(job)
    assert printer_sim.tickets == [] and printer_sim.spoiled == []
    assert printer_sim.bytes_received == 18  # two status queries, no ticket bytes


def test_paper_runs_out_during_the_ticket(printer_sim: PrinterSimulator, job: TicketPrintJob) -> None:
    printer_sim.paper_lines_left = 3
    with _printer(printer_sim) as printer, pytest.raises(PaperOutError, match="trong khi in"):
        printer.print_ticket(job)
    assert printer_sim.tickets == []
    assert printer_sim.spoiled[0].lines[:2] == ["UBND PHƯỜNG HOÀN KIẾM", "SỐ THỨ TỰ"]


def test_cover_open(printer_sim: PrinterSimulator, job: TicketPrintJob) -> None:
    printer_sim.set_state("cover_open")
    with _printer(printer_sim) as printer, pytest.raises(CoverOpenError):
        printer.print_ticket(job)


def test_unplugged_is_reported_quickly_and_recovers(
    printer_sim: PrinterSimulator, job: TicketPrintJob
) -> None:
    with _printer(printer_sim) as printer:
        printer.print_ticket(job)
        printer_sim.set_state("offline")
        started = time.monotonic()
        with pytest.raises(PrinterOfflineError):
            printer.print_ticket(job)
        assert time.monotonic() - started < 1.5
        assert printer.status() != "ok"
        printer_sim.set_state("ok")  # cable back in: the next call reconnects and prints
        printer.print_ticket(job)
    assert len(printer_sim.tickets) == 2


def test_unplugged_after_the_ticket_was_sent(printer_sim: PrinterSimulator, job: TicketPrintJob) -> None:
    # The simulator stops answering as soon as the cut arrives: no confirmation → error.
    printer_sim.on_ticket = lambda _t: printer_sim.set_state("offline")
    with _printer(printer_sim) as printer, pytest.raises(PrinterOfflineError):
        printer.print_ticket(job)


def test_missing_port() -> None:
    printer = EscposTicketPrinter("/dev/motcua-no-such-port")
    with pytest.raises(DeviceNotFoundError, match="Không mở được cổng"):
        printer.print_ticket(TicketPrintJob("U", "1", "S", 0, dt.datetime(2026, 1, 1)))
    assert "Không mở được cổng" in printer.status()


def test_simulator_vanishes(job: TicketPrintJob) -> None:
    sim = PrinterSimulator().start()
    printer = _printer(sim)
    printer.print_ticket(job)
    sim.stop()  # the pty is gone, like a USB adapter pulled out
    started = time.monotonic()
    with pytest.raises((PrinterOfflineError, DeviceNotFoundError)):
        printer.print_ticket(job)
    assert time.monotonic() - started < 1.5
    printer.close()
