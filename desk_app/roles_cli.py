"""``motcua station show|set`` (roles and devices of this PC) and ``motcua run-role``.

``run-role queue-host`` serves the LAN queue API headless until Ctrl-C.
``run-role kiosk|display`` opens just that window: the launcher in ``ui/`` adds
those roles through ``add_run_role(..., run_window=...)``, as the core never
imports ``ui``. Each role runs on its own, so a kiosk PC can run
``run-role kiosk`` and ``run-role queue-host`` as two processes on the same database.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILURE = 1
HEADLESS_ROLES = ("queue-host",)
WINDOW_ROLES = ("kiosk", "display")
RUNNABLE_ROLES = (*WINDOW_ROLES, *HEADLESS_ROLES)

#: ``run_window(app, devices, role, fullscreen=...) -> exit status``, provided by ``ui/launcher.py``.
WindowRunner = Callable[..., int]


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", type=Path, default=None, help="tệp cơ sở dữ liệu của trạm (mặc định: thư mục dữ liệu)"
    )


def _open(args: argparse.Namespace) -> Any:
    from desk_app.bootstrap import open_station

    return open_station(args.db)


def register(subparsers: Any) -> None:
    station = subparsers.add_parser(
        "station", help="vai trò và thiết bị của máy này (quầy, lấy số, màn hình, máy chủ xếp hàng)"
    )
    sub = station.add_subparsers(dest="station_command", metavar="LỆNH")
    station.set_defaults(func=lambda _a: (station.print_help(sys.stderr), 2)[1])

    p = sub.add_parser("show", help="xem cài đặt vai trò và thiết bị")
    _add_db(p)
    p.add_argument("--show-secret", action="store_true", help="hiện cả mã bí mật của máy chủ xếp hàng")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("set", help="đổi cài đặt vai trò và thiết bị (chỉ các mục được nêu)")
    _add_db(p)
    p.add_argument(
        "--roles", help="danh sách vai trò, cách nhau bởi dấu phẩy: counter,kiosk,display,queue-host"
    )
    p.add_argument(
        "--printer-port", help='cổng máy in số thứ tự, ví dụ COM3 hoặc /dev/ttyUSB0 ("" = không dùng)'
    )
    p.add_argument("--printer-baud", type=int)
    p.add_argument("--printer-flow", choices=("none", "rtscts", "xonxoff"))
    p.add_argument("--printer-mode", choices=("cp1258", "tcvn3", "raster"), help="cách in tiếng Việt")
    p.add_argument("--led-port", help='cổng bảng LED ("" = không dùng)')
    p.add_argument("--led-baud", type=int)
    p.add_argument(
        "--queue-url", help='địa chỉ máy chủ xếp hàng, ví dụ http://192.168.1.10:8765 ("" = trên máy này)'
    )
    p.add_argument(
        "--queue-secret", help="mã bí mật dùng chung với máy chủ xếp hàng (ít nhất 8 ký tự không dấu)"
    )
    p.add_argument(
        "--listen", dest="host_listen", help="địa chỉ lắng nghe khi là máy chủ xếp hàng (mặc định 0.0.0.0)"
    )
    p.add_argument("--port", dest="host_port", type=int, help="cổng khi là máy chủ xếp hàng (mặc định 8765)")
    p.add_argument("--kiosk-pin", help="mã PIN để đóng máy lấy số (4–8 chữ số)")
    p.add_argument("--counter", type=int, help="số quầy của máy này (0 = theo tài khoản cán bộ)")
    p.set_defaults(func=cmd_set)

    if "run-role" not in subparsers.choices:  # a launcher may have added the windowed roles
        add_run_role(subparsers)


def add_run_role(
    subparsers: Any, window_roles: Sequence[str] = (), run_window: WindowRunner | None = None
) -> None:
    """Register ``run-role``: ``queue-host`` always, plus ``window_roles`` run by ``run_window``."""
    roles = (*window_roles, *HEADLESS_ROLES)
    p = subparsers.add_parser("run-role", help=f"chạy riêng một vai trò: {', '.join(roles)}")
    p.add_argument("role", choices=roles)
    _add_db(p)
    p.add_argument("--demo", action="store_true", help="dùng máy in và bảng LED mô phỏng (cổng ảo)")
    if window_roles:
        p.add_argument("--windowed", action="store_true", help="mở dạng cửa sổ thay vì toàn màn hình")
    p.set_defaults(func=cmd_run_role, run_window=run_window)


# ------------------------------------------------------------------ station show / set
def describe(settings: Any, *, show_secret: bool = False) -> list[str]:
    from desk_app.settings import ROLE_LABELS

    s = settings
    roles = ", ".join(f"{r} ({ROLE_LABELS[r]})" for r in s.roles) or "chưa chọn"
    secret = (
        s.queue_secret
        if show_secret
        else (f"đã đặt ({len(s.queue_secret)} ký tự)" if s.queue_secret else "chưa đặt")
    )
    if s.has("queue-host"):
        queue = f"máy này là máy chủ xếp hàng, lắng nghe {s.host_listen}:{s.host_port}"
    elif s.queue_url:
        queue = f"gọi qua máy chủ {s.queue_url}"
    else:
        queue = "trên máy này (văn phòng một máy)"
    printer = (
        f"{s.printer_port}, {s.printer_baud} baud, luồng {s.printer_flow}, tiếng Việt {s.printer_mode}"
        if s.printer_port
        else "không dùng"
    )
    led = f"{s.led_port}, {s.led_baud} baud" if s.led_port else "không dùng"
    return [
        f"Vai trò:            {roles}",
        f"Hàng đợi:           {queue}",
        f"Mã bí mật:          {secret}",
        f"Máy in số thứ tự:   {printer}",
        f"Bảng LED:           {led}",
        f"Số quầy:            {s.counter_no or 'theo tài khoản cán bộ'}",
        f"Mã PIN máy lấy số:  {'****' if not show_secret else s.kiosk_pin}",
    ]


def _print_settings(settings: Any, show_secret: bool = False) -> None:
    for line in describe(settings, show_secret=show_secret):
        print(line)
    for warning in settings.warnings():
        print(f"Lưu ý: {warning}")


def cmd_show(args: argparse.Namespace) -> int:
    from desk_app.roles import load_device_settings

    app = _open(args)
    try:
        _print_settings(load_device_settings(app), args.show_secret)
    finally:
        app.close()
    return EXIT_OK


def cmd_set(args: argparse.Namespace) -> int:
    from desk_app.roles import load_device_settings, save_device_settings
    from desk_app.settings import parse_roles

    changes: dict[str, Any] = {}
    if args.roles is not None:
        changes["roles"] = parse_roles(args.roles)
    for name in (
        "printer_port", "printer_baud", "printer_flow", "printer_mode", "led_port", "led_baud",
        "queue_url", "queue_secret", "host_listen", "host_port", "kiosk_pin",
    ):  # fmt: skip
        value = getattr(args, name)
        if value is not None:
            changes[name] = value.strip() if isinstance(value, str) else value
    if args.counter is not None:
        changes["counter_no"] = args.counter or None
    app = _open(args)
    try:
        settings = load_device_settings(app).replace(**changes)
        save_device_settings(app, settings)  # validates: ValidationError → "Lỗi: …" from the CLI
    finally:
        app.close()
    print("Đã lưu cài đặt thiết bị của trạm.")
    _print_settings(settings)
    return EXIT_OK


# ------------------------------------------------------------------ run-role
def role_settings(settings: Any, role: str) -> Any:
    """The settings for running ``role`` alone: same queue (local stays local), one role."""
    changes: dict[str, Any] = {"roles": (role,)}
    if settings.queue_is_local:
        changes["queue_url"] = ""
    return settings.replace(**changes)


def cmd_run_role(args: argparse.Namespace) -> int:
    from desk_app.roles import build_devices, load_device_settings

    app = _open(args)
    try:
        settings = role_settings(load_device_settings(app), args.role)
        devices = build_devices(app, settings, demo=args.demo)
        try:
            if args.role == "queue-host":
                return _serve(devices)
            for text in devices.problems.values():
                print(f"Lưu ý: {text}", file=sys.stderr)
            return int(args.run_window(app, devices, args.role, fullscreen=not args.windowed))
        finally:
            devices.close()
    finally:
        app.close()


def _serve(devices: Any) -> int:
    from desk_app.roles import DEMO_SECRET

    problem = devices.problems.get("queue_host")
    if problem or devices.host is None:
        print(f"Lỗi: {problem or 'máy chủ xếp hàng không khởi động được.'}", file=sys.stderr)
        return EXIT_FAILURE
    s = devices.settings
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C too only sets the event: a KeyboardInterrupt raised inside Event.wait()
    # can break out of threading's lock handling ("release unlocked lock", exit 1).
    previous_int = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:  # announce only inside the try: Ctrl-C right after the message must stop cleanly too
        print(
            f"Máy chủ xếp hàng đang chạy tại http://{s.host_listen}:{devices.host.port} (Ctrl+C để dừng).",
            file=sys.stderr,
            flush=True,
        )
        if devices.demo and not s.queue_secret:
            print(f"Chế độ thử: mã bí mật là {DEMO_SECRET}", file=sys.stderr, flush=True)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    print("Đã dừng máy chủ xếp hàng.", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """``python -m desk_app.roles_cli station show …`` without the full ``motcua`` CLI."""
    parser = argparse.ArgumentParser(prog="motcua")
    register(parser.add_subparsers())
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from desk_app.domain.errors import DomainError

    try:
        return int(args.func(args) or 0)
    except DomainError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
