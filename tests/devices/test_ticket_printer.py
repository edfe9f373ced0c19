"""The ticket printer's protocol logic through the in-memory transport (exact bytes)."""

from __future__ import annotations

import datetime as dt

import pytest

from desk_app.devices.api import (
    CoverOpenError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    TicketPrintJob,
)
from desk_app.devices.ticket_printer import STATUS_QUERY, DummyTicketPrinter, check_status

OK = b"\x12\x12\x12"
PAPER_OUT = b"\x1a\x32\x7e"
COVER_OPEN = b"\x1a\x16\x12"

SMALL_JOB = TicketPrintJob(
    unit_name="UBND xã Tân Lập",
    number="A023",
    service_name="Chứng thực",
    people_ahead=3,
    issued_at=dt.datetime(2026, 11, 25, 8, 5),
)


def test_exact_bytes_on_the_wire_cp1258() -> None:
    printer = DummyTicketPrinter(encoding_mode="cp1258")
    result = printer.print_ticket(SMALL_JOB)
    expected = (
        b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"  # DLE EOT 1, 2, 4: status before printing
        b"\x1b@"  # ESC @ initialise
        b"\x1bt\x34"  # ESC t 52: CP1258
        b"\x1ba\x01"  # centre
        b"\x1bE\x01"  # bold
        b"UBND XA\xde T\xc2N L\xc2\xf2P\n"  # XÃ = A + tilde (Ã is not in CP1258), TÂN, LẬ = Â + dot below
        b"\x1bE\x00"
        b"S\xd4\xec TH\xdd\xec T\xdd\xf2\n"  # SỐ THỨ TỰ
        b'\x1d!"'  # GS ! 0x22: triple width and height
        b"A023\n"
        b"\x1d!\x00"
        b"Ch\xfd\xecng th\xfd\xf2c\n"  # Chứng thực
        b"S\xf4\xec ng\xfd\xf5\xcci \xf0ang ch\xf5\xcc tr\xfd\xf5\xecc ba\xf2n: 3\n"
        b"08:05  25/11/2026\n"
        b"\x1bd\x06"  # feed 6 lines
        b"\x1dV\x00"  # full cut
        b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"  # status after printing
    )
    assert printer.output == expected
    assert result.bytes_sent == len(expected)


def test_text_mode_ticket_fits_512_bytes(job: TicketPrintJob) -> None:
    long_job = TicketPrintJob(
        unit_name="Trung tâm Phục vụ hành chính công phường Hoàn Kiếm, thành phố Hà Nội",
        number="B1023",
        service_name="Thay đổi, cải chính, bổ sung thông tin hộ tịch; xác nhận tình trạng hôn nhân",
        people_ahead=128,
        issued_at=job.issued_at,
        priority=True,
        qr_text=job.qr_text,
    )
    for mode in ("cp1258", "tcvn3"):
        printer = DummyTicketPrinter(encoding_mode=mode)  # type: ignore[arg-type]
        assert printer.print_ticket(long_job).bytes_sent <= 512, mode


def test_tcvn3_switches_to_the_capital_page_only_when_needed() -> None:
    printer = DummyTicketPrinter(encoding_mode="tcvn3")
    data = printer.render(SMALL_JOB)
    assert data.startswith(b"\x1b@\x1bt\x1e")  # ESC t 30
    assert b"\x1bt\x1f" in data  # ESC t 31 for "XÃ", "SỐ THỨ TỰ"
    assert b"Ch\x1bt\x1e\xf8ng" in data  # back to 30 for the "ứ" of "Chứng"


def test_raster_fallback_only_for_vietnamese_lines() -> None:
    data = DummyTicketPrinter(encoding_mode="raster").render(SMALL_JOB)
    assert b"\x1bt" not in data
    assert data.count(b"\x1dv0") == 4  # unit, "SỐ THỨ TỰ", service, people ahead
    assert b"A023\n" in data and b"08:05  25/11/2026\n" in data


def test_priority_and_native_qr(job: TicketPrintJob) -> None:
    data = DummyTicketPrinter().render(
        TicketPrintJob(**{**job.__dict__, "priority": True})  # type: ignore[arg-type]
    )
    assert b"\xddU TI\xcaN\n" in data  # ƯU TIÊN
    assert b"\x1d(k" + bytes([len(job.qr_text) + 3, 0]) + b"1P0" + job.qr_text.encode() in data
    assert data.endswith(b"\x1dV\x00")


def test_paper_out_before_printing_sends_no_ticket() -> None:
    printer = DummyTicketPrinter(status_replies=[PAPER_OUT])
    with pytest.raises(PaperOutError) as err:
        printer.print_ticket(SMALL_JOB)
    assert printer.output == STATUS_QUERY
    assert "hết giấy" in str(err.value)


def test_errors_after_printing_and_no_answer() -> None:
    with pytest.raises(PaperOutError, match="trong khi in"):
        DummyTicketPrinter(status_replies=[OK, PAPER_OUT]).print_ticket(SMALL_JOB)
    with pytest.raises(CoverOpenError, match="Nắp máy in"):
        DummyTicketPrinter(status_replies=[COVER_OPEN]).print_ticket(SMALL_JOB)
    with pytest.raises(PrinterOfflineError, match="không phản hồi"):
        DummyTicketPrinter(status_replies=[OK, b""]).print_ticket(SMALL_JOB)
    with pytest.raises(PrinterOfflineError):
        DummyTicketPrinter(status_replies=[b"\xff\x00\x41"]).print_ticket(SMALL_JOB)  # wrong baud: garbage


def test_status_text() -> None:
    assert DummyTicketPrinter().status() == "ok"
    assert "hết giấy" in DummyTicketPrinter(default_reply=PAPER_OUT).status()
    assert "không phản hồi" in DummyTicketPrinter(default_reply=b"").status()
    assert check_status(b"\x12\x12\x1e") == "near_end"
    with pytest.raises(PrinterError, match="dao cắt"):
        check_status(b"\x1a\x52\x12")
