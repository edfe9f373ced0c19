"""What the status strip says about a station's devices: texts, and the probes behind them.

``probe(devices)`` does blocking I/O (a serial status query, an HTTP call to the
queue host): run it in a worker (``ui.roles.DeviceStatusWatcher`` does). Every
text is Vietnamese; a probe never raises. No Qt here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desk_app.roles import Devices

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class DeviceState:
    """One entry of the status strip: ``text`` is Vietnamese, ``ok`` False paints it as a fault."""

    ok: bool
    text: str


def printer_state(devices: Devices) -> DeviceState | None:
    if devices.printer is None:
        return None
    status = devices.printer.status()
    if status != "ok":
        return DeviceState(False, status)
    return DeviceState(True, PRINTER_NEAR_END if devices.printer.paper_near_end else PRINTER_READY)


def queue_state(devices: Devices) -> DeviceState:
    from desk_app.queue.client import QueueAuthError
    from desk_app.queue.models import QueueUnavailable

    if devices.settings.has("queue-host"):
        if "queue_host" in devices.problems:
            return DeviceState(False, devices.problems["queue_host"])
        try:
            ok = devices._probe_client is None or devices._probe_client.health()
        except QueueUnavailable:
            ok = False
        if not ok:
            return DeviceState(
                False, "Máy chủ xếp hàng trên máy này đã dừng. Hãy khởi động lại chương trình."
            )
        assert devices.host is not None
        return DeviceState(True, f"Máy chủ xếp hàng: đang phục vụ cổng {devices.host.port}")
    if devices.settings.queue_is_local:
        return DeviceState(True, QUEUE_LOCAL)
    try:
        devices.queue.config()  # small, and proves the secret too
    except QueueAuthError:
        return DeviceState(False, "Máy chủ xếp hàng từ chối mã bí mật. Hãy kiểm tra cài đặt.")
    except QueueUnavailable:
        return DeviceState(False, QUEUE_LOST)
    return DeviceState(True, QUEUE_CONNECTED)


def board_state(devices: Devices) -> DeviceState | None:
    if devices.board is None:
        return None
    if not port_present(devices.board.port):
        return DeviceState(False, missing_board_message(devices.board.port))
    return DeviceState(True, BOARD_READY)


def probe(devices: Devices) -> dict[str, DeviceState]:
    """Current state of each device of this station. Blocking I/O: call it from a worker."""
    out: dict[str, DeviceState] = {}
    for key, fn in (
        ("printer", devices.printer_state),  # via the methods: tests may replace one
        ("queue", devices.queue_state),
        ("board", devices.board_state),
    ):
        try:
            state = fn()
        except Exception as exc:  # noqa: BLE001 - a probe must never break the status strip
            log.warning("device probe %s failed", key, exc_info=True)
            state = DeviceState(False, f"Không kiểm tra được thiết bị: {exc}")
        if state is not None:
            out[key] = state
    return out
