"""Station roles and their devices: the wiring that makes one PC play its parts.

One program, four roles chosen in settings (ARCHITECTURE "Stations and roles"):
``counter`` (the officer's window), ``kiosk`` (ticket kiosk with the ESC/POS
printer), ``display`` (TV screen, LED boards, voice) and ``queue-host`` (the LAN
queue API other counters call through). A one-PC commune office runs all four.

``DeviceSettings`` is stored as JSON under ``settings.devices`` in the station's
meta table. ``build_devices`` turns it into live objects (the queue client, the
ticket printer, the LED board, the LAN host, simulators in demo mode) — the
devices half of the "one wiring place" next to ``desk_app.bootstrap``.

Startup never touches a serial port: drivers open their ports lazily, and a
configured port that does not exist only becomes a Vietnamese status ("Không
tìm thấy máy in trên cổng …"), never an exception. Probing (``Devices.probe``)
does blocking I/O and belongs in a worker thread. No Qt here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from desk_app.devices.api import (
    DeviceNotFoundError,
    PrinterOfflineError,
    PrintResult,
    TicketPrinter,
    TicketPrintJob,
)
from desk_app.domain.errors import ValidationError

if TYPE_CHECKING:
    from desk_app.bootstrap import App
    from desk_app.devices.led import LedBoardDriver
    from desk_app.devices.ticket_printer import EscposTicketPrinter
    from desk_app.queue.host import QueueHost

log = logging.getLogger(__name__)

META_DEVICES = "settings.devices"
#: Keys the settings dialog already writes; read as a fallback until ``settings.devices`` exists.
META_LEGACY_SERIAL = "settings.serial"
META_LEGACY_COUNTER = "settings.counter_no"

# "rating": a screen facing the citizen at the counter (ui/rating.py), in the counter's process.
ROLES: tuple[str, ...] = ("counter", "kiosk", "display", "queue-host", "rating")
ROLE_LABELS = {
    "counter": "quầy tiếp nhận",
    "kiosk": "máy lấy số",
    "display": "màn hình gọi số",
    "queue-host": "máy chủ xếp hàng",
    "rating": "màn hình đánh giá",
}
PRINTER_MODES: tuple[str, ...] = ("cp1258", "tcvn3", "raster")
FLOW_CONTROLS: tuple[str, ...] = ("none", "rtscts", "xonxoff")
DEFAULT_HOST_PORT = 8765  # == desk_app.queue.host.DEFAULT_PORT (not imported: it pulls in FastAPI)
DEFAULT_KIOSK_PIN = "1234"
#: Used only by ``--demo`` when no secret is configured (demo data never leaves the PC).
DEMO_SECRET = "motcua-demo-secret"

PrinterMode = Literal["cp1258", "tcvn3", "raster"]
FlowControl = Literal["none", "rtscts", "xonxoff"]

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
@dataclass(frozen=True)
class DeviceSettings:
    """What this station does and where its devices are (``settings.devices``).

    ``queue_url`` / ``queue_secret``: the LAN queue host a counter, kiosk or TV on
    another PC calls through; empty URL = the queue lives in this station's own
    database (a one-PC office). With the ``queue-host`` role the queue is always
    local and ``queue_secret`` is the secret the other PCs must send.
    """

    roles: tuple[str, ...] = ("counter",)
    printer_port: str = ""
    printer_baud: int = 9600
    printer_flow: FlowControl = "none"
    printer_mode: PrinterMode = "cp1258"
    led_port: str = ""
    led_baud: int = 9600
    queue_url: str = ""
    queue_secret: str = ""
    host_listen: str = "0.0.0.0"
    host_port: int = DEFAULT_HOST_PORT
    kiosk_pin: str = DEFAULT_KIOSK_PIN
    counter_no: int | None = None

    def __post_init__(self) -> None:
        # Canonical order whatever order the roles were given in; unknown names are
        # kept (at the end) so that ``validate`` can name them.
        given = list(dict.fromkeys(self.roles))
        roles = tuple(r for r in ROLES if r in given) + tuple(r for r in given if r not in ROLES)
        object.__setattr__(self, "roles", roles)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def queue_is_local(self) -> bool:
        """True when the queue lives in this station's database (host or one-PC office)."""
        return self.has("queue-host") or not self.queue_url

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["roles"] = list(self.roles)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceSettings:
        """Lenient: unknown keys are ignored (a newer version may have written them)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "roles" in values:
            raw = values["roles"]
            values["roles"] = tuple(parse_roles(raw) if isinstance(raw, str) else raw)
        return cls(**values)

    def replace(self, **changes: Any) -> DeviceSettings:
        return dataclasses.replace(self, **changes)

    def validate(self) -> DeviceSettings:
        """Raise ``ValidationError`` (Vietnamese) for a value that can never work; return self."""
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown:
            raise ValidationError("roles", _unknown_roles_message(unknown))
        if self.printer_mode not in PRINTER_MODES:
            raise ValidationError(
                "printer_mode",
                f"Cách in tiếng Việt “{self.printer_mode}” không hợp lệ: chọn cp1258, tcvn3 hoặc raster.",
            )
        if self.printer_flow not in FLOW_CONTROLS:
            raise ValidationError(
                "printer_flow",
                f"Điều khiển luồng “{self.printer_flow}” không hợp lệ: chọn none, rtscts hoặc xonxoff.",
            )
        for name, baud in (("printer_baud", self.printer_baud), ("led_baud", self.led_baud)):
            if not isinstance(baud, int) or not 300 <= baud <= 921_600:
                raise ValidationError(
                    name, f"Tốc độ truyền {baud} không hợp lệ (thường là 9600, 19200 hoặc 115200)."
                )
        if self.queue_url and not re.match(r"^https?://[^/\s]+", self.queue_url):
            raise ValidationError(
                "queue_url",
                f"Địa chỉ máy chủ xếp hàng “{self.queue_url}” không hợp lệ; ví dụ http://192.168.1.10:8765.",
            )
        if self.queue_secret:
            from desk_app.queue.host import check_secret_text

            try:
                check_secret_text(self.queue_secret)
            except ValueError as exc:
                raise ValidationError("queue_secret", str(exc)) from None
        if not isinstance(self.host_port, int) or not 1 <= self.host_port <= 65_535:
            raise ValidationError("host_port", f"Cổng {self.host_port} không hợp lệ (1–65535).")
        if not re.fullmatch(r"\d{4,8}", self.kiosk_pin or ""):
            raise ValidationError("kiosk_pin", "Mã PIN của máy lấy số phải gồm 4 đến 8 chữ số.")
        if self.counter_no is not None and not 1 <= self.counter_no <= 99:
            raise ValidationError("counter_no", "Số quầy phải từ 1 đến 99.")
        return self

    def warnings(self) -> list[str]:
        """Set-up gaps that do not stop the program but leave a role half-working."""
        out: list[str] = []
        if not self.roles:
            out.append("Chưa chọn vai trò nào cho máy này.")
        if self.has("kiosk") and not self.printer_port:
            out.append("Máy lấy số chưa có cổng máy in số thứ tự.")
        if self.has("queue-host") and not self.queue_secret:
            out.append("Máy chủ xếp hàng cần mã bí mật (--queue-secret) để các quầy khác kết nối.")
        if self.has("queue-host") and self.queue_url:
            out.append("Máy này là máy chủ xếp hàng: địa chỉ máy chủ xếp hàng khác được bỏ qua.")
        if not self.has("queue-host") and self.queue_url and not self.queue_secret:
            out.append("Cần mã bí mật của máy chủ xếp hàng (--queue-secret).")
        if self.has("kiosk") and self.kiosk_pin == DEFAULT_KIOSK_PIN:
            out.append("Máy lấy số đang dùng mã PIN mặc định 1234; nên đổi (--kiosk-pin).")
        return out


def _unknown_roles_message(unknown: Iterable[str]) -> str:
    return f"Vai trò không hợp lệ: {', '.join(unknown)}. Chọn trong: {', '.join(ROLES)}."


def parse_roles(text: str) -> tuple[str, ...]:
    """``"counter, kiosk"`` → ``("counter", "kiosk")``; raises ``ValidationError`` on unknown names."""
    names = [p.strip().lower().replace("_", "-") for p in text.split(",") if p.strip()]
    unknown = [n for n in names if n not in ROLES]
    if unknown:
        raise ValidationError("roles", _unknown_roles_message(unknown))
    return tuple(names)


def _legacy_settings(uow: Any) -> DeviceSettings:
    """Ports and counter number the settings dialog stores (``settings.serial``, ``settings.counter_no``)."""
    serial = uow.meta.get_json(META_LEGACY_SERIAL, None) or {}
    printer = serial.get("ticket_printer") or {}
    led = serial.get("led_board") or {}
    counter = uow.meta.get_json(META_LEGACY_COUNTER, None)
    return DeviceSettings(
        printer_port=str(printer.get("port") or ""),
        printer_baud=int(printer.get("baud") or 9600),
        led_port=str(led.get("port") or ""),
        led_baud=int(led.get("baud") or 9600),
        counter_no=int(counter) if counter else None,
    )


def load_device_settings(app: App) -> DeviceSettings:
    """This station's device settings; sensible defaults on a fresh database."""
    with app.station.uow(write=False) as uow:
        data = uow.meta.get_json(META_DEVICES, None)
        if data is None:
            return _legacy_settings(uow)
    try:
        return DeviceSettings.from_dict(data)
    except (TypeError, ValueError):
        log.warning("unreadable %s, using defaults: %r", META_DEVICES, data)
        return DeviceSettings()


def save_device_settings(app: App, settings: DeviceSettings) -> None:
    settings.validate()
    with app.station.uow() as uow:
        uow.meta.set_json(META_DEVICES, settings.to_dict())
        uow.commit()


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
