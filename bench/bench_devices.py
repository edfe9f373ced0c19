"""Device benchmark: ticket bytes on the wire and kiosk tap-to-printer latency.

    python bench/bench_devices.py [--runs N]

Prints:
* bytes on the wire per ticket (status queries included) in each Vietnamese mode, and
  the wire time at 9600 and 115200 baud (8N1 = 10 bits a byte). Goal for text mode:
  ≤ 512 bytes, i.e. ≤ 0.6 s at 9600 baud.
* latency from the "tap" (``print_ticket`` called) to the first byte read by the
  printer simulator through a pseudo-terminal, to the first ticket byte (after the
  status round trip) and to the confirmed print (after-print status answered), median
  and 95th percentile of N runs. Goal: first byte ≤ 50 ms. A pty has no baud rate, so
  add the wire time above for a real line.
* LED ``show_call`` round trip (two frames, two ACKs) and voice assembly time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk_app.devices.api import CallAnnouncement, TicketPrintJob  # noqa: E402
from desk_app.devices.led import LedBoardDriver  # noqa: E402
from desk_app.devices.simulators import LedBoardSimulator, PrinterSimulator  # noqa: E402
from desk_app.devices.ticket_printer import STATUS_QUERY, DummyTicketPrinter, EscposTicketPrinter  # noqa: E402
from desk_app.devices.voice import announcement_words, assemble_announcement  # noqa: E402

TYPICAL = TicketPrintJob(
    unit_name="UBND phường Hoàn Kiếm",
    number="A023",
    service_name="Hộ tịch - Đăng ký khai sinh",
    people_ahead=12,
    issued_at=dt.datetime(2026, 11, 25, 14, 20),
    qr_text="https://dichvucong.hanoi.gov.vn/tra-cuu?so=A023",
)
LONG = TicketPrintJob(
    unit_name="Trung tâm Phục vụ hành chính công phường Hoàn Kiếm, thành phố Hà Nội",
    number="B1023",
    service_name="Thay đổi, cải chính, bổ sung thông tin hộ tịch; xác nhận tình trạng hôn nhân",
    people_ahead=128,
    issued_at=dt.datetime(2026, 11, 25, 14, 20),
    priority=True,
    qr_text="https://dichvucong.hanoi.gov.vn/tra-cuu?so=B1023&ngay=20261125",
)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def bench_bytes() -> None:
    print("Bytes on the wire per ticket (status before + ticket + status after):")
    for label, job in (("typical", TYPICAL), ("long+priority", LONG)):
        for mode in ("cp1258", "tcvn3", "raster"):
            n = DummyTicketPrinter(encoding_mode=mode).print_ticket(job).bytes_sent  # type: ignore[arg-type]
            goal = "" if mode == "raster" else ("  OK ≤ 512" if n <= 512 else "  OVER 512")
            print(
                f"  {label:14} {mode:7} {n:5d} B   {n * 10 / 9600:5.2f} s @9600   "
                f"{n * 10 / 115200:5.3f} s @115200{goal}"
            )


def bench_latency(runs: int) -> None:
    first_rx: list[float] = []
    first_ticket: list[float] = []
    confirmed: list[float] = []
    with PrinterSimulator() as sim:
        events: list[tuple[float, bytes]] = []
        lock = threading.Lock()

        def on_rx(data: bytes, at: float) -> None:
            with lock:
                events.append((at, data))

        sim.on_rx = on_rx
        with EscposTicketPrinter(sim.port, 9600, settle_s=0.0) as printer:
            printer.print_ticket(TYPICAL)  # open the port once, like a kiosk that runs all day
            for _ in range(runs):
                with lock:
                    events.clear()
                tap = time.monotonic()
                printer.print_ticket(TYPICAL)
                done = time.monotonic()
                time.sleep(0.01)
                with lock:
                    got = list(events)
                first_rx.append(got[0][0] - tap)
                seen = 0
                for at, data in got:  # the first chunk beyond the status query
                    seen += len(data)
                    if seen > len(STATUS_QUERY):
                        first_ticket.append(at - tap)
                        break
                confirmed.append(done - tap)
    print(f"Kiosk tap → printer over a pty ({runs} tickets, settle_s=0):")
    print(f"  first byte (status query)     {ms(first_rx)}   goal ≤ 50 ms")
    print(f"  first ticket byte             {ms(first_ticket)}")
    print(f"  printed and confirmed         {ms(confirmed)}   (+ wire time on a real line)")


def bench_led(runs: int) -> None:
    samples: list[float] = []
    with LedBoardSimulator() as sim, LedBoardDriver(sim.port) as board:
        for i in range(runs):
            start = time.monotonic()
            board.show_call(CallAnnouncement(f"A{i:03d}", 3))
            samples.append(time.monotonic() - start)
        sim.unplugged = True
        start = time.monotonic()
        try:
            board.show_call(CallAnnouncement("A999", 3))
        except Exception:  # noqa: BLE001 - expected DisplayBoardError
            pass
        pulled = time.monotonic() - start
    print(f"LED show_call (main + counter board, ACKed) {ms(samples)}")
    print(f"LED show_call with the cable pulled: error after {pulled * 1000:.0f} ms (goal ≤ 1500 ms)")


def bench_voice(runs: int) -> None:
    samples: list[float] = []
    size = 0
    for i in range(runs):
        start = time.monotonic()
        size = len(assemble_announcement(announcement_words(f"A{i + 1000}", 12)))
        samples.append(time.monotonic() - start)
    print(f"Voice call assembly ({size // 1024} KiB WAV)  {ms(samples)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    bench_bytes()
    bench_latency(args.runs)
    bench_led(args.runs)
    bench_voice(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
