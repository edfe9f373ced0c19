"""ESC/POS queue-ticket printer: one protocol class, a serial and an in-memory transport.

Why the design looks like this:

* The ticket is rendered once into bytes with python-escpos' command methods on an
  in-memory ``escpos.printer.Dummy`` (:func:`render_ticket`), then written to the link
  in one write. The transports only move bytes and answer status queries, so the
  tests can assert the exact wire bytes (``DummyTicketPrinter``) and the simulator
  sees the very same stream as a real printer.
* Vietnamese text is encoded by us (see :mod:`desk_app.devices.codepages`), not by
  python-escpos' "magic" encoder, which does not know CP1258's base-plus-tone-mark
  trick nor the two-page TCVN-3 arrangement.
* **A ticket counts as issued only if it printed.** Before and after the ticket we
  send DLE EOT 1, 2 and 4 (real-time status: printer, offline cause, paper sensor)
  in one go and wait for the three answer bytes. python-escpos' ``query_status``
  reads 16 bytes with the port's whole timeout and treats "no answer" as "paper OK",
  so the status I/O is done here directly on the pyserial object behind
  ``escpos.printer.Serial`` (``Serial.device``).
* The after-print answer is only accepted once every byte before it reached the
  printer (the answer comes back in order), so its timeout includes the wire time of
  the ticket. Real printers answer DLE EOT as soon as it arrives, possibly while the
  ticket is still in their buffer; ``settle_s`` waits that long first so a roll that
  runs out half-way through the ticket is noticed.
"""

from __future__ import annotations

import logging
import textwrap
import threading
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import serial
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from desk_app.devices.api import (
    CoverOpenError,
    DeviceNotFoundError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintResult,
    TicketPrinter,
    TicketPrintJob,
)
from desk_app.devices.codepages import encode_cp1258, encode_tcvn3_runs, is_ascii

log = logging.getLogger(__name__)

try:  # pyserial lets termios.error (not an OSError) escape when a pty/USB port vanishes
    import termios

    _OS_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)
except ImportError:  # Windows
    _OS_ERRORS = (OSError,)
_IO_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, *_OS_ERRORS)

EncodingMode = Literal["cp1258", "tcvn3", "raster"]
FlowControl = Literal["none", "rtscts", "xonxoff"]

ESC = b"\x1b"
GS = b"\x1d"
DLE_EOT = b"\x10\x04"
#: DLE EOT 1 (printer), 2 (offline cause), 4 (paper roll sensor), sent together.
STATUS_QUERY = DLE_EOT + b"\x01" + DLE_EOT + b"\x02" + DLE_EOT + b"\x04"
STATUS_OK_REPLY = b"\x12\x12\x12"  # bits 1 and 4 are fixed to 1 in every status byte

DEFAULT_CODEPAGES: dict[str, int] = {"cp1258": 52, "tcvn3": 30, "raster": 0}

MSG_PAPER_OUT = "Máy in số thứ tự đã hết giấy. Hãy thay cuộn giấy mới rồi in lại phiếu."
MSG_PAPER_OUT_DURING = (
    "Máy in số thứ tự hết giấy trong khi in, phiếu có thể chưa in đủ. "
    "Hãy thay cuộn giấy mới rồi in lại phiếu."
)
MSG_COVER_OPEN = "Nắp máy in số thứ tự đang mở. Hãy đóng nắp rồi in lại phiếu."
MSG_OFFLINE = (
    "Máy in số thứ tự không phản hồi (chưa bật nguồn, tuột cáp hoặc sai tốc độ truyền). "
    "Hãy kiểm tra máy in rồi in lại phiếu."
)
MSG_ERROR = (
    "Máy in số thứ tự báo lỗi (kẹt dao cắt hoặc lỗi phần cứng). Hãy tắt, bật lại máy in rồi in lại phiếu."
)
MSG_NOT_READY = "Máy in số thứ tự đang ở trạng thái không sẵn sàng. Hãy kiểm tra máy in rồi in lại phiếu."


def _msg_not_found(port: str) -> str:
    return f"Không mở được cổng {port} của máy in số thứ tự. Hãy kiểm tra cáp nối và tên cổng trong cài đặt."


# --- status bytes ----------------------------------------------------------------------
def _valid_status_byte(b: int) -> bool:
    # Every DLE EOT answer has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0.
    return b & 0x93 == 0x12


def check_status(reply: bytes, *, after_print: bool = False) -> str | None:
    """Interpret the three answers to :data:`STATUS_QUERY`; return ``None`` or raise.

    Returns ``"near_end"`` when the paper roll is nearly used up (still printable).
    """
    if len(reply) < 3 or not all(_valid_status_byte(b) for b in reply[:3]):
        raise PrinterOfflineError(MSG_OFFLINE)
    printer, cause, paper = reply[0], reply[1], reply[2]
    if cause & 0x04:
        raise CoverOpenError(MSG_COVER_OPEN)
    if paper & 0x60 or cause & 0x20:
        raise PaperOutError(MSG_PAPER_OUT_DURING if after_print else MSG_PAPER_OUT)
    if cause & 0x40:
        raise PrinterError(MSG_ERROR)
    if printer & 0x08:
        raise PrinterError(MSG_NOT_READY)
    if paper & 0x0C:
        return "near_end"
    return None


# --- rendering ---------------------------------------------------------------------------
_FONTS_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"


@lru_cache(maxsize=4)
def _font(bold: bool, size: int) -> Any:
    from PIL import ImageFont

    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    try:
        return ImageFont.truetype(str(_FONTS_DIR / name), size)
    except OSError:  # fonts not installed: Pillow's own scalable font still has Vietnamese
        return ImageFont.load_default(size)


def raster_line(text: str, *, bold: bool = False, size: int = 22, max_width: int = 512) -> bytes:
    """One text line as a GS v 0 raster image, cropped to the ink (keeps the bytes small)."""
    from PIL import Image, ImageDraw

    font = _font(bold, size)
    left, top, right, bottom = font.getbbox(text)
    width = min(max_width, max(8, right - left + 2))
    width = (width + 7) // 8 * 8
    height = max(1, bottom - top + 4)
    img = Image.new("1", (width, height), 1)
    ImageDraw.Draw(img).text((1 - left, 2 - top), text, font=font, fill=0)
    # Pillow mode "1": 1 = white; ESC/POS: 1 = black dot. Invert the packed bits.
    data = bytes(b ^ 0xFF for b in img.tobytes())
    xb = width // 8
    header = GS + b"v0\x00" + bytes([xb & 0xFF, xb >> 8, height & 0xFF, height >> 8])
    return header + data


class TicketRenderer:
    """Builds the byte stream of one ticket with python-escpos commands on a Dummy."""

    def __init__(
        self,
        encoding_mode: EncodingMode = "cp1258",
        codepage_number: int | None = None,
        upper_codepage_number: int | None = None,
        width_chars: int = 42,
        number_size: int = 3,
    ) -> None:
        if encoding_mode not in DEFAULT_CODEPAGES:
            raise ValueError(f"unknown encoding mode {encoding_mode!r}")
        self.encoding_mode = encoding_mode
        self.codepage = DEFAULT_CODEPAGES[encoding_mode] if codepage_number is None else codepage_number
        # TCVN-3 capitals live in the next page on Epson (30 → 31).
        self.upper_codepage = self.codepage + 1 if upper_codepage_number is None else upper_codepage_number
        self.width_chars = width_chars
        self.number_size = number_size
        self._page = self.codepage

    # Text output -------------------------------------------------------------------
    def _select_page(self, p: Dummy, page: int) -> None:
        if page != self._page:
            p._raw(ESC + b"t" + bytes([page]))
            self._page = page

    def _line(self, p: Dummy, text: str, *, bold: bool = False) -> None:
        if self.encoding_mode == "cp1258":
            p._raw(encode_cp1258(text) + b"\n")
        elif self.encoding_mode == "tcvn3":
            for page, data in encode_tcvn3_runs(text):
                if page == "lower":
                    self._select_page(p, self.codepage)
                elif page == "upper":
                    self._select_page(p, self.upper_codepage)
                p._raw(data)
            p._raw(b"\n")
        elif is_ascii(text):
            p._raw(text.encode("ascii") + b"\n")
        else:  # raster fallback: only this line becomes a bitmap
            p._raw(raster_line(text, bold=bold, max_width=self.width_chars * 12))

    def _wrapped(self, p: Dummy, text: str, width: int, *, bold: bool = False) -> None:
        for line in textwrap.wrap(text, width) or [""]:
            self._line(p, line, bold=bold)

    # Layout --------------------------------------------------------------------------
    def render(self, job: TicketPrintJob, unit_name: str = "") -> bytes:
        p = Dummy()
        p._raw(ESC + b"@")  # initialise: known state whatever the previous job left
        self._page = 0
        if self.encoding_mode != "raster":
            self._select_page(p, self.codepage)
        p.set(align="center")
        name = job.unit_name or unit_name
        if name:
            p.set(bold=True)
            self._wrapped(p, name.upper(), self.width_chars, bold=True)
            p.set(bold=False)
        self._line(p, "SỐ THỨ TỰ")
        p.set(custom_size=True, width=self.number_size, height=self.number_size)
        p._raw(job.number.encode("ascii", errors="replace") + b"\n")
        p.set(custom_size=True, width=1, height=1)
        if job.priority:
            p.set(bold=True, custom_size=True, width=2, height=1)
            self._line(p, "ƯU TIÊN", bold=True)
            p.set(bold=False, custom_size=True, width=1, height=1)
        if job.service_name:
            self._wrapped(p, job.service_name, self.width_chars)
        self._line(p, f"Số người đang chờ trước bạn: {job.people_ahead}")
        self._line(p, job.issued_at.strftime("%H:%M  %d/%m/%Y"))
        if job.qr_text:
            p.qr(job.qr_text, native=True, size=4, ec=QR_ECLEVEL_M)
        p.cut()
        return bytes(p.output)


# --- the protocol base -------------------------------------------------------------------
class _TicketPrinterBase:
    """Protocol logic shared by the transports; subclasses move bytes."""

    port = "dummy"

    def __init__(
        self,
        *,
        encoding_mode: EncodingMode,
        codepage_number: int | None,
        upper_codepage_number: int | None,
        width_chars: int,
        unit_name: str,
        status_timeout: float,
        settle_s: float,
    ) -> None:
        self.renderer = TicketRenderer(encoding_mode, codepage_number, upper_codepage_number, width_chars)
        self.unit_name = unit_name
        self.status_timeout = status_timeout
        self.settle_s = settle_s
        self.paper_near_end = False
        self._lock = threading.Lock()

    # transport hooks
    def _write(self, data: bytes, timeout: float) -> None:
        raise NotImplementedError

    def _exchange_status(self, timeout: float) -> bytes:
        """Send :data:`STATUS_QUERY`, return whatever answer bytes came within ``timeout``."""
        raise NotImplementedError

    def _wire_seconds(self, nbytes: int) -> float:  # noqa: ARG002 - no wire in memory
        return 0.0

    def _drop_connection(self) -> None:
        pass

    # protocol
    def _check(self, *, after_print: bool, extra_wait: float = 0.0) -> None:
        reply = self._exchange_status(self.status_timeout + extra_wait)
        self.paper_near_end = check_status(reply, after_print=after_print) == "near_end"
        if self.paper_near_end:
            log.warning("ticket printer %s: paper roll nearly used up", self.port)

    def render(self, job: TicketPrintJob) -> bytes:
        return self.renderer.render(job, self.unit_name)

    def print_ticket(self, job: TicketPrintJob) -> PrintResult:
        """Print one ticket; raise ``PrinterError`` unless the printer confirmed it afterwards."""
        data = self.render(job)
        with self._lock:
            started = time.monotonic()
            self._check(after_print=False)
            self._write(data, timeout=2.0 + self._wire_seconds(len(data)))
            if self.settle_s:
                time.sleep(self.settle_s)
            # The answer queues behind the ticket bytes on the wire: allow for them.
            self._check(after_print=True, extra_wait=self._wire_seconds(len(data) + len(STATUS_QUERY)))
            seconds = time.monotonic() - started
        return PrintResult(bytes_sent=len(data) + 2 * len(STATUS_QUERY), seconds=seconds)

    def status(self) -> str:
        """'ok' or the Vietnamese description of the fault (never raises for device faults)."""
        with self._lock:
            try:
                self._check(after_print=False)
            except PrinterError as exc:
                return str(exc)
            except DeviceNotFoundError as exc:
                return str(exc)
        return "ok"


class EscposTicketPrinter(_TicketPrinterBase):
    """A ticket printer on a serial port (RS-232 or USB-serial), via ``escpos.printer.Serial``.

    The port is opened lazily and reopened on the next call after any I/O failure,
    so plugging the cable back in is enough to recover.
    """

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        flow: FlowControl = "none",
        encoding_mode: EncodingMode = "cp1258",
        codepage_number: int | None = None,
        width_chars: int = 42,
        unit_name: str = "",
        *,
        upper_codepage_number: int | None = None,
        status_timeout: float = 0.8,
        settle_s: float = 0.5,
    ) -> None:
        if flow not in ("none", "rtscts", "xonxoff"):
            raise ValueError(f"unknown flow control {flow!r}")
        super().__init__(
            encoding_mode=encoding_mode,
            codepage_number=codepage_number,
            upper_codepage_number=upper_codepage_number,
            width_chars=width_chars,
            unit_name=unit_name,
            status_timeout=status_timeout,
            settle_s=settle_s,
        )
        self.port = port
        self.baud = baud
        self.flow = flow
        self._printer: Any = None  # escpos.printer.Serial once open
        self._serial: Any = None  # its pyserial object

    def _open(self) -> Any:
        if self._serial is not None:
            return self._serial
        from escpos.exceptions import DeviceNotFoundError as EscposNotFound
        from escpos.printer import Serial

        # dsrdtr=False: python-escpos defaults to True, which pyserial ignores on POSIX
        # and uses as flow control on Windows; the flow setting below is the one we want.
        printer = Serial(
            devfile=self.port,
            baudrate=self.baud,
            timeout=self.status_timeout,
            xonxoff=self.flow == "xonxoff",
            dsrdtr=False,
        )
        try:
            printer.open()
        except EscposNotFound as exc:
            printer._device = False  # nothing to close; keep escpos' __del__ quiet
            raise DeviceNotFoundError(_msg_not_found(self.port)) from exc
        ser = printer.device
        # From here on we own the pyserial object: escpos' close()/__del__ would flush
        # (tcdrain), which blocks or fails on a printer that went away.
        printer._device = False
        # escpos.printer.Serial has no rtscts/write_timeout parameters: set them on pyserial.
        ser.rtscts = self.flow == "rtscts"
        ser.write_timeout = 2.0
        self._printer, self._serial = printer, ser
        return ser

    def _drop_connection(self) -> None:
        ser = self._serial
        self._serial = self._printer = None
        if ser is None:
            return
        try:
            # Discard unsent bytes so close() does not wait for a printer that is gone
            # (escpos' Serial.close() would flush, i.e. block until drained).
            ser.reset_output_buffer()
            ser.close()
        except Exception:  # noqa: BLE001 - the port is already broken; closing is best effort
            log.debug("closing %s failed", self.port, exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def __enter__(self) -> EscposTicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wire_seconds(self, nbytes: int) -> float:
        return nbytes * 10 / self.baud  # 8N1: start + 8 data + stop bits

    def _io(self, action: Callable[[Any], bytes | None]) -> bytes | None:
        ser = self._open()
        try:
            return action(ser)
        except serial.SerialTimeoutException as exc:
            self._drop_connection()
            raise PrinterOfflineError(MSG_OFFLINE) from exc
        except _IO_ERRORS as exc:
            self._drop_connection()
            raise PrinterOfflineError(MSG_OFFLINE) from exc

    def _write(self, data: bytes, timeout: float) -> None:
        def write(ser: Any) -> None:
            ser.write_timeout = timeout
            ser.write(data)

        self._io(write)

    def _exchange_status(self, timeout: float) -> bytes:
        def exchange(ser: Any) -> bytes:
            ser.reset_input_buffer()  # stale answers would be taken for fresh ones
            ser.write_timeout = 1.0
            ser.write(STATUS_QUERY)
            deadline = time.monotonic() + timeout
            reply = b""
            while len(reply) < 3:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ser.timeout = left
                reply += ser.read(3 - len(reply))
            return reply

        result = self._io(exchange)
        assert result is not None
        if len(result) < 3:
            # Unplugged or powered off: reopen next time in case the adapter re-enumerated.
            self._drop_connection()
        return result


class DummyTicketPrinter(_TicketPrinterBase):
    """In-memory transport (``escpos.printer.Dummy``): records every byte sent.

    ``status_replies`` is consumed one reply per status query (3 bytes each, ``b""`` =
    no answer); when empty, ``default_reply`` is used.
    """

    def __init__(
        self,
        encoding_mode: EncodingMode = "cp1258",
        codepage_number: int | None = None,
        width_chars: int = 42,
        unit_name: str = "",
        *,
        upper_codepage_number: int | None = None,
        status_replies: Iterable[bytes] = (),
        default_reply: bytes = STATUS_OK_REPLY,
    ) -> None:
        super().__init__(
            encoding_mode=encoding_mode,
            codepage_number=codepage_number,
            upper_codepage_number=upper_codepage_number,
            width_chars=width_chars,
            unit_name=unit_name,
            status_timeout=0.0,
            settle_s=0.0,
        )
        self.device = Dummy()
        self.status_replies = list(status_replies)
        self.default_reply = default_reply

    @property
    def output(self) -> bytes:
        """Everything that went on the wire, status queries included."""
        return bytes(self.device.output)

    def clear(self) -> None:
        self.device.clear()

    def _write(self, data: bytes, timeout: float) -> None:  # noqa: ARG002 - never blocks
        self.device._raw(data)

    def _exchange_status(self, timeout: float) -> bytes:  # noqa: ARG002 - answers at once
        self.device._raw(STATUS_QUERY)
        return self.status_replies.pop(0) if self.status_replies else self.default_reply


if TYPE_CHECKING:  # mypy proves both transports fulfil the lead's contract

    def _conforms(a: EscposTicketPrinter, b: DummyTicketPrinter) -> tuple[TicketPrinter, TicketPrinter]:
        return a, b
