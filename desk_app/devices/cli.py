"""``motcua devices …``: field tools for installers (ports, test ticket, test board, simulators)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from desk_app.devices.api import CallAnnouncement, DeviceError, TicketPrintJob
from desk_app.workcalendar import now_vn

EXIT_OK = 0
EXIT_FAILURE = 1


def register(subparsers: Any) -> None:
    devices = subparsers.add_parser("devices", help="thiết bị: máy in số thứ tự, bảng LED, mô phỏng")
    sub = devices.add_subparsers(dest="devices_command", metavar="LỆNH")
    devices.set_defaults(func=lambda _args: (devices.print_help(sys.stderr), 2)[1])

    p = sub.add_parser("list", help="liệt kê các cổng nối tiếp (COM, ttyUSB, ttyS…)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("test-printer", help="in một phiếu thử và báo trạng thái máy in")
    p.add_argument("--port", required=True, help="cổng nối tiếp, ví dụ COM3 hoặc /dev/ttyUSB0")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument(
        "--mode", choices=("cp1258", "tcvn3", "raster"), default="cp1258", help="cách in tiếng Việt"
    )
    p.add_argument(
        "--codepage", type=int, default=None, help="số bảng mã ESC t (mặc định: 52 cho cp1258, 30 cho tcvn3)"
    )
    p.add_argument("--flow", choices=("none", "rtscts", "xonxoff"), default="none")
    p.set_defaults(func=cmd_test_printer)

    p = sub.add_parser("test-display", help="hiển thị thử một lượt gọi lên bảng LED")
    p.add_argument("--port", required=True)
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--address", type=int, default=1, help="địa chỉ bảng quầy (= số quầy); bảng chính là 0")
    p.set_defaults(func=cmd_test_display)

    p = sub.add_parser("test-scanner", help="chờ một lần quét từ máy quét mã vạch ở chế độ cổng COM")
    p.add_argument("--port", required=True, help="cổng nối tiếp, ví dụ COM4 hoặc /dev/ttyACM0")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--seconds", type=float, default=30.0, help="thời gian chờ quét (giây)")
    p.set_defaults(func=cmd_test_scanner)

    p = sub.add_parser("simulate", help="chạy máy in và bảng LED mô phỏng trên cổng ảo (pty) đến khi Ctrl-C")
    p.set_defaults(func=cmd_simulate)


def cmd_list(_args: argparse.Namespace) -> int:
    from serial.tools import list_ports

    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    if not ports:
        print("Không tìm thấy cổng nối tiếp nào.")
        return EXIT_OK
    for port in ports:
        extra = f" [{port.hwid}]" if port.hwid and port.hwid != "n/a" else ""
        print(f"{port.device}\t{port.description}{extra}")
    return EXIT_OK


def cmd_test_printer(args: argparse.Namespace) -> int:
    from desk_app.devices.ticket_printer import EscposTicketPrinter

    printer = EscposTicketPrinter(
        args.port, args.baud, flow=args.flow, encoding_mode=args.mode, codepage_number=args.codepage
    )
    job = TicketPrintJob(
        unit_name="Phiếu in thử - MotCua Desk",
        number="A001",
        service_name="Kiểm tra tiếng Việt: ăâêôơưđ ÀẢÃÁẠ Ỳỷỹýỵ",
        people_ahead=0,
        issued_at=now_vn(),
        priority=True,
        qr_text="https://example.gov.vn/tra-cuu?so=A001",
    )
    try:
        result = printer.print_ticket(job)
        state = printer.status()
    except DeviceError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        printer.close()
    print(f"Đã in phiếu thử: {result.bytes_sent} byte trong {result.seconds:.2f} s.")
    print(f"Trạng thái máy in: {'sẵn sàng' if state == 'ok' else state}")
    if printer.paper_near_end:
        print("Cảnh báo: cuộn giấy sắp hết.")
    return EXIT_OK if state == "ok" else EXIT_FAILURE


def cmd_test_scanner(args: argparse.Namespace) -> int:
    from desk_app.cccd_qr import looks_like_cccd_qr, parse_cccd_qr
    from desk_app.codes import parse_code
    from desk_app.devices.barcode_scanner import SerialBarcodeScanner
    from desk_app.domain.errors import ValidationError

    print(
        f"Đang chờ quét trên cổng {args.port} ({args.seconds:g} giây): hãy quét thẻ căn cước hoặc mã hồ sơ…"
    )
    sys.stdout.flush()
    try:
        with SerialBarcodeScanner(args.port, args.baud) as scanner:
            text = scanner.wait_for_scan(args.seconds)
    except DeviceError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if text is None:
        print(
            f"Lỗi: không nhận được mã nào trong {args.seconds:g} giây. Máy quét có đang ở chế độ "
            "USB-COM (cổng nối tiếp) và đúng tốc độ không?",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(f"Đã nhận: {text}")
    if "\ufffd" in text:
        print("Lỗi: mã nhận được có ký tự hỏng: hãy đặt máy quét gửi UTF-8.", file=sys.stderr)
        return EXIT_FAILURE
    try:
        if looks_like_cccd_qr(text):
            card = parse_cccd_qr(text)
            print(f"Thẻ căn cước: {card.full_name}, số {card.id_number}, sinh {card.birth_date:%d/%m/%Y}.")
        else:
            print(f"Mã hồ sơ: {parse_code(text)}")
    except ValidationError as exc:
        print(f"Mã khác (không phải thẻ căn cước hay mã hồ sơ): {exc}")
    return EXIT_OK


def cmd_test_display(args: argparse.Namespace) -> int:
    from desk_app.devices.led import LedBoardDriver

    call = CallAnnouncement(ticket_number="1023", counter_no=args.address)
    try:
        with LedBoardDriver(args.port, args.baud, main_address=None if args.address == 0 else 0) as board:
            if args.address == 0:
                board.show(0, "1023 -> 3", blink=True)
            else:
                board.show_call(call)
    except DeviceError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"Bảng LED đã nhận lệnh hiển thị (địa chỉ {args.address}).")
    return EXIT_OK


def cmd_simulate(_args: argparse.Namespace) -> int:
    from desk_app.devices.led import LedFrame
    from desk_app.devices.simulators import LedBoardSimulator, PrintedTicket, PrinterSimulator

    out_lock = threading.Lock()

    def say(text: str) -> None:
        with out_lock:
            print(text, flush=True)

    def on_ticket(ticket: PrintedTicket) -> None:
        say("--- phiếu ---\n" + ticket.text + "\n--- cắt ---")

    def on_frame(frame: LedFrame) -> None:
        say(f"led[{frame.address}]: {frame.text}{' (nhấp nháy)' if frame.blink else ''}")

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with PrinterSimulator(on_ticket=on_ticket) as printer, LedBoardSimulator(on_frame=on_frame) as led:
            say(f"printer={printer.port}")
            say(f"led={led.port}")
            try:
                while not stop.wait(0.2):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK
