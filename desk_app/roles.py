"""Station roles and their devices: the wiring that makes one PC play its parts.

One program, four roles chosen in settings (docs/architecture.md; issue 5):
``counter`` (the officer's window), ``kiosk`` (ticket kiosk with the ESC/POS
printer), ``display`` (TV screen, LED boards, voice) and ``queue-host`` (the LAN
queue API other counters call through). A one-PC commune office runs all four.

``DeviceSettings`` is part of the station's ``Settings`` (``desk_app.settings``,
the one owner of settings). ``build_devices`` turns it into live objects (the
queue client, the ticket printer, the LED board, the LAN host, simulators in demo mode) — the
devices half of the "one wiring place" next to ``desk_app.bootstrap``.

Startup never touches a serial port: drivers open their ports lazily, and a
configured port that does not exist only becomes a Vietnamese status ("Không
tìm thấy máy in trên cổng …"), never an exception. Probing (``Devices.probe``)
does blocking I/O and belongs in a worker thread. No Qt here.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk_app.devices.api import (
    DeviceNotFoundError,
    PrinterOfflineError,
    PrintResult,
    TicketPrinter,
    TicketPrintJob,
)

# Re-exported: the settings of roles and devices now live in ``desk_app.settings``.
from desk_app.settings import (  # noqa: F401
    DEFAULT_HOST_PORT,
    DEFAULT_KIOSK_PIN,
    ROLE_LABELS,
    ROLES,
    DeviceSettings,
    parse_roles,
)

if TYPE_CHECKING:
    from desk_app.bootstrap import App
    from desk_app.devices.led import LedBoardDriver
    from desk_app.devices.ticket_printer import EscposTicketPrinter
    from desk_app.queue.host import QueueHost

log = logging.getLogger(__name__)

#: Used only by ``--demo`` when no secret is configured (demo data never leaves the PC).
DEMO_SECRET = "motcua-demo-secret"

# Status labels for the counter window's status strip.
PRINTER_READY = "Máy in vé: sẵn sàng"
PRINTER_NEAR_END = "Máy in vé: sắp hết giấy"
QUEUE_CONNECTED = "Máy chủ xếp hàng: đã kết nối"
QUEUE_LOST = "Mất kết nối máy chủ xếp hàng"
QUEUE_LOCAL = "Xếp hàng: trên máy này"
BOARD_READY = "Bảng LED: sẵn sàng"
MSG_NO_PRINTER_PORT = "Chưa chọn cổng máy in số thứ tự. Hãy chọn cổng trong phần Cài đặt thiết bị."


def missing_printer_message(port: str) -> str:
    return f"Không tìm thấy máy in trên cổng {port}. Hãy kiểm tra cáp nối và tên cổng trong cài đặt."


def missing_board_message(port: str) -> str:
    return f"Không tìm thấy bảng LED trên cổng {port}. Hãy kiểm tra cáp nối và tên cổng trong cài đặt."


# --------------------------------------------------------------------------- settings
def load_device_settings(app: App) -> DeviceSettings:
    """This station's device settings (``app.settings.load().devices``)."""
    return app.settings.load().devices


def save_device_settings(app: App, settings: DeviceSettings) -> None:
    """Validate and store ``settings`` as the station's devices, keeping the other settings."""
    settings.validate()
    app.settings.save_devices(settings)


def counter_number(settings: DeviceSettings, account: Any = None) -> int:
    """The counter this PC calls for: the station's setting, else the officer's, else 1."""
    return int(settings.counter_no or getattr(account, "counter_no", None) or 1)


def port_present(port: str) -> bool:
    """Cheap check (no open) that a serial port exists; ``True`` when it cannot be told."""
    if not port:
        return False
    if os.name != "nt":
        return os.path.exists(port)
    try:  # COM ports are not files on Windows
        from serial.tools import list_ports

        return any(p.device.upper() == port.upper() for p in list_ports.comports())
    except Exception:  # noqa: BLE001 - a port driver fault: let the driver report it on use
        return True


# --------------------------------------------------------------------------- devices
class StationTicketPrinter:
    """The kiosk's ``TicketPrinter``: the ESC/POS driver, with a missing port as a printer fault.

    The driver raises ``DeviceNotFoundError`` for a port that does not exist, which
    the queue's two-phase issuing treats as a bug; here it becomes a
    ``PrinterOfflineError`` with the Vietnamese message, so the kiosk offers "In lại".
    ``inner`` is ``None`` when no port is configured.
    """

    def __init__(self, inner: EscposTicketPrinter | None) -> None:
        self.inner = inner
        self.port = inner.port if inner is not None else ""

    @property
    def paper_near_end(self) -> bool:
        return bool(self.inner is not None and self.inner.paper_near_end)

    def print_ticket(self, job: TicketPrintJob) -> PrintResult:
        if self.inner is None:
            raise PrinterOfflineError(MSG_NO_PRINTER_PORT)
        try:
            return self.inner.print_ticket(job)
        except DeviceNotFoundError as exc:
            raise PrinterOfflineError(missing_printer_message(self.port)) from exc

    def status(self) -> str:
        """'ok' or a Vietnamese fault. Blocking (up to ~1 s): call it from a worker."""
        if self.inner is None:
            return MSG_NO_PRINTER_PORT
        if not port_present(self.port):
            return missing_printer_message(self.port)
        return self.inner.status()

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


@dataclass(frozen=True)
class DeviceState:
    """One entry of the status strip: ``text`` is Vietnamese, ``ok`` False paints it as a fault."""

    ok: bool
    text: str


@dataclass
class Devices:
    """Everything ``build_devices`` started; ``close()`` stops it all.

    ``queue``: the ``QueueApi`` every window of this station uses.
    ``problems``: start-up faults by key (``printer``, ``board``, ``queue_host``), Vietnamese.
    """

    settings: DeviceSettings
    queue: Any
    printer: StationTicketPrinter | None = None
    board: LedBoardDriver | None = None
    host: QueueHost | None = None
    unit_name: str = ""
    demo: bool = False
    simulators: list[Any] = field(default_factory=list)
    printer_simulator: Any = None  # demo mode: the PrinterSimulator behind ``printer``
    board_simulator: Any = None  # demo mode: the LedBoardSimulator behind ``board``
    problems: dict[str, str] = field(default_factory=dict)
    _probe_client: Any = None
    closed: bool = False

    # ---------------------------------------------------------------- probing (worker thread)
    def printer_state(self) -> DeviceState | None:
        if self.printer is None:
            return None
        status = self.printer.status()
        if status != "ok":
            return DeviceState(False, status)
        return DeviceState(True, PRINTER_NEAR_END if self.printer.paper_near_end else PRINTER_READY)

    def queue_state(self) -> DeviceState:
        from desk_app.queue.client import QueueAuthError
        from desk_app.queue.models import QueueUnavailable

        if self.settings.has("queue-host"):
            if "queue_host" in self.problems:
                return DeviceState(False, self.problems["queue_host"])
            try:
                ok = self._probe_client is None or self._probe_client.health()
            except QueueUnavailable:
                ok = False
            if not ok:
                return DeviceState(
                    False, "Máy chủ xếp hàng trên máy này đã dừng. Hãy khởi động lại chương trình."
                )
            assert self.host is not None
            return DeviceState(True, f"Máy chủ xếp hàng: đang phục vụ cổng {self.host.port}")
        if self.settings.queue_is_local:
            return DeviceState(True, QUEUE_LOCAL)
        try:
            self.queue.config()  # small, and proves the secret too
        except QueueAuthError:
            return DeviceState(False, "Máy chủ xếp hàng từ chối mã bí mật. Hãy kiểm tra cài đặt.")
        except QueueUnavailable:
            return DeviceState(False, QUEUE_LOST)
        return DeviceState(True, QUEUE_CONNECTED)

    def board_state(self) -> DeviceState | None:
        if self.board is None:
            return None
        if not port_present(self.board.port):
            return DeviceState(False, missing_board_message(self.board.port))
        return DeviceState(True, BOARD_READY)

    def probe(self) -> dict[str, DeviceState]:
        """Current state of each device of this station. Blocking I/O: call it from a worker."""
        out: dict[str, DeviceState] = {}
        for key, fn in (
            ("printer", self.printer_state),
            ("queue", self.queue_state),
            ("board", self.board_state),
        ):
            try:
                state = fn()
            except Exception as exc:  # noqa: BLE001 - a probe must never break the status strip
                log.warning("device probe %s failed", key, exc_info=True)
                state = DeviceState(False, f"Không kiểm tra được thiết bị: {exc}")
            if state is not None:
                out[key] = state
        return out

    # ---------------------------------------------------------------- shutdown
    def close(self) -> None:
        """Stop the LAN host, close ports and clients, stop the simulators. Idempotent."""
        if self.closed:
            return
        self.closed = True
        if self.host is not None:
            with _logged("queue host"):
                self.host.stop()
            writer = getattr(self.host.app.state, "writer", None)
            if writer is not None:  # the host's single writer thread outlives uvicorn otherwise
                writer.shutdown(wait=True)
        for obj in (self._probe_client, self.queue if not self.settings.queue_is_local else None):
            if obj is not None and hasattr(obj, "close"):
                with _logged("queue client"):
                    obj.close()
        for obj in (self.printer, self.board):
            if obj is not None:
                with _logged("device"):
                    obj.close()
        for sim in reversed(self.simulators):
            with _logged("simulator"):
                sim.stop()

    def __enter__(self) -> Devices:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _logged(what: str) -> Any:
    try:
        yield
    except Exception:  # noqa: BLE001 - shutting down: log and carry on with the rest
        log.warning("closing %s failed", what, exc_info=True)


def _unit_name(app: App) -> str:
    try:
        return str(app.station.unit.name) if app.station.is_initialised else ""
    except Exception:  # noqa: BLE001 - an unreadable unit must not stop the devices
        return ""


def build_devices(app: App, settings: DeviceSettings | None = None, demo: bool = False) -> Devices:
    """Build this station's devices from its settings (fast: no serial I/O, no waiting on the LAN).

    The ticket printer is built for the ``kiosk`` role, the LED board for ``display``,
    the LAN API for ``queue-host``. ``demo=True`` starts a ``PrinterSimulator`` /
    ``LedBoardSimulator`` on pseudo-terminals for those roles and points the real
    drivers at them (POSIX only).
    """
    settings = settings or load_device_settings(app)
    unit_name = _unit_name(app)
    from desk_app.queue.service import LocalQueueClient, QueueService

    devices = Devices(settings=settings, queue=None, unit_name=unit_name, demo=demo)
    service: QueueService | None = None
    try:
        # A serial device belongs to the role that drives it, so two processes of one
        # PC (e.g. "run-role kiosk" next to the counter window) never share a port.
        printer_port = settings.printer_port if settings.has("kiosk") else ""
        led_port = settings.led_port if settings.has("display") else ""
        if demo and settings.has("kiosk"):
            from desk_app.devices.simulators import PrinterSimulator

            devices.printer_simulator = PrinterSimulator().start()
            devices.simulators.append(devices.printer_simulator)
            printer_port = devices.printer_simulator.port
        if demo and settings.has("display"):
            from desk_app.devices.simulators import LedBoardSimulator

            devices.board_simulator = LedBoardSimulator().start()
            devices.simulators.append(devices.board_simulator)
            led_port = devices.board_simulator.port

        # The queue: local on the host and in a one-PC office, else the LAN host.
        if settings.queue_is_local:
            service = QueueService(app.db, app.station.clock, app.station.device_id)
            devices.queue = LocalQueueClient(service)
        else:
            from desk_app.queue.client import QueueClient

            devices.queue = QueueClient(settings.queue_url, settings.queue_secret)

        # Ticket printer: the kiosk's (without a port it reports "no port" on every ticket).
        if settings.has("kiosk"):
            inner = None
            if printer_port:
                from desk_app.devices.ticket_printer import EscposTicketPrinter

                inner = EscposTicketPrinter(
                    printer_port,
                    settings.printer_baud,
                    flow=settings.printer_flow,
                    encoding_mode=settings.printer_mode,
                    unit_name=unit_name,
                )
            devices.printer = StationTicketPrinter(inner)
            if not printer_port:
                devices.problems["printer"] = MSG_NO_PRINTER_PORT
            elif not port_present(printer_port):
                devices.problems["printer"] = missing_printer_message(printer_port)

        if led_port:
            from desk_app.devices.led import LedBoardDriver

            devices.board = LedBoardDriver(led_port, settings.led_baud)
            if not port_present(led_port):
                devices.problems["board"] = missing_board_message(led_port)

        if settings.has("queue-host"):
            _start_host(devices, service, settings, demo)
    except BaseException:
        devices.close()
        raise
    for key, text in devices.problems.items():
        log.info("device %s: %s", key, text)
    return devices


def _can_listen(host: str, port: int) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind((host, port))
    except OSError:
        return False
    return True


def _start_host(devices: Devices, service: Any, settings: DeviceSettings, demo: bool) -> None:
    """Start the LAN queue API in a background thread; a failure becomes ``problems['queue_host']``."""
    secret = settings.queue_secret or (DEMO_SECRET if demo else "")
    if not secret:
        devices.problems["queue_host"] = (
            "Máy chủ xếp hàng chưa chạy: chưa đặt mã bí mật (motcua station set --queue-secret …)."
        )
        return
    from desk_app.queue.client import QueueClient
    from desk_app.queue.host import QueueHost

    try:
        host = QueueHost(service, secret, settings.host_listen, settings.host_port)
    except ValueError as exc:  # the secret breaks the rule
        devices.problems["queue_host"] = f"Máy chủ xếp hàng chưa chạy: {exc}"
        return
    try:
        if not _can_listen(settings.host_listen, settings.host_port):
            raise RuntimeError("port in use")  # checked first: uvicorn would sys.exit() in its thread
        host.start(timeout=5.0)  # binding a socket: milliseconds, or an immediate failure
    except RuntimeError:
        host.stop()
        writer = getattr(host.app.state, "writer", None)
        if writer is not None:
            writer.shutdown(wait=False)
        devices.problems["queue_host"] = (
            f"Không khởi động được máy chủ xếp hàng trên cổng {settings.host_port} "
            "(cổng đang được chương trình khác dùng?). Hãy đổi cổng trong cài đặt."
        )
        return
    devices.host = host
    devices._probe_client = QueueClient(host.base_url, secret, timeout=1.0)


if TYPE_CHECKING:  # mypy proves the wrapper fulfils the kiosk's contract

    def _conforms(p: StationTicketPrinter) -> TicketPrinter:
        return p
