"""Barcode scanners that act as keyboards: tell a scan from typing, anywhere in the window.

A scanner types the whole code within a few milliseconds and ends with Enter;
people type at 100–300 ms a key. ``ScanDetector`` is an application-level
event filter that keeps the characters of the current *burst* (keys less than
``gap_ms`` apart). On Enter ending a burst of at least ``min_length``
characters:

* a dossier code (``ddd.dd.dd.Hdd-yymmdd-NNNN``) is a scan: the Enter is
  swallowed, the code is removed again from the line edit it landed in, and
  ``codeScanned(code)`` fires;
* the QR of a chip CCCD card (``desk_app.cccd_qr``) is a scan wherever the focus
  is: it is removed from the field it landed in and ``cccdScanned(text)`` fires;
* anything else typed into a text field is left alone, unless it starts like a
  dossier code;
* anything else with focus outside a text field is a foreign barcode:
  ``foreignScanned(text, message)`` fires with a Vietnamese explanation.

Signals:
    codeScanned(str): a valid dossier code was scanned.
    foreignScanned(str, str): text scanned, Vietnamese message.
    cccdScanned(str): the QR text of a CCCD card.

Scanners in serial mode (``desk_app.devices.barcode_scanner``) hand whole lines
to ``dispatch``, which sorts them the same way.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from desk_app.cccd_qr import looks_like_cccd_qr
from desk_app.codes import parse_code
from desk_app.domain.errors import ValidationError

CODE_PREFIX_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}", re.IGNORECASE)
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ScanDetector(QObject):
    codeScanned = Signal(str)
    foreignScanned = Signal(str, str)
    cccdScanned = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        gap_ms: float = 30.0,
        min_length: int = 8,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(parent)
        self.gap = gap_ms / 1000.0
        self.min_length = min_length
        self.clock = clock
        self.enabled = True
        self._buffer = ""
        self._last = -1.0
        self._last_target: QObject | None = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not self.enabled or event.type() != QEvent.Type.KeyPress:
            return False
        if not isinstance(obj, QWidget):
            return False  # the QWindow stage of a real key press; the widget stage follows
        focus = QApplication.focusWidget()
        if focus is not None and obj is not focus:
            return False  # the same event propagating to a parent: count it once
        assert isinstance(event, QKeyEvent)
        now = self.clock()
        # A burst goes to one widget: the first key after the focus moved starts afresh.
        quick = self._last >= 0 and (now - self._last) <= self.gap and obj is self._last_target
        self._last = now
        self._last_target = obj
        if event.key() in _ENTER:
            burst, self._buffer = self._buffer, ""
            if quick and len(burst) >= self.min_length:
                return self._on_burst(burst, obj)
            return False
        text = event.text()
        if text and text.isprintable():
            self._buffer = self._buffer + text if quick else text
            if quick and not _accepts_text(obj):
                # A burst's keys outside a text field (the spaces and letters of a CCCD QR)
                # must not press the focused button, tick a box or pick a combo item.
                return True
        elif event.key() not in (Qt.Key.Key_Shift, Qt.Key.Key_unknown):
            self._buffer = ""
        return False

    def _on_burst(self, burst: str, target: QObject) -> bool:
        text = burst.strip()
        editable = _accepts_text(target)
        qr = _cccd_qr_tail(burst)
        if qr:
            _strip_tail(target, qr)
            self.cccdScanned.emit(qr.strip())
            return True
        try:
            code = parse_code(text)
        except ValidationError as exc:
            if editable and not CODE_PREFIX_RE.match(text):
                return False  # typed / scanned data for that field
            _strip_tail(target, burst)
            message = (
                str(exc)
                if CODE_PREFIX_RE.match(text)
                else (
                    f"Mã vừa quét “{text}” không phải mã hồ sơ của hệ thống Một cửa (mã hồ sơ có dạng "
                    "ddd.dd.dd.Hdd-yymmdd-NNNN, in trên Giấy tiếp nhận hồ sơ)."
                )
            )
            self.foreignScanned.emit(text, message)
            return True
        _strip_tail(target, burst)
        self.codeScanned.emit(str(code))
        return True

    def dispatch(self, text: str) -> None:
        """A whole scan from a serial scanner: a dossier code, a CCCD QR or a foreign code."""
        text = text.strip()
        if not text:
            return
        if looks_like_cccd_qr(text):
            self.cccdScanned.emit(text)
            return
        try:
            code = parse_code(text)
        except ValidationError as exc:
            message = (
                str(exc)
                if CODE_PREFIX_RE.match(text)
                else f"Mã vừa quét “{text}” không phải mã hồ sơ của hệ thống Một cửa."
            )
            self.foreignScanned.emit(text, message)
            return
        self.codeScanned.emit(str(code))


def _accepts_text(widget: QObject) -> bool:
    return isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox)


def _cccd_qr_tail(burst: str) -> str:
    """The CCCD QR at the end of a burst ('' if none): keys typed just before the scan may precede it."""
    bar = burst.find("|")
    start = bar - 12
    if start < 0 or not looks_like_cccd_qr(burst[start:]):
        return ""
    return burst[start:]


def _strip_tail(target: QObject, burst: str) -> None:
    """Undo the scanned characters that landed in a line edit."""
    if isinstance(target, QLineEdit) and not target.isReadOnly():
        current = target.text()
        if current.endswith(burst):
            target.setText(current[: -len(burst)])


class SerialScanReader(QObject):
    """Reads a serial-mode scanner in a thread of its own; scans arrive on the GUI thread as signals.

    A fault is reported once (``failed``), then the port is retried every few
    seconds, so plugging the cable back in is enough.

    Signals:
        scanned(str): one complete scan (UTF-8 text as the scanner sent it).
        failed(str): a Vietnamese message about the port.
    """

    scanned = Signal(str)
    failed = Signal(str)

    RETRY_S = 3.0

    def __init__(self, port: str, baud: int = 9600, parent: QObject | None = None):
        super().__init__(parent)
        from desk_app.devices.barcode_scanner import SerialBarcodeScanner

        self.port = port
        self._scanner = SerialBarcodeScanner(port, baud)
        self._stop = threading.Event()
        self.ready = threading.Event()  # set once the port is open (scans from then on are read whole)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"scanner:{self.port}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from desk_app.devices.api import DeviceError

        reported = False
        while not self._stop.is_set():
            try:
                self._scanner.open()
                self.ready.set()
                self._scanner.run(self.scanned.emit, self._stop)
            except DeviceError as exc:
                if not reported:
                    self.failed.emit(str(exc))
                    reported = True
                self._stop.wait(self.RETRY_S)
        self._scanner.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
