"""Barcode / QR scanners in serial mode (USB-COM virtual port or RS-232).

A keyboard-wedge scanner types what it reads as key presses, and at scanner
speed many keyboard layouts and input methods drop or mangle Vietnamese
letters (the CCCD card's QR carries the holder's name and address). In serial
mode the scanner sends the raw UTF-8 bytes of each code, ended by CR and/or LF,
so the text arrives intact.

:class:`ScanLineDecoder` is the protocol: bytes in, complete scans out
(UTF-8 decoded incrementally, so a character split across two reads survives).
:class:`SerialBarcodeScanner` is the transport: it opens the port lazily, reads
with a short timeout so a reader thread can be stopped, and turns port faults
into :class:`ScannerError` with a Vietnamese message. It never runs on the GUI
thread (``ui.scanner.SerialScanReader`` runs it in a thread of its own).
"""

from __future__ import annotations

import codecs
import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import serial

from desk_app.devices.api import DeviceError, DeviceNotFoundError

log = logging.getLogger(__name__)

try:  # pyserial lets termios.error (not an OSError) escape when a pty/USB port vanishes
    import termios

    _OS_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)
except ImportError:  # Windows
    _OS_ERRORS = (OSError,)
_IO_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, *_OS_ERRORS)

TERMINATORS = ("\r", "\n")
MAX_SCAN_CHARS = 4096  # a CCCD QR is ~150 characters; anything longer is line noise


class ScannerError(DeviceError):
    """The serial scanner's port failed (unplugged, wrong port)."""


class ScanLineDecoder:
    """Splits the scanner's byte stream into scans: UTF-8 text ended by CR, LF or CR LF."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""

    def feed(self, data: bytes) -> list[str]:
        self._text += self._decoder.decode(data)
        scans: list[str] = []
        while True:
            cut = min((i for i in (self._text.find(t) for t in TERMINATORS) if i >= 0), default=-1)
            if cut < 0:
                break
            line, self._text = self._text[:cut], self._text[cut + 1 :]
            line = unicodedata.normalize("NFC", line.strip())
            if line:
                scans.append(line)
        if len(self._text) > MAX_SCAN_CHARS:
            log.warning("scanner sent %d characters without an end of line; dropped", len(self._text))
            self._text = ""
        return scans


class SerialBarcodeScanner:
    """One scanner on ``port``; ``read_scans`` returns the scans completed within ``timeout`` seconds."""

    def __init__(self, port: str, baud: int = 9600, *, timeout: float = 0.2) -> None:
        self.port = port
        self.baud = baud
        self.timeout = timeout
        self._serial: Any = None
        self._decoder = ScanLineDecoder()

    def open(self) -> None:
        if self._serial is not None:
            return
        try:
            self._serial = serial.Serial(self.port, self.baud, timeout=self.timeout)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise DeviceNotFoundError(
                f"Không mở được cổng {self.port} của máy quét mã vạch. "
                "Hãy kiểm tra cáp nối, tên cổng trong cài đặt và chế độ USB-COM của máy quét."
            ) from exc

    def read_scans(self) -> list[str]:
        self.open()
        try:
            data = self._serial.read(max(1, self._serial.in_waiting or 1))
            if data and self._serial.in_waiting:
                data += self._serial.read(self._serial.in_waiting)
        except _IO_ERRORS as exc:
            self.close()
            raise ScannerError(
                f"Mất kết nối với máy quét mã vạch ở cổng {self.port}: hãy kiểm tra cáp nối."
            ) from exc
        return self._decoder.feed(data) if data else []

    def wait_for_scan(self, seconds: float, stop: threading.Event | None = None) -> str | None:
        """The first scan within ``seconds`` (field test), or ``None``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if stop is not None and stop.is_set():
                return None
            scans = self.read_scans()
            if scans:
                return scans[0]
        return None

    def run(self, on_scan: Callable[[str], None], stop: threading.Event) -> None:
        """Read until ``stop`` is set, calling ``on_scan`` for every scan (on this thread)."""
        while not stop.is_set():
            for text in self.read_scans():
                on_scan(text)

    def close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            try:
                ser.close()
            except _IO_ERRORS:
                pass

    def __enter__(self) -> SerialBarcodeScanner:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
