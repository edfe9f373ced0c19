"""A scanner in serial mode, over a real pseudo-terminal: UTF-8 text arrives intact."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator

import pytest

from desk_app.devices import cli
from desk_app.devices.api import DeviceError
from desk_app.devices.barcode_scanner import ScanLineDecoder, ScannerError, SerialBarcodeScanner
from desk_app.devices.simulators import BarcodeScannerSimulator

QR = "001185012345|012345678|Trần Thị Bình|17051985|Nữ|Số 5 ngõ 12 Láng Hạ, Đống Đa, Hà Nội|10082021"


@pytest.fixture
def scanner_sim() -> Iterator[BarcodeScannerSimulator]:
    with BarcodeScannerSimulator(chunk=3) as sim:  # 3-byte writes cut Vietnamese letters in two
        yield sim


def test_decoder_joins_split_characters_and_any_line_end() -> None:
    decoder = ScanLineDecoder()
    data = QR.encode() + b"\r\n" + b"000.21.31.H56-261125-0001" + b"\n" + b"abc\r"
    out: list[str] = []
    for i in range(len(data)):
        out += decoder.feed(data[i : i + 1])
    assert out == [QR, "000.21.31.H56-261125-0001", "abc"]


def test_decoder_normalises_and_drops_runaway_noise() -> None:
    decoder = ScanLineDecoder()
    assert decoder.feed("Tra\u0302\u0300n\r\n".encode()) == ["Trần"]
    assert decoder.feed(b"x" * 5000) == []
    assert decoder.feed(b"ok\n") == ["ok"]


def test_serial_scanner_reads_vietnamese_intact(scanner_sim: BarcodeScannerSimulator) -> None:
    with SerialBarcodeScanner(scanner_sim.port) as scanner:
        scanner_sim.scan(QR)
        scanner_sim.scan("000.21.31.H56-261125-0001")
        got: list[str] = []
        for _ in range(50):
            got += scanner.read_scans()
            if len(got) == 2:
                break
    assert got == [QR, "000.21.31.H56-261125-0001"]


def test_run_loop_stops_on_request(scanner_sim: BarcodeScannerSimulator) -> None:
    stop = threading.Event()
    seen: list[str] = []
    done = threading.Event()

    def on_scan(text: str) -> None:
        seen.append(text)
        done.set()

    scanner = SerialBarcodeScanner(scanner_sim.port, timeout=0.05)
    # Open before the scan, as a plugged-in scanner is: opening a port flushes its
    # input (pyserial), so a scan racing the open would lose its first bytes.
    scanner.open()
    thread = threading.Thread(target=scanner.run, args=(on_scan, stop))
    thread.start()
    try:
        scanner_sim.scan(QR)
        assert done.wait(5)
    finally:
        stop.set()
        thread.join(5)
        scanner.close()
    assert seen == [QR] and not thread.is_alive()


def test_missing_port_and_pulled_cable_say_so_in_vietnamese() -> None:
    with pytest.raises(DeviceError, match="Không mở được cổng /dev/khong-co"):
        SerialBarcodeScanner("/dev/khong-co").open()
    sim = BarcodeScannerSimulator().start()
    scanner = SerialBarcodeScanner(sim.port, timeout=0.05)
    scanner.open()
    sim.stop()
    with pytest.raises(ScannerError, match="Mất kết nối với máy quét"):
        for _ in range(40):
            scanner.read_scans()
    scanner.close()


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_test_scanner(scanner_sim: BarcodeScannerSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    timer = threading.Timer(0.3, scanner_sim.scan, args=(QR,))
    timer.start()
    try:
        assert _run(["devices", "test-scanner", "--port", scanner_sim.port, "--seconds", "5"]) == 0
    finally:
        timer.join()
    out = capsys.readouterr().out
    assert f"Đã nhận: {QR}" in out
    assert "Thẻ căn cước: Trần Thị Bình, số 001185012345, sinh 17/05/1985." in out
    assert _run(["devices", "test-scanner", "--port", scanner_sim.port, "--seconds", "0.3"]) == 1
    assert "không nhận được mã nào" in capsys.readouterr().err
