"""LED counter boards and the main board on a serial line (RS-232 or RS-485 bus).

Vendors each have their own framing, so the framing is a pluggable
:class:`LedProtocol`; :class:`LedBoardDriver` does the I/O, timeouts and
reconnection once. The shipped protocol, :class:`MotCuaLedProtocol` ("MCL1"), is
specified in ``docs/led-protocol.md``.

Robustness: a pulled cable must never freeze the counter. Every write has a write
timeout, every ACK wait a deadline, and one ``show_call`` spends at most
``budget_s`` (default 1 s) on the line; a failure raises :class:`DisplayBoardError`
(Vietnamese message) and the port is reopened on the next call.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import serial

from desk_app.devices.api import CallAnnouncement, DeviceError, DeviceNotFoundError, DisplayBoard
from desk_app.devices.codepages import fold_ascii

log = logging.getLogger(__name__)

try:  # pyserial lets termios.error (not an OSError) escape when a pty/USB port vanishes
    import termios

    _OS_ERRORS: tuple[type[BaseException], ...] = (OSError, termios.error)
except ImportError:  # Windows
    _OS_ERRORS = (OSError,)
_IO_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, *_OS_ERRORS)

MAIN_BOARD_ADDRESS = 0
BROADCAST_ADDRESS = 0xFF


class DisplayBoardError(DeviceError):
    """An LED board did not acknowledge (cable, power, address) or the port failed."""


@dataclass(frozen=True)
class LedFrame:
    """A decoded request frame (used by simulators and tests)."""

    address: int
    command: int
    flags: int
    payload: bytes
    checksum_ok: bool = True

    @property
    def text(self) -> str:
        return self.payload.decode("ascii", errors="replace")

    @property
    def blink(self) -> bool:
        return bool(self.flags & 0x01)


@dataclass(frozen=True)
class LedReply:
    address: int
    ok: bool
    code: int = 0  # NAK reason, see docs/led-protocol.md


class LedProtocol(ABC):
    """One vendor's framing. Drivers call ``encode_show`` and ``parse_reply`` only."""

    name = "abstract"
    #: longest text a board accepts (characters after folding)
    max_text = 32

    @abstractmethod
    def encode_show(self, address: int, text: str, blink: bool) -> bytes:
        """The frame that makes board ``address`` show ``text``."""

    @abstractmethod
    def parse_reply(self, data: bytes) -> LedReply | None:
        """The first complete reply in ``data``; ``None`` if more bytes are needed."""

    def expects_reply(self, address: int) -> bool:
        return address != BROADCAST_ADDRESS

    def encode_clear(self, address: int) -> bytes:
        return self.encode_show(address, "", False)

    # Board side (simulators, bench tests). Optional for vendor protocols.
    def decode_frames(self, data: bytes) -> tuple[list[LedFrame], bytes]:
        raise NotImplementedError

    def encode_reply(self, address: int, ok: bool, code: int = 0) -> bytes:
        raise NotImplementedError


class MotCuaLedProtocol(LedProtocol):
    """MCL1: ``STX | esc(ADDR CMD FLAGS LEN PAYLOAD CHK) | ETX``, XOR checksum, DLE escaping."""

    name = "mcl1"
    STX, ETX, DLE = 0x02, 0x03, 0x10
    CMD_SHOW, CMD_CLEAR, ACK, NAK = 0x53, 0x43, 0x06, 0x15
    NAK_CHECKSUM, NAK_COMMAND, NAK_LENGTH = 1, 2, 3
    FLAG_BLINK = 0x01

    @classmethod
    def _escape(cls, body: bytes) -> bytes:
        out = bytearray()
        for b in body:
            if b in (cls.STX, cls.ETX, cls.DLE):
                out += bytes([cls.DLE, b ^ 0x20])
            else:
                out.append(b)
        return bytes(out)

    @classmethod
    def _unescape(cls, data: bytes) -> bytes:
        out = bytearray()
        it = iter(data)
        for b in it:
            if b == cls.DLE:
                nxt = next(it, None)
                if nxt is None:
                    break
                out.append(nxt ^ 0x20)
            else:
                out.append(b)
        return bytes(out)

    @staticmethod
    def checksum(body: bytes) -> int:
        c = 0
        for b in body:
            c ^= b
        return c

    def _frame(self, address: int, command: int, flags: int, payload: bytes) -> bytes:
        if not 0 <= address <= 0xFF:
            raise ValueError(f"LED address out of range: {address}")
        body = bytes([address, command, flags, len(payload)]) + payload
        return bytes([self.STX]) + self._escape(body + bytes([self.checksum(body)])) + bytes([self.ETX])

    def encode_show(self, address: int, text: str, blink: bool) -> bytes:
        payload = fold_ascii(text)[: self.max_text].encode("ascii")
        return self._frame(address, self.CMD_SHOW, self.FLAG_BLINK if blink else 0, payload)

    def encode_clear(self, address: int) -> bytes:
        return self._frame(address, self.CMD_CLEAR, 0, b"")

    def encode_reply(self, address: int, ok: bool, code: int = 0) -> bytes:
        payload = b"" if ok else bytes([code])
        return self._frame(address, self.ACK if ok else self.NAK, 0, payload)

    def _frames(self, data: bytes) -> tuple[list[LedFrame], bytes]:
        frames: list[LedFrame] = []
        while True:
            start = data.find(bytes([self.STX]))
            if start < 0:
                return frames, b""  # noise between frames is dropped
            end = data.find(bytes([self.ETX]), start + 1)
            if end < 0:
                return frames, data[start:]
            # A second STX before the ETX means a truncated frame: resync on it.
            restart = data.rfind(bytes([self.STX]), start + 1, end)
            if restart >= 0:
                data = data[restart:]
                continue
            body = self._unescape(data[start + 1 : end])
            data = data[end + 1 :]
            if len(body) < 5:
                frames.append(LedFrame(body[0] if body else 0, 0, 0, b"", checksum_ok=False))
                continue
            addr, cmd, flags, length = body[0], body[1], body[2], body[3]
            payload, chk = body[4:-1], body[-1]
            ok = len(payload) == length and self.checksum(body[:-1]) == chk
            frames.append(LedFrame(addr, cmd, flags, payload, checksum_ok=ok))

    def decode_frames(self, data: bytes) -> tuple[list[LedFrame], bytes]:
        return self._frames(data)

    def parse_reply(self, data: bytes) -> LedReply | None:
        frames, _rest = self._frames(data)
        for f in frames:
            if f.checksum_ok and f.command in (self.ACK, self.NAK):
                return LedReply(f.address, f.command == self.ACK, f.payload[0] if f.payload else 0)
        return None


PROTOCOLS: dict[str, type[LedProtocol]] = {MotCuaLedProtocol.name: MotCuaLedProtocol}


def _board_name(address: int) -> str:
    return "Bảng LED chính" if address == MAIN_BOARD_ADDRESS else f"Bảng LED quầy số {address}"


def main_board_text(call: CallAnnouncement) -> str:
    return f"{call.ticket_number} -> {call.counter_no}"


class LedBoardDriver:
    """Implements ``DisplayBoard`` for counter boards (address = counter number) and a main board.

    ``show_call`` updates the counter's own board and the main board (``"1023 -> 3"``);
    either can be switched off (``counter_boards`` / ``main_address=None``).
    """

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        protocol: LedProtocol | None = None,
        *,
        main_address: int | None = MAIN_BOARD_ADDRESS,
        counter_boards: bool = True,
        ack_timeout: float = 0.4,
        budget_s: float = 1.0,
        blink: bool = True,
    ) -> None:
        self.port = port
        self.baud = baud
        self.protocol = protocol or MotCuaLedProtocol()
        self.main_address = main_address
        self.counter_boards = counter_boards
        self.ack_timeout = ack_timeout
        self.budget_s = budget_s
        self.blink = blink
        self._serial: Any = None
        self._lock = threading.Lock()

    # connection ---------------------------------------------------------------------
    def _open(self) -> Any:
        if self._serial is not None:
            return self._serial
        try:
            self._serial = serial.Serial(self.port, self.baud, timeout=self.ack_timeout, write_timeout=0.3)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise DeviceNotFoundError(
                f"Không mở được cổng {self.port} của bảng LED. "
                "Hãy kiểm tra cáp nối và tên cổng trong cài đặt."
            ) from exc
        return self._serial

    def _drop(self) -> None:
        ser, self._serial = self._serial, None
        if ser is None:
            return
        try:
            ser.reset_output_buffer()  # do not let close() wait for a board that is gone
            ser.close()
        except Exception:  # noqa: BLE001 - best effort on a broken port
            log.debug("closing %s failed", self.port, exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> LedBoardDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # I/O ----------------------------------------------------------------------------
    def _send(self, address: int, frame: bytes, deadline: float) -> None:
        ser = self._open()
        try:
            ser.reset_input_buffer()
            ser.write_timeout = max(0.05, min(0.3, deadline - time.monotonic()))
            ser.write(frame)
            if not self.protocol.expects_reply(address):
                return
            buf = b""
            ack_deadline = min(deadline, time.monotonic() + self.ack_timeout)
            while True:
                left = ack_deadline - time.monotonic()
                if left <= 0:
                    break
                ser.timeout = left
                chunk = ser.read(max(1, ser.in_waiting))
                if not chunk:
                    continue
                buf += chunk
                reply = self.protocol.parse_reply(buf)
                if reply is not None:
                    if reply.ok:
                        return
                    raise DisplayBoardError(
                        f"{_board_name(address)} từ chối lệnh hiển thị (mã lỗi {reply.code}). "
                        "Hãy kiểm tra cấu hình giao thức của bảng."
                    )
        except _IO_ERRORS as exc:  # includes SerialTimeoutException
            self._drop()
            raise DisplayBoardError(
                f"{_board_name(address)} không nhận được dữ liệu (tuột cáp hoặc mất nguồn). "
                "Hãy kiểm tra cáp nối và nguồn điện của bảng."
            ) from exc
        raise DisplayBoardError(
            f"{_board_name(address)} không phản hồi (tuột cáp, mất nguồn hoặc sai địa chỉ). "
            "Hãy kiểm tra cáp nối và nguồn điện của bảng."
        )

    def _send_all(self, items: list[tuple[int, bytes]]) -> None:
        deadline = time.monotonic() + self.budget_s
        errors: list[DisplayBoardError] = []
        with self._lock:
            for address, frame in items:
                if time.monotonic() >= deadline:
                    errors.append(
                        DisplayBoardError(f"{_board_name(address)} chưa được cập nhật (hết thời gian chờ).")
                    )
                    continue
                try:
                    self._send(address, frame, deadline)
                except DisplayBoardError as exc:
                    errors.append(exc)
                    if self._serial is None:  # the port itself failed: the others would too
                        break
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise DisplayBoardError(" ".join(str(e) for e in errors))

    # public ------------------------------------------------------------------------------
    def show(self, address: int, text: str, blink: bool = False) -> None:
        """Show ``text`` (folded to ASCII capitals) on board ``address``."""
        self._send_all([(address, self.protocol.encode_show(address, text, blink))])

    def clear(self, address: int) -> None:
        self._send_all([(address, self.protocol.encode_clear(address))])

    def show_call(self, call: CallAnnouncement) -> None:
        items: list[tuple[int, bytes]] = []
        # The main board first: it is the one the waiting room watches.
        if self.main_address is not None:
            items.append(
                (
                    self.main_address,
                    self.protocol.encode_show(self.main_address, main_board_text(call), self.blink),
                )
            )
        if self.counter_boards:
            items.append(
                (call.counter_no, self.protocol.encode_show(call.counter_no, call.ticket_number, self.blink))
            )
        self._send_all(items)


if TYPE_CHECKING:  # mypy proves the driver fulfils the lead's contract

    def _conforms(driver: LedBoardDriver) -> DisplayBoard:
        return driver
