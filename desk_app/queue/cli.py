"""``motcua queue …`` commands: run the LAN queue host, show status and statistics."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from desk_app.settings import DEFAULT_HOST_PORT as DEFAULT_PORT


def _default_db() -> str | None:
    try:
        from desk_app.config import default_db_path
    except ImportError:
        return None
    return str(default_db_path())


def _add_db(p: argparse.ArgumentParser) -> None:
    default = _default_db()
    p.add_argument(
        "--db",
        default=default,
        required=default is None,
        metavar="ĐƯỜNG_DẪN",
        help="tệp cơ sở dữ liệu của trạm" + (f" (mặc định {default})" if default else ""),
    )


def _service(args: argparse.Namespace) -> Any:
    from desk_app.queue.service import QueueService
    from desk_app.store.db import Database

    return QueueService(Database(args.db))


def _serve(args: argparse.Namespace) -> int:
    from desk_app.queue.host import QueueHost

    secret = args.secret or os.environ.get("MOTCUA_QUEUE_SECRET", "")
    if not secret:
        print("Lỗi: cần mã bí mật (--secret hoặc biến môi trường MOTCUA_QUEUE_SECRET).", file=sys.stderr)
        return 2
    from desk_app.settings import check_secret_text

    try:
        check_secret_text(secret)
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    host = QueueHost(_service(args), secret, args.host, args.port)
    print(f"Máy chủ xếp hàng đang chạy tại http://{args.host}:{args.port} (Ctrl+C để dừng).", file=sys.stderr)
    host.serve()
    return 0


def _status(args: argparse.Namespace) -> int:
    from desk_app.queue.models import STATE_LABELS

    st = _service(args).status()
    if args.json:
        print(json.dumps(st.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"Ngày {st.day}")
    for q in st.queues:
        extra = f" (ưu tiên {q.waiting_priority})" if q.waiting_priority else ""
        last = f", vừa gọi {q.last_called}" if q.last_called else ""
        print(f"  Hàng {q.code} – {q.name}: {q.waiting} người chờ{extra}{last}")
    for c in st.counters:
        now = f"{c.label} ({STATE_LABELS.get(c.state, c.state)})" if c.ticket_id else "trống"
        print(f"  {c.name}: {now}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from desk_app.queue.stats import format_report, stats_for_days

    try:
        day = dt.date.fromisoformat(args.day).isoformat()
        last = dt.date.fromisoformat(args.to).isoformat() if args.to else day
    except ValueError:
        print("Lỗi: ngày phải có dạng YYYY-MM-DD.", file=sys.stderr)
        return 2
    service = _service(args)
    stats = stats_for_days(service, day, last, args.threshold)
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        names = {q.code: q.name for q in service.config().queues}
        print(format_report(stats, names))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("queue", help="xếp hàng, lấy số: máy chủ, trạng thái, thống kê")
    sub = p.add_subparsers(dest="queue_command", metavar="LỆNH")
    p.set_defaults(func=lambda _a: (p.print_help(sys.stderr), 2)[1])

    s = sub.add_parser("serve", help="chạy máy chủ xếp hàng trong mạng nội bộ")
    _add_db(s)
    s.add_argument("--host", default="0.0.0.0", help="địa chỉ lắng nghe (mặc định 0.0.0.0)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"cổng (mặc định {DEFAULT_PORT})")
    s.add_argument("--secret", default="", help="mã bí mật dùng chung với các quầy")
    s.set_defaults(func=_serve)

    s = sub.add_parser("status", help="số người chờ theo hàng và số đang phục vụ theo quầy")
    _add_db(s)
    s.add_argument("--json", action="store_true", help="in dạng JSON")
    s.set_defaults(func=_status)

    s = sub.add_parser("stats", help="thống kê thời gian chờ, phục vụ, tỷ lệ đạt")
    _add_db(s)
    s.add_argument("--day", required=True, help="ngày YYYY-MM-DD")
    s.add_argument("--to", default=None, help="đến ngày YYYY-MM-DD (mặc định bằng --day)")
    s.add_argument("--threshold", type=int, default=None, help="ngưỡng phút (mặc định theo cấu hình, 15)")
    s.add_argument("--json", action="store_true", help="in dạng JSON")
    s.set_defaults(func=_stats)


def main(argv: list[str] | None = None) -> int:
    """``python -m desk_app.queue.cli serve …`` without the full ``motcua`` CLI."""
    parser = argparse.ArgumentParser(prog="motcua")
    register(parser.add_subparsers())
    args = parser.parse_args(["queue", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
