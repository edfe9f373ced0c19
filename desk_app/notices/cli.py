"""``motcua notice deliver|list|retry|config``: the citizen notices of this station."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from desk_app.config import default_db_path
from desk_app.domain.errors import ValidationError
from desk_app.notices.config import META_NOTICES, channels_from_settings


def _open(args: argparse.Namespace) -> Any:
    from desk_app.bootstrap import open_station

    return open_station(args.db)


def cmd_deliver(args: argparse.Namespace) -> int:
    from desk_app.notices.delivery import NoticeDeliverer

    app = _open(args)
    try:
        with app.station.uow(write=False) as uow:
            settings = uow.meta.get_json(META_NOTICES, {}) or {}
        channels = channels_from_settings(settings)
        if not channels:
            raise ValidationError("notices", "Trạm chưa cấu hình kênh gửi thông báo (motcua notice config).")
        deliverer = NoticeDeliverer(app.db, channels, app.station.clock)
        while True:
            report = deliverer.run_once()
            print(f"Đã gửi {report.sent}, chờ gửi lại {report.retried}, thất bại {report.failed}.")
            if args.once:
                return 0
            time.sleep(args.interval)
    finally:
        app.close()


def cmd_list(args: argparse.Namespace) -> int:
    from desk_app.notices.delivery import failures

    app = _open(args)
    try:
        rows = failures(app.db)
    finally:
        app.close()
    for row in rows:
        print(f"{row['id']}\t{row['channel']}\t{row['kind']}\t{row['attempts']}\t{row['last_error'] or ''}")
    if not rows:
        print("Không có thông báo nào gửi lỗi.")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    from desk_app.notices.delivery import retry

    app = _open(args)
    try:
        retry(app.db, args.id, app.station.now())
    finally:
        app.close()
    print("Đã đưa thông báo vào hàng chờ gửi lại.")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    try:
        settings = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("file", f"Không đọc được tệp cấu hình: {exc}") from exc
    if not isinstance(settings, dict):
        raise ValidationError("file", "Tệp cấu hình phải là một đối tượng JSON.")
    channels_from_settings(settings)  # validate before storing
    app = _open(args)
    try:
        with app.station.uow() as uow:
            uow.meta.set_json(META_NOTICES, settings)
            uow.commit()
    finally:
        app.close()
    print("Đã lưu cấu hình kênh gửi thông báo.")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("notice", help="thông báo cho công dân (e-mail, SMS, Zalo)")
    nsub = p.add_subparsers(dest="notice_command", metavar="LỆNH")

    def with_db(q: argparse.ArgumentParser) -> argparse.ArgumentParser:
        q.add_argument(
            "--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})"
        )
        return q

    q = with_db(nsub.add_parser("deliver", help="gửi các thông báo đến hạn"))
    q.add_argument("--once", action="store_true", help="gửi một lượt rồi dừng")
    q.add_argument("--interval", type=float, default=15.0, help="giây giữa hai lượt (mặc định 15)")
    q.set_defaults(func=cmd_deliver)
    q = with_db(nsub.add_parser("list", help="các thông báo gửi lỗi"))
    q.set_defaults(func=cmd_list)
    q = with_db(nsub.add_parser("retry", help="gửi lại một thông báo lỗi"))
    q.add_argument("id")
    q.set_defaults(func=cmd_retry)
    q = with_db(nsub.add_parser("config", help="lưu cấu hình kênh gửi từ tệp JSON"))
    q.add_argument("file")
    q.set_defaults(func=cmd_config)
    p.set_defaults(func=lambda _args: (p.print_help(sys.stderr), 2)[1])
