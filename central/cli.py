"""``motcua-central``: run the central server and administer it.

motcua-central serve [--db URL] [--host H] [--port P] [--workers N] [--notices-config FILE] [--no-notices]
motcua-central unit add --code 000.21.31.H56 --name "…"
motcua-central device enrol --unit CODE        # prints a one-time enrolment code
motcua-central device revoke DEVICE_ID [--reason …]
motcua-central device list [--unit CODE]
motcua-central calendar add-day-off|add-workday DATE [--unit CODE] [--note …]
motcua-central catalog import FILE
motcua-central dossiers export --unit CODE --format csv|json [--output FILE]
motcua-central conflicts --unit CODE
motcua-central staff add USERNAME --role province_admin|unit_manager|viewer [--unit CODE] [--name "…"]
motcua-central staff passwd USERNAME | staff disable USERNAME [--enable] | staff list
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from central import service as svc
from central.db import default_db_url, make_engine, migrate

# Engines the running command opened; ``main`` disposes them, so no database
# connection outlives the command (the CLI also runs in-process, e.g. in tests).
_engines: list[Any] = []


def _store(args: argparse.Namespace) -> svc.Store:
    engine = make_engine(args.db or default_db_url(), pool_size=2)
    _engines.append(engine)
    migrate(engine)
    return svc.Store(engine)


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise svc.AdminError(f"Ngày “{text}” không hợp lệ: dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY.")


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from central import logs

    logs.configure()
    url = args.db or default_db_url()
    # every worker process reads these (central/asgi.py, central/server.py)
    os.environ["MOTCUA_CENTRAL_DB"] = url
    os.environ["MOTCUA_TRUSTED_PROXY"] = args.trusted_proxy or ""
    os.environ["MOTCUA_HEADER_TIMEOUT"] = str(args.header_timeout)
    os.environ["MOTCUA_MAX_CONNECTIONS"] = str(args.max_connections)
    from central.server import GuardedH11Protocol, uvicorn_options

    GuardedH11Protocol.header_timeout = args.header_timeout
    GuardedH11Protocol.max_connections = args.max_connections
    migrate(make_engine(url, pool_size=1))  # once, before the workers start
    loop = _notice_loop(args, url)
    if loop is not None:
        # uvicorn re-raises the SIGTERM it caught once it has shut down; exiting then
        # (instead of dying of the signal) lets the notice round in progress finish.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        loop.start()
    try:
        uvicorn.run(
            "central.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=True,  # successful polls and health checks are filtered out (central/logs.py)
            log_config=None,
            **uvicorn_options(),
        )
    finally:
        if loop is not None:
            loop.stop()
            loop.server_notices.store.engine.dispose()
            logging.getLogger("central.notices").info("notices stopped")
    return 0


NOTICES_CONFIG_ENV = "MOTCUA_NOTICES_CONFIG"


def _notice_channels(path: str) -> dict[str, Any]:
    from pathlib import Path

    from desk_app.domain.errors import ValidationError
    from desk_app.notices.config import channels_from_settings

    try:
        settings = json.loads(Path(path).read_text(encoding="utf-8"))
        channels = channels_from_settings(settings if isinstance(settings, dict) else {})
    except (OSError, ValueError, ValidationError) as exc:
        raise svc.AdminError(f"Không đọc được cấu hình kênh gửi: {exc}") from exc
    if not channels:
        raise svc.AdminError("Cấu hình chưa có kênh gửi nào (email / sms / zalo).")
    return dict(channels)


def _notice_loop(args: argparse.Namespace, url: str) -> Any:
    """The notice scanner/deliverer of ``serve``: on when channels are configured
    (``--notices-config`` or MOTCUA_NOTICES_CONFIG) unless ``--no-notices``."""
    import os

    config = args.notices_config or os.environ.get(NOTICES_CONFIG_ENV, "")
    if args.notices is False or (args.notices is None and not config):
        return None
    if not config:
        raise svc.AdminError("--notices cần tệp cấu hình kênh gửi: --notices-config FILE.")
    from central.notices import NoticeLoop, ServerNotices
    from desk_app.workcalendar import now_vn

    channels = _notice_channels(config)
    store = svc.Store(make_engine(url, pool_size=2))
    return NoticeLoop(
        ServerNotices(store, channels, now_vn, public_url=args.public_url), args.notices_interval
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    _store(args)
    print("Cơ sở dữ liệu máy chủ đã ở phiên bản mới nhất.")
    return 0


def cmd_unit_add(args: argparse.Namespace) -> int:
    svc.add_unit(_store(args), args.code, args.name)
    print(f"Đã lưu đơn vị {args.code} — {args.name}")
    return 0


def cmd_unit_list(args: argparse.Namespace) -> int:
    for unit in svc.list_units(_store(args)):
        print(f"{unit['code']}\t{unit['name']}")
    return 0


def cmd_device_enrol(args: argparse.Namespace) -> int:
    code = svc.new_enrol_code(_store(args), args.unit)
    print(code)
    print(
        f"Mã đăng ký dùng một lần cho đơn vị {args.unit}, hiệu lực {svc.ENROL_CODE_DAYS} ngày. "
        "Trên máy trạm chạy:\n"
        f"  motcua enrol --server https://<máy chủ> --code {code}",
        file=sys.stderr,
    )
    return 0


def cmd_device_revoke(args: argparse.Namespace) -> int:
    svc.revoke(_store(args), args.device_id, args.reason)
    print(f"Đã thu hồi thiết bị {args.device_id}.")
    return 0


def cmd_device_forget(args: argparse.Namespace) -> int:
    svc.forget_device(_store(args), args.device_id)
    print(f"Đã xóa đăng ký của thiết bị {args.device_id}; máy có thể đăng ký lại bằng mã mới.")
    return 0


def cmd_device_list(args: argparse.Namespace) -> int:
    for d in svc.list_devices(_store(args), args.unit):
        state = f"thu hồi {d['revoked_at']}" if d["revoked_at"] else "hoạt động"
        print(f"{d['id']}\t{d['unit_code']}\tslot {d['slot']}\t{d['name']}\t{state}")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    kind = {"add-day-off": "off", "add-workday": "work", "clear": "clear"}[args.calendar_command]
    day = _date(args.date)
    decision = (getattr(args, "decision", "") or "").strip()
    svc.add_calendar_override(_store(args), day, kind, args.unit or "", args.note or "", decision=decision)
    scope = f"đơn vị {args.unit}" if args.unit else "mọi đơn vị"
    label = {"off": "ngày nghỉ", "work": "ngày làm việc bù", "clear": "bỏ điều chỉnh"}[kind]
    print(f"Đã thêm {label} {day:%d/%m/%Y} cho {scope}; các trạm nhận khi đồng bộ.")
    return 0


def cmd_catalog_import(args: argparse.Namespace) -> int:
    try:
        from desk_app.formats.catalog_files import parse_catalog_file
    except ImportError:  # the catalogue module belongs to another area and may be absent
        print("Lỗi: chức năng nhập danh mục chưa có trong bản cài đặt này.", file=sys.stderr)
        return 1
    procedures = parse_catalog_file(args.file)
    n = svc.import_procedures(_store(args), procedures)
    print(f"Đã nhập {n} thủ tục; các trạm nhận khi đồng bộ.")
    return 0


EXPORT_FIELDS = (
    "code",
    "unit_code",
    "target_unit_code",
    "procedure_code",
    "procedure_name",
    "applicant_name",
    "received_at",
    "due_at",
    "status",
    "events",
    "has_conflict",
)


def cmd_dossiers_export(args: argparse.Namespace) -> int:
    rows = svc.unit_dossiers(_store(args), args.unit)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        if args.format == "json":
            json.dump(rows, out, ensure_ascii=False, indent=1)
            out.write("\n")
        else:
            from desk_app.formats.spreadsheet import safe_cell

            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    finally:
        if args.output:
            out.close()
    return 0


def cmd_notices(args: argparse.Namespace) -> int:
    """Scan the change log for notices of units that chose the server, and send them."""
    import time

    from central.notices import ServerNotices
    from desk_app.workcalendar import now_vn

    channels = _notice_channels(args.config)
    store = _store(args)
    server = ServerNotices(store, channels, now_vn, public_url=args.public_url)
    try:
        while True:
            written, report = server.run_once()
            sent, retried, failed = report.sent, report.retried, report.failed
            print(f"Thông báo mới {written}; đã gửi {sent}, chờ gửi lại {retried}, lỗi {failed}.")
            if args.once:
                return 0
            time.sleep(args.interval)
    finally:
        store.engine.dispose()


def cmd_conflicts(args: argparse.Namespace) -> int:
    rows = [d for d in svc.unit_dossiers(_store(args), args.unit) if d["has_conflict"]]
    for d in rows:
        for c in d["conflicts"]:
            print(f"{d['code']}\t{c['kind']}\t{c['message']}")
    if not rows:
        print("Không có hồ sơ nào có xung đột.")
    return 0


def _read_password(prompt: str) -> str:
    """The new password: typed twice without echo on a terminal, else the first line of stdin."""
    import getpass

    from central.web import accounts

    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            raise svc.AdminError("Hai lần nhập mật khẩu không khớp.")
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    accounts.check_password(password)
    return password


def cmd_staff_add(args: argparse.Namespace) -> int:
    from central.web import accounts

    store = _store(args)
    name = accounts.check_username(args.username)
    password = _read_password(f"Mật khẩu cho {name}: ")
    staff = accounts.add_staff(
        store, name, args.name or name, password, args.role, args.unit or "", now=store.clock()
    )
    accounts.audit(store, store.clock(), "(cli)", "staff_add", f"user={staff.username} role={staff.role}")
    print(f"Đã tạo tài khoản {staff.username} ({staff.role_label}). Đăng nhập tại /quan-tri.")
    return 0


def cmd_staff_passwd(args: argparse.Namespace) -> int:
    from central.web import accounts

    store = _store(args)
    password = _read_password(f"Mật khẩu mới cho {args.username}: ")
    accounts.set_password(store, args.username, password, now=store.clock())
    accounts.audit(store, store.clock(), "(cli)", "staff_passwd", f"user={args.username.strip().lower()}")
    print(f"Đã đổi mật khẩu của {args.username}; các phiên đăng nhập cũ đã kết thúc.")
    return 0


def cmd_staff_disable(args: argparse.Namespace) -> int:
    from central.web import accounts

    store = _store(args)
    accounts.set_disabled(store, args.username, not args.enable)
    action = "staff_enable" if args.enable else "staff_disable"
    accounts.audit(store, store.clock(), "(cli)", action, f"user={args.username.strip().lower()}")
    print(f"Đã {'mở lại' if args.enable else 'khóa'} tài khoản {args.username}.")
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from central.web import accounts

    for s in accounts.list_staff(_store(args)):
        state = "đã khóa" if s.disabled else "hoạt động"
        print(f"{s.username}\t{s.role}\t{s.unit_code or '-'}\t{s.display_name}\t{state}")
    return 0


def cmd_reports_rebuild(args: argparse.Namespace) -> int:
    from central import rollups

    store = _store(args)
    with store.write() as conn:
        count = rollups.rebuild(conn)
    print(f"Đã tính lại số liệu báo cáo của {count} hồ sơ.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from desk_app.cli_runner import VietnameseArgumentParser

    parser = VietnameseArgumentParser(prog="motcua-central", description="Máy chủ trung tâm MotCua Desk.")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết và chi tiết lỗi ra stderr"
    )
    parser.add_argument(
        "--db",
        default=None,
        help="URL cơ sở dữ liệu (postgresql://… hoặc sqlite:///…); "
        "mặc định MOTCUA_CENTRAL_DB hoặc tệp SQLite",
    )
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")

    def db_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=argparse.SUPPRESS, help="URL cơ sở dữ liệu")

    p = sub.add_parser("serve", help="chạy máy chủ HTTP")
    db_opt(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--trusted-proxy",
        "--forwarded-allow-ips",
        default="",
        help="địa chỉ IP của reverse proxy TLS; chỉ từ địa chỉ này mới đọc X-Forwarded-For (chặng cuối)",
    )
    p.add_argument(
        "--header-timeout", type=float, default=10.0, help="giây tối đa để nhận xong phần đầu yêu cầu"
    )
    p.add_argument(
        "--max-connections", type=int, default=200, help="số kết nối tối đa (đặt thấp hơn ulimit -n)"
    )
    p.add_argument(
        "--notices",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="gửi thông báo cho công dân trong nền (mặc định: bật khi đã cấu hình kênh gửi)",
    )
    p.add_argument(
        "--notices-config",
        default="",
        help=f"tệp JSON các kênh gửi (như motcua notice config); mặc định {NOTICES_CONFIG_ENV}",
    )
    p.add_argument("--public-url", default="", help="địa chỉ công khai của máy chủ (liên kết tra cứu)")
    p.add_argument("--notices-interval", type=float, default=15.0, help="giây giữa hai lượt gửi thông báo")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu")
    db_opt(p)
    p.set_defaults(func=cmd_migrate)

    unit = sub.add_parser("unit", help="đơn vị").add_subparsers(dest="unit_command", metavar="LỆNH")
    p = unit.add_parser("add", help="thêm / đổi tên đơn vị")
    db_opt(p)
    p.add_argument("--code", required=True)
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_unit_add)
    p = unit.add_parser("list", help="liệt kê đơn vị")
    db_opt(p)
    p.set_defaults(func=cmd_unit_list)

    device = sub.add_parser("device", help="thiết bị").add_subparsers(dest="device_command", metavar="LỆNH")
    p = device.add_parser("enrol", help="tạo mã đăng ký dùng một lần")
    db_opt(p)
    p.add_argument("--unit", required=True)
    p.set_defaults(func=cmd_device_enrol)
    p = device.add_parser("revoke", help="thu hồi thiết bị")
    db_opt(p)
    p.add_argument("device_id")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_device_revoke)
    p = device.add_parser("forget", help="xóa đăng ký của thiết bị đã thu hồi (để máy cài lại đăng ký lại)")
    db_opt(p)
    p.add_argument("device_id")
    p.set_defaults(func=cmd_device_forget)
    p = device.add_parser("list", help="liệt kê thiết bị")
    db_opt(p)
    p.add_argument("--unit", default=None)
    p.set_defaults(func=cmd_device_list)

    cal = sub.add_parser("calendar", help="lịch làm việc").add_subparsers(
        dest="calendar_command", metavar="LỆNH"
    )
    for name, help_text in (
        ("add-day-off", "thêm ngày nghỉ"),
        ("add-workday", "thêm ngày làm bù"),
        ("clear", "bỏ điều chỉnh một ngày"),
    ):
        p = cal.add_parser(name, help=help_text)
        db_opt(p)
        p.add_argument("date")
        p.add_argument("--unit", default=None, help="mã đơn vị (bỏ trống: mọi đơn vị)")
        p.add_argument("--note", default="")
        p.add_argument(
            "--decision",
            default="",
            help="văn bản của Chính phủ quyết định ngày này, ví dụ “Văn bản 12729/VPCP-KGVX ngày 25/12/2025”",
        )
        p.set_defaults(func=cmd_calendar)

    cat = sub.add_parser("catalog", help="danh mục thủ tục").add_subparsers(
        dest="catalog_command", metavar="LỆNH"
    )
    p = cat.add_parser("import", help="nhập danh mục (.xlsx / .csv)")
    db_opt(p)
    p.add_argument("file")
    p.set_defaults(func=cmd_catalog_import)

    dos = sub.add_parser("dossiers", help="hồ sơ").add_subparsers(dest="dossiers_command", metavar="LỆNH")
    p = dos.add_parser("export", help="xuất hồ sơ của một đơn vị")
    db_opt(p)
    p.add_argument("--unit", required=True)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--output", default=None)
    p.set_defaults(func=cmd_dossiers_export)

    p = sub.add_parser("notices", help="gửi thông báo cho công dân (đơn vị chọn máy chủ gửi)")
    db_opt(p)
    p.add_argument("--config", required=True, help="tệp JSON các kênh gửi (như motcua notice config)")
    p.add_argument("--public-url", default="", help="địa chỉ công khai của máy chủ (liên kết tra cứu)")
    p.add_argument("--once", action="store_true", help="một lượt rồi dừng")
    p.add_argument("--interval", type=float, default=15.0)
    p.set_defaults(func=cmd_notices)

    staff = sub.add_parser("staff", help="tài khoản bảng điều hành (/quan-tri)").add_subparsers(
        dest="staff_command", metavar="LỆNH"
    )
    p = staff.add_parser("add", help="tạo tài khoản (mật khẩu nhập không hiện, hoặc từ stdin)")
    db_opt(p)
    p.add_argument("username")
    p.add_argument(
        "--role", required=True, choices=("province_admin", "unit_manager", "viewer"), help="vai trò"
    )
    p.add_argument("--unit", default="", help="mã đơn vị (bắt buộc với unit_manager)")
    p.add_argument("--name", default="", help="họ và tên hiển thị")
    p.set_defaults(func=cmd_staff_add)
    p = staff.add_parser("passwd", help="đặt mật khẩu mới")
    db_opt(p)
    p.add_argument("username")
    p.set_defaults(func=cmd_staff_passwd)
    p = staff.add_parser("disable", help="khóa tài khoản (--enable: mở lại)")
    db_opt(p)
    p.add_argument("username")
    p.add_argument("--enable", action="store_true")
    p.set_defaults(func=cmd_staff_disable)
    p = staff.add_parser("list", help="liệt kê tài khoản")
    db_opt(p)
    p.set_defaults(func=cmd_staff_list)

    rep = sub.add_parser("reports", help="số liệu báo cáo").add_subparsers(
        dest="reports_command", metavar="LỆNH"
    )
    p = rep.add_parser("rebuild", help="tính lại số liệu báo cáo của mọi hồ sơ từ các sự kiện đã nhận")
    db_opt(p)
    p.set_defaults(func=cmd_reports_rebuild)

    p = sub.add_parser("conflicts", help="hồ sơ có xung đột sau khi hợp nhất")
    db_opt(p)
    p.add_argument("--unit", required=True)
    p.set_defaults(func=cmd_conflicts)
    return parser


def describe_failure(exc: BaseException, _args: argparse.Namespace | None = None) -> str | None:
    """Vietnamese message for an expected failure of an admin command, or None for a bug."""
    import sqlalchemy.exc

    from desk_app.cli_runner import describe_common_failure

    if isinstance(exc, svc.AdminError):
        return str(exc)
    if isinstance(exc, sqlalchemy.exc.OperationalError) and not isinstance(exc.orig, sqlite3.Error):
        return (
            "Không kết nối được cơ sở dữ liệu của máy chủ (kiểm tra --db / MOTCUA_CENTRAL_DB "
            "và PostgreSQL đang chạy)."
        )
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        return "URL cơ sở dữ liệu không hợp lệ (dạng postgresql://… hoặc sqlite:///…)."
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        reason = str(exc.orig)
        if "not a database" in reason or "malformed" in reason:
            return "Tệp cơ sở dữ liệu bị hỏng hoặc không phải SQLite: khôi phục bản sao lưu của máy chủ."
        return f"Cơ sở dữ liệu SQLite của máy chủ báo lỗi: {reason}."
    return describe_common_failure(exc)


def main(argv: Sequence[str] | None = None) -> int:
    from desk_app.cli_runner import run_command

    try:
        return run_command(build_parser, list(sys.argv[1:] if argv is None else argv), describe_failure)
    finally:
        while _engines:
            _engines.pop().dispose()


if __name__ == "__main__":
    sys.exit(main())
