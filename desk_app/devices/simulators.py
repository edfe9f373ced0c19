"""Device simulators on pseudo-terminals, for tests, demos and the field CLI.

Each simulator owns a pty pair: the real driver opens ``sim.port`` (the slave,
e.g. ``/dev/pts/5``) with pyserial exactly like a serial port, and a background
thread reads the master side. POSIX only (``os.openpty``).
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
import tty
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from desk_app.devices.codepages import TCVN3_LOWER_DECODE, TCVN3_UPPER_DECODE
from desk_app.devices.led import LedFrame, LedProtocol, MotCuaLedProtocol

log = logging.getLogger(__name__)

PrinterState = Literal["ok", "paper_out", "cover_open", "offline"]

#: ESC t page numbers → how the simulator decodes them (Epson numbering plus common clones).
DEFAULT_SIM_CODEPAGES: dict[int, str] = {
    0: "cp437",
    16: "cp1252",
    27: "cp1258",
    30: "tcvn3",
    31: "tcvn3-upper",
    52: "cp1258",
    94: "cp1258",
}


class _PtyDevice:
    """A pty pair plus a reader thread; subclasses implement ``_on_bytes``."""

    def __init__(self) -> None:
        self.port = ""
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        #: called with (data, time.monotonic()) for every chunk read (bench, logging)
        self.on_rx: Callable[[bytes, float], None] | None = None

    def start(self) -> Self:
        if self._thread is not None:
            return self
        self._master, self._slave = os.openpty()
        # Raw mode: no echo, no CR/LF translation, 0x03 is not ^C. Set on the slave,
        # which owns the pair's line discipline; we keep it open so the master never
        # sees EIO between two opens by the driver.
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"{type(self).__name__}:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = -1

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except OSError:
                time.sleep(0.01)  # EIO while no one holds the slave: just wait
                continue
            if not data:
                continue
            if self.on_rx is not None:
                self.on_rx(data, time.monotonic())
            with self._lock:
                try:
                    self._on_bytes(data)
                except Exception:  # noqa: BLE001 - a simulator bug must not kill the thread
                    log.exception("simulator failed on %r", data[:32])

    def _send(self, data: bytes) -> None:
        if self._master >= 0:
            os.write(self._master, data)

    def _on_bytes(self, data: bytes) -> None:
        raise NotImplementedError


# --- printer -------------------------------------------------------------------------------
@dataclass
class PrintedTicket:
    """What came out of the simulated printer between two cuts."""

    lines: list[str] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)  # PIL images of GS v 0 rasters
    qr: list[str] = field(default_factory=list)
    complete: bool = True  # False: paper ran out or the cover opened mid-ticket

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Incomplete(Exception):
    pass


class PrinterSimulator(_PtyDevice):
    """An ESC/POS ticket printer: decodes what it receives and answers DLE EOT.

    ``state`` may be changed at any time: ``"ok"``, ``"paper_out"``, ``"cover_open"``,
    ``"offline"`` (receives nothing, answers nothing: an unplugged cable).
    ``paper_lines_left``: when set, the roll runs out after that many printed lines.
    """

    def __init__(
        self,
        codepages: dict[int, str] | None = None,
        on_ticket: Callable[[PrintedTicket], None] | None = None,
    ) -> None:
        super().__init__()
        self.codepages = dict(DEFAULT_SIM_CODEPAGES if codepages is None else codepages)
        self.on_ticket = on_ticket
        self.state: PrinterState = "ok"
        self.paper_near_end = False
        self.paper_lines_left: int | None = None
        self.tickets: list[PrintedTicket] = []
        self.spoiled: list[PrintedTicket] = []
        self.status_requests = 0
        self.bytes_received = 0
        self._buf = b""
        self._qr_data = ""
        self._reset()
        self._current = PrintedTicket()

    # state --------------------------------------------------------------------------------
    def set_state(self, state: PrinterState) -> None:
        with self._lock:
            self.state = state

    def _reset(self) -> None:
        self._page = 0
        self._line: list[str] = []

    def _unplugged(self) -> bool:
        return self.state == "offline"

    def _can_print(self) -> bool:
        return self.state == "ok"

    def status_bytes(self, n: int) -> bytes:
        printer, cause, error, paper = 0x12, 0x12, 0x12, 0x12
        if self.state == "paper_out":
            printer |= 0x08
            cause |= 0x20
            paper |= 0x6C
        elif self.state == "cover_open":
            printer |= 0x08
            cause |= 0x04
        if self.paper_near_end:
            paper |= 0x0C
        return bytes([{1: printer, 2: cause, 3: error, 4: paper}.get(n, 0x12)])

    # decoding -------------------------------------------------------------------------------
    def _decode_byte(self, b: int) -> str:
        kind = self.codepages.get(self._page, "cp437")
        if kind == "tcvn3":
            return chr(b) if b < 0x80 else TCVN3_LOWER_DECODE.get(b, "?")
        if kind == "tcvn3-upper":
            return chr(b) if b < 0x80 else TCVN3_UPPER_DECODE.get(b, "?")
        return bytes([b]).decode(kind, errors="replace")

    def _emit_line(self, text: str | None = None) -> None:
        line = unicodedata.normalize("NFC", "".join(self._line)) if text is None else text
        self._line = []
        if not self._can_print():
            self._current.complete = False
            return
        self._current.lines.append(line)
        if self.paper_lines_left is not None:
            self.paper_lines_left -= 1
            if self.paper_lines_left <= 0:
                self.state = "paper_out"

    def _feed(self, n: int) -> None:
        if self._line:
            self._emit_line()
        for _ in range(max(0, n - 1)):
            if self.paper_lines_left is not None and self._can_print():
                self.paper_lines_left -= 1
                if self.paper_lines_left <= 0:
                    self.state = "paper_out"

    def _cut(self) -> None:
        if self._line:
            self._emit_line()
        ticket, self._current = self._current, PrintedTicket()
        if not self._can_print():
            ticket.complete = False
        # Strip the blank feed lines before the cut, they carry nothing.
        while ticket.lines and not ticket.lines[-1]:
            ticket.lines.pop()
        if ticket.complete:
            self.tickets.append(ticket)
            if self.on_ticket is not None:
                try:
                    self.on_ticket(ticket)
                except Exception:  # noqa: BLE001
                    log.exception("on_ticket callback failed")
        else:
            self.spoiled.append(ticket)

    def _raster(self, width_bytes: int, height: int, data: bytes) -> None:
        from PIL import Image

        if self._line:
            self._emit_line()
        inverted = bytes(b ^ 0xFF for b in data)
        img = Image.frombytes("1", (width_bytes * 8, height), inverted)
        if self._can_print():
            self._current.images.append(img)
        self._emit_line(f"[ảnh {width_bytes * 8}x{height}]")

    def _on_bytes(self, data: bytes) -> None:
        if self.state == "offline":
            self._buf = b""
            return  # unplugged: the bytes go nowhere
        self.bytes_received += len(data)
        self._buf += data
        pos = 0
        try:
            while pos < len(self._buf):
                pos = self._step(self._buf, pos)
                if self._unplugged():  # unplugged half-way through this chunk
                    pos = len(self._buf)
        except _Incomplete:
            pass
        self._buf = self._buf[pos:]

    def _need(self, buf: bytes, end: int) -> None:
        if len(buf) < end:
            raise _Incomplete

    def _step(self, buf: bytes, pos: int) -> int:  # noqa: C901 - a command table reads best flat
        b = buf[pos]
        if b == 0x0A:
            self._emit_line()
            return pos + 1
        if b == 0x0D:
            return pos + 1
        if b == 0x09:
            self._line.append("    ")
            return pos + 1
        if b == 0x10:  # DLE
            self._need(buf, pos + 3)
            if buf[pos + 1] == 0x04:
                self.status_requests += 1
                self._send(self.status_bytes(buf[pos + 2]))
                return pos + 3
            if buf[pos + 1] == 0x14:  # DLE DC4 fn m t
                self._need(buf, pos + 5)
                return pos + 5
            return pos + 2
        if b == 0x1B:  # ESC
            self._need(buf, pos + 2)
            c = buf[pos + 1]
            if c == ord("@"):
                self._reset()
                return pos + 2
            if c in (ord("2"), ord("<")):
                return pos + 2
            if c == ord("t"):
                self._need(buf, pos + 3)
                self._page = buf[pos + 2]
                return pos + 3
            if c == ord("d"):
                self._need(buf, pos + 3)
                self._feed(buf[pos + 2])
                return pos + 3
            if c == ord("p"):
                self._need(buf, pos + 5)
                return pos + 5
            if c == ord("*"):
                self._need(buf, pos + 5)
                n = buf[pos + 3] + 256 * buf[pos + 4]
                size = n * (3 if buf[pos + 2] >= 32 else 1)
                self._need(buf, pos + 5 + size)
                return pos + 5 + size
            if c == ord("c"):
                self._need(buf, pos + 4)
                return pos + 4
            # ESC ! E - a M G V { R 3 J SP …: one parameter byte
            self._need(buf, pos + 3)
            return pos + 3
        if b == 0x1D:  # GS
            self._need(buf, pos + 2)
            c = buf[pos + 1]
            if c == ord("V"):
                self._need(buf, pos + 3)
                m = buf[pos + 2]
                length = 3 if m in (0, 1, 48, 49) else 4
                self._need(buf, pos + length)
                self._cut()
                return pos + length
            if c == ord("("):
                self._need(buf, pos + 5)
                n = buf[pos + 3] + 256 * buf[pos + 4]
                self._need(buf, pos + 5 + n)
                body = buf[pos + 5 : pos + 5 + n]
                if buf[pos + 2] == ord("k") and len(body) >= 3 and body[0] == 0x31:
                    if body[1] == 0x50:  # store QR data
                        self._qr_data = body[3:].decode("utf-8", errors="replace")
                    elif body[1] == 0x51:  # print the stored symbol
                        qr = self._qr_data
                        if self._can_print():
                            self._current.qr.append(qr)
                        self._emit_line(f"[QR: {qr}]")
                return pos + 5 + n
            if c == ord("v"):
                self._need(buf, pos + 8)
                xb = buf[pos + 4] + 256 * buf[pos + 5]
                h = buf[pos + 6] + 256 * buf[pos + 7]
                self._need(buf, pos + 8 + xb * h)
                self._raster(xb, h, buf[pos + 8 : pos + 8 + xb * h])
                return pos + 8 + xb * h
            if c == ord("8"):  # GS 8 L p1 p2 p3 p4
                self._need(buf, pos + 7)
                n = int.from_bytes(buf[pos + 3 : pos + 7], "little")
                self._need(buf, pos + 7 + n)
                return pos + 7 + n
            if c == ord("k"):
                self._need(buf, pos + 3)
                m = buf[pos + 2]
                if m <= 6:
                    end = buf.find(b"\x00", pos + 3)
                    if end < 0:
                        raise _Incomplete
                    return end + 1
                self._need(buf, pos + 4)
                return pos + 4 + buf[pos + 3]
            if c in (ord("L"), ord("W"), ord("P")):
                self._need(buf, pos + 4)
                return pos + 4
            self._need(buf, pos + 3)  # GS ! B h w H f a r …
            return pos + 3
        if b == 0x1C:  # FS: Kanji on/off (FS & / FS .) on Chinese clones
            self._need(buf, pos + 2)
            return pos + 2
        if b < 0x20:
            return pos + 1
        self._line.append(self._decode_byte(b))
        return pos + 1


# --- LED boards --------------------------------------------------------------------------
@dataclass
class BoardDisplay:
    text: str
    blink: bool


class LedBoardSimulator(_PtyDevice):
    """A bus of LED boards: keeps what each address shows and answers ACK/NAK.

    ``addresses``: the boards present (``None`` = every address answers).
    ``unplugged = True`` makes the whole bus silent (cable pulled).
    """

    def __init__(
        self,
        protocol: LedProtocol | None = None,
        addresses: set[int] | None = None,
        on_frame: Callable[[LedFrame], None] | None = None,
    ) -> None:
        super().__init__()
        self.protocol = protocol or MotCuaLedProtocol()
        self.addresses = addresses
        self.on_frame = on_frame
        self.unplugged = False
        self.boards: dict[int, BoardDisplay] = {}
        self.frames: list[LedFrame] = []
        self._buf = b""

    def text(self, address: int) -> str | None:
        with self._lock:
            shown = self.boards.get(address)
            return shown.text if shown else None

    def _on_bytes(self, data: bytes) -> None:
        if self.unplugged:
            self._buf = b""
            return
        frames, self._buf = self.protocol.decode_frames(self._buf + data)
        for frame in frames:
            self._handle(frame)

    def _handle(self, frame: LedFrame) -> None:
        from desk_app.devices.led import BROADCAST_ADDRESS

        broadcast = frame.address == BROADCAST_ADDRESS
        if self.addresses is not None and not broadcast and frame.address not in self.addresses:
            return  # no board with that address on the bus
        self.frames.append(frame)
        proto = self.protocol
        code = 0
        if not frame.checksum_ok:
            code = MotCuaLedProtocol.NAK_CHECKSUM
        elif frame.command == MotCuaLedProtocol.CMD_SHOW:
            targets = list(self.boards) if broadcast else [frame.address]
            for addr in targets or [frame.address]:
                self.boards[addr] = BoardDisplay(frame.text, frame.blink)
        elif frame.command == MotCuaLedProtocol.CMD_CLEAR:
            self.boards[frame.address] = BoardDisplay("", False)
        else:
            code = MotCuaLedProtocol.NAK_COMMAND
        if self.on_frame is not None:
            try:
                self.on_frame(frame)
            except Exception:  # noqa: BLE001
                log.exception("on_frame callback failed")
        if not broadcast:
            self._send(proto.encode_reply(frame.address, code == 0, code))


# --- barcode scanner -----------------------------------------------------------------------
class BarcodeScannerSimulator(_PtyDevice):
    """A scanner in serial (USB-COM) mode: ``scan(text)`` sends the UTF-8 bytes and CR LF.

    ``chunk`` > 0 splits the bytes into writes of that size, as a slow USB bridge
    does, so a Vietnamese letter may be cut between two reads.
    """

    def __init__(self, *, suffix: bytes = b"\r\n", chunk: int = 0) -> None:
        super().__init__()
        self.suffix = suffix
        self.chunk = chunk

    def scan(self, text: str) -> None:
        data = text.encode("utf-8") + self.suffix
        step = self.chunk or len(data)
        for i in range(0, len(data), step):
            self._send(data[i : i + step])
            if self.chunk:
                time.sleep(0.002)

    def _on_bytes(self, data: bytes) -> None:
        pass  # a scanner ignores what the host sends
