"""The station's settings: one typed record, one owner, one meta key.

Every reader and writer goes through ``SettingsService`` (``App.settings``): the
counter window, the settings dialog, ``motcua station set``, the devices and the
printouts. They used to write three families of ``settings.*`` meta keys, and a
port chosen in the dialog (``settings.serial``) was shown in the status strip
while the devices kept using ``settings.devices``. Now the ports live in one
place, ``Settings.devices``.

Storage: JSON under the meta key ``settings`` with a ``version``. ``upgrade``
(run by ``open_station``) folds the old keys into it once and deletes them.
Reading is lenient (unknown keys from a newer version are ignored, a broken value
falls back to its default); writing validates, with Vietnamese messages.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from desk_app.domain.errors import ValidationError

if TYPE_CHECKING:
    from desk_app.services.station import Station

log = logging.getLogger(__name__)

META_SETTINGS = "settings"
SETTINGS_VERSION = 1
#: The keys written before ``settings`` existed; ``upgrade`` folds them in and deletes them.
LEGACY_KEYS = (
    "settings.devices",
    "settings.serial",
    "settings.counter_no",
    "settings.counters",
    "settings.sections",
    "settings.printers",
    "settings.server",
    "settings.receipt_copies",
)

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
DEFAULT_HOST_PORT = 8765  # the LAN queue host's port (desk_app.queue.host.DEFAULT_PORT)
DEFAULT_KIOSK_PIN = "1234"
PrinterMode = Literal["cp1258", "tcvn3", "raster"]
FlowControl = Literal["none", "rtscts", "xonxoff"]


SECRET_RULE = "Mã bí mật phải có ít nhất 8 ký tự, chỉ gồm chữ cái không dấu, chữ số và ký hiệu."


def check_secret_text(secret: str) -> None:
    """HTTP headers carry ASCII only; a short secret is guessable on a shared LAN."""
    if len(secret) < 8 or not secret.isascii() or not secret.isprintable() or secret.strip() != secret:
        raise ValueError(SECRET_RULE)


# --------------------------------------------------------------------------- devices
@dataclass(frozen=True)
class DeviceSettings:
    """What this station does and where its devices are (``Settings.devices``).

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
    scanner_port: str = ""  # a serial (COM) barcode scanner; USB keyboard scanners need none
    scanner_baud: int = 9600

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
        for name, baud in (
            ("printer_baud", self.printer_baud),
            ("led_baud", self.led_baud),
            ("scanner_baud", self.scanner_baud),
        ):
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


# --------------------------------------------------------------------------- the whole record
@dataclass(frozen=True)
class CounterEntry:
    """One counter of the office: its number and what it handles."""

    no: int
    name: str = ""


@dataclass(frozen=True)
class Printers:
    """System (Qt) printer names; empty = the system default printer."""

    a4: str = ""  # the logbook
    a5: str = ""  # receipts and slips
    preview_after_save: bool = True  # off: a saved dossier's form goes straight to the printer


@dataclass(frozen=True)
class ServerSettings:
    """The central server the dialog enrols with (``url``) and the last code typed."""

    url: str = ""
    enrol_code: str = ""


@dataclass(frozen=True)
class Settings:
    """All settings of one station.

    ``counters`` / ``sections`` empty mean "not configured": the screens show their defaults.
    """

    devices: DeviceSettings = field(default_factory=DeviceSettings)
    counters: tuple[CounterEntry, ...] = ()
    sections: tuple[str, ...] = ()
    printers: Printers = field(default_factory=Printers)
    server: ServerSettings = field(default_factory=ServerSettings)
    # The receipt model (Mẫu 01) is issued in two copies: Liên 1 kept, Liên 2 to the submitter.
    receipt_copies: int = 2

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def validate(self) -> Settings:
        self.devices.validate()
        if not 1 <= self.receipt_copies <= 2:
            raise ValidationError("receipt_copies", "Số liên giấy tiếp nhận phải là 1 hoặc 2.")
        numbers = [c.no for c in self.counters]
        if any(not 1 <= n <= 99 for n in numbers):
            raise ValidationError("counters", "Số quầy phải từ 1 đến 99.")
        if len(set(numbers)) != len(numbers):
            raise ValidationError("counters", "Có hai quầy trùng số; mỗi quầy một số riêng.")
        if self.server.url and not is_server_url(self.server.url):
            raise ValidationError("server_url", "Địa chỉ máy chủ phải bắt đầu bằng http:// hoặc https://.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SETTINGS_VERSION,
            "devices": self.devices.to_dict(),
            "counters": [dataclasses.asdict(c) for c in self.counters],
            "sections": list(self.sections),
            "printers": dataclasses.asdict(self.printers),
            "server": dataclasses.asdict(self.server),
            "receipt_copies": self.receipt_copies,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Lenient: each part that cannot be read falls back to its default (and is logged)."""
        out = cls()
        parts: dict[str, Callable[[Any], Any]] = {
            "devices": DeviceSettings.from_dict,
            "counters": lambda v: tuple(CounterEntry(int(c["no"]), str(c.get("name") or "")) for c in v),
            "sections": lambda v: tuple(str(x) for x in v if str(x).strip()),
            "printers": lambda v: Printers(
                str(v.get("a4") or ""), str(v.get("a5") or ""), bool(v.get("preview_after_save", True))
            ),
            "server": lambda v: ServerSettings(str(v.get("url") or ""), str(v.get("enrol_code") or "")),
            "receipt_copies": lambda v: int(v) if int(v) in (1, 2) else 2,
        }
        for name, parse in parts.items():
            if data.get(name) is None:
                continue
            try:
                out = dataclasses.replace(out, **{name: parse(data[name])})
            except (TypeError, ValueError, KeyError, AttributeError):
                log.warning("unreadable setting %s, using the default", name)
        return out


def is_server_url(url: str) -> bool:
    """An http(s) address with a host: what the central server's address must look like."""
    return re.match(r"^https?://[^\s/]+", url) is not None


def from_legacy(values: dict[str, Any]) -> Settings:
    """The settings the old keys described (``values``: old key → decoded JSON or None).

    ``settings.devices`` (``motcua station set``) is what the devices used, so it
    wins; the dialog's ``settings.serial`` ports and ``settings.counter_no`` fill
    only what it leaves empty.
    """
    devices = DeviceSettings()
    raw_devices = values.get("settings.devices")
    if isinstance(raw_devices, dict):
        try:
            devices = DeviceSettings.from_dict(raw_devices)
        except (TypeError, ValueError):
            log.warning("unreadable settings.devices, using defaults")
    serial = values.get("settings.serial") or {}
    changes: dict[str, Any] = {}
    for kind, port_name, baud_name in (
        ("ticket_printer", "printer_port", "printer_baud"),
        ("led_board", "led_port", "led_baud"),
        ("scanner", "scanner_port", "scanner_baud"),
    ):
        entry = serial.get(kind) if isinstance(serial, dict) else None
        if isinstance(entry, dict) and entry.get("port") and not getattr(devices, port_name):
            changes[port_name] = str(entry["port"])
            try:
                changes[baud_name] = int(entry.get("baud") or 9600)
            except (TypeError, ValueError):
                pass
    counter = values.get("settings.counter_no")
    if counter and devices.counter_no is None:
        try:
            changes["counter_no"] = int(counter)
        except (TypeError, ValueError):
            pass
    devices = devices.replace(**changes)
    rest = {
        key: values.get(f"settings.{key}")
        for key in ("counters", "sections", "printers", "server", "receipt_copies")
    }
    return Settings.from_dict(rest).replace(devices=devices)


# --------------------------------------------------------------------------- the service
class SettingsService:
    """Reads and writes ``Settings`` in the station's meta table (the only code that does)."""

    def __init__(self, station: Station) -> None:
        self.station = station

    def load(self) -> Settings:
        """This station's settings; defaults on a fresh database.

        Before ``upgrade`` has run (it could not write: a read-only or locked
        file), the old keys are read as they are, so nothing configured is lost.
        """
        with self.station.uow(write=False) as uow:
            data = uow.meta.get_json(META_SETTINGS, None)
            if not isinstance(data, dict):
                legacy = {key: uow.meta.get_json(key, None) for key in LEGACY_KEYS}
                return from_legacy(legacy) if any(v is not None for v in legacy.values()) else Settings()
        return Settings.from_dict(data)

    def edit(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply ``change`` to the stored settings in one write transaction; return the result.

        Read and write in the same (IMMEDIATE) transaction, so ``motcua station set``
        and the dialog never overwrite each other's fields.
        """
        with self.station.uow() as uow:
            data = uow.meta.get_json(META_SETTINGS, None)
            current = Settings.from_dict(data) if isinstance(data, dict) else Settings()
            new = change(current).validate()
            uow.meta.set_json(META_SETTINGS, new.to_dict())
            uow.commit()
        return new

    def save(self, settings: Settings) -> Settings:
        return self.edit(lambda _old: settings)

    def save_devices(self, devices: DeviceSettings) -> Settings:
        return self.edit(lambda old: old.replace(devices=devices))

    def upgrade(self) -> bool:
        """Fold the old ``settings.*`` keys into ``settings`` once; True when something moved."""
        with self.station.uow(write=False) as uow:
            if uow.meta.get(META_SETTINGS) is not None:
                return False
            if not any(uow.meta.get(key) is not None for key in LEGACY_KEYS):
                return False
        with self.station.uow() as uow:
            if uow.meta.get(META_SETTINGS) is not None:  # another process was first
                return False
            values = {key: uow.meta.get_json(key, None) for key in LEGACY_KEYS}
            settings = from_legacy(values)
            uow.meta.set_json(META_SETTINGS, settings.to_dict())
            for key in LEGACY_KEYS:
                uow.meta.delete(key)
            uow.commit()
        log.info("settings upgraded from the old keys to %s v%d", META_SETTINGS, SETTINGS_VERSION)
        return True
