"""Station roles and their devices: the wiring that makes one PC play its parts.

One program, four roles chosen in settings (docs/architecture.md): ``counter``
(the officer's window), ``kiosk`` (ticket kiosk with the ESC/POS printer),
``display`` (TV screen, LED boards, voice) and ``queue-host`` (the LAN queue API
other counters call through). A one-PC commune office runs all four.

``build_devices`` turns the station's ``DeviceSettings`` into live objects (the
queue client, the ticket printer, the LED board, the LAN host, simulators in demo
mode) — the devices half of the "one wiring place" next to ``desk_app.bootstrap``.
The other jobs live elsewhere: the settings in ``desk_app.settings``, the status
texts and probes in ``desk_app.device_status``, the LAN host's start and stop in
``desk_app.queue.lan_host`` (re-exported here for old callers).

Startup never touches a serial port: drivers open their ports lazily, and a
configured port that does not exist only becomes a Vietnamese status ("Không
tìm thấy máy in trên cổng …"), never an exception. No Qt here.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk_app import device_status
from desk_app.device_status import (  # noqa: F401 - re-exported: the status texts moved
    BOARD_READY,
    MSG_NO_PRINTER_PORT,
    PRINTER_NEAR_END,
    PRINTER_READY,
    QUEUE_CONNECTED,
    QUEUE_LOCAL,
    QUEUE_LOST,
    DeviceState,
    missing_board_message,
    missing_printer_message,
    port_present,
)
from desk_app.devices.api import (
    DeviceNotFoundError,
    PrinterOfflineError,
    PrintResult,
    TicketPrinter,
    TicketPrintJob,
)
from desk_app.queue.lan_host import start_host, stop_host

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
        return device_status.printer_state(self)

    def queue_state(self) -> DeviceState:
        return device_status.queue_state(self)

    def board_state(self) -> DeviceState | None:
        return device_status.board_state(self)

    def probe(self) -> dict[str, DeviceState]:
        """Current state of each device of this station. Blocking I/O: call it from a worker."""
        return device_status.probe(self)

    # ---------------------------------------------------------------- shutdown
    def close(self) -> None:
        """Stop the LAN host, close ports and clients, stop the simulators. Idempotent."""
        if self.closed:
            return
        self.closed = True
        if self.host is not None:
            with _logged("queue host"):
                stop_host(self.host, wait=True)
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
            if demo and settings.has("counter") and settings.has("kiosk"):
                from desk_app.services.demo import one_pc_office_queues

                one_pc_office_queues(service)  # the one PC's counter calls every kiosk queue
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
            secret = settings.queue_secret or (DEMO_SECRET if demo else "")
            devices.host, devices._probe_client, problem = start_host(service, settings, secret)
            if problem:
                devices.problems["queue_host"] = problem
    except BaseException:
        devices.close()
        raise
    for key, text in devices.problems.items():
        log.info("device %s: %s", key, text)
    return devices


if TYPE_CHECKING:  # mypy proves the wrapper fulfils the kiosk's contract

    def _conforms(p: StationTicketPrinter) -> TicketPrinter:
        return p


__all__ = [
    "BOARD_READY",
    "DEFAULT_HOST_PORT",
    "DEFAULT_KIOSK_PIN",
    "DEMO_SECRET",
    "DeviceSettings",
    "DeviceState",
    "Devices",
    "MSG_NO_PRINTER_PORT",
    "PRINTER_NEAR_END",
    "PRINTER_READY",
    "QUEUE_CONNECTED",
    "QUEUE_LOCAL",
    "QUEUE_LOST",
    "ROLES",
    "ROLE_LABELS",
    "StationTicketPrinter",
    "build_devices",
    "counter_number",
    "load_device_settings",
    "missing_board_message",
    "missing_printer_message",
    "parse_roles",
    "port_present",
    "save_device_settings",
]
