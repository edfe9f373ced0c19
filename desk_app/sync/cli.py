"""``motcua enrol`` and ``motcua sync``: enrol a station, run one sync round."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desk_app.config import default_db_path


def _app(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station

    return open_station(args.db)


def cmd_enrol(args: argparse.Namespace) -> int:
    from desk_app.sync.client import SyncClient, SyncError, enrol, make_http

    app = _app(args)
    try:
        with make_http(args.server, allow_http=args.allow_http) as http:
            answer = enrol(app.station, http, args.code, args.name or "", allow_http=args.allow_http)
            print(
                f"Đã đăng ký trạm với máy chủ {args.server}: đơn vị {answer['unit_code']} — "
                f"{answer['unit_name']}, dải số dự phòng số {answer['slot']}."
            )
            try:
                SyncClient(app.station, http).sync_round()
                print("Đã đồng bộ lần đầu.")
            except SyncError as exc:
                print(f"Chưa đồng bộ được lần đầu: {exc}", file=sys.stderr)
    except SyncError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    finally:
        app.close()
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from desk_app.sync.client import SyncClient, SyncError, allows_http, make_http, server_url

    app = _app(args)
    try:
        url = server_url(app.station)
        if not url:
            print(
                "Lỗi: trạm chưa đăng ký với máy chủ trung tâm. Chạy “motcua enrol --server … --code …”.",
                file=sys.stderr,
            )
            return 1

        def progress(done: int, cursor: int, head: int) -> None:
            if not args.quiet and done:
                print(
                    f"\r  đã nhận {done:,} thay đổi (vị trí {cursor}/{head})",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

        try:
            with make_http(url, allow_http=allows_http(app.station)) as http:
                report = SyncClient(app.station, http).sync_round(progress)
        except SyncError as exc:
            with app.station.uow(write=False) as uow:
                pending = uow.outbox.pending_count()
            print(f"\nLỗi đồng bộ: {exc} Còn {pending} thay đổi chờ gửi.", file=sys.stderr)
            return 1
        if not args.quiet:
            if report.pull.changes:
                print(file=sys.stderr)
            print(
                f"Đã gửi {report.push.accepted} thay đổi ({report.push.duplicates} đã có trên máy chủ), "
                f"nhận {report.pull.applied.events} sự kiện mới, "
                f"{report.pull.applied.conflicts} xung đột, cấp thêm {report.leases} số hồ sơ."
            )
        if report.rejected:
            print(
                f"Cảnh báo: {report.rejected} thay đổi bị máy chủ từ chối; xem danh sách trong phần Đồng bộ.",
                file=sys.stderr,
            )
        if report.quarantined:
            print(
                f"Cảnh báo: {report.quarantined} thay đổi nhận từ máy chủ bị giữ lại "
                "vì dữ liệu không hợp lệ; hãy báo quản trị máy chủ.",
                file=sys.stderr,
            )
        if report.pending:
            print(f"Còn {report.pending} thay đổi chưa gửi được.", file=sys.stderr)
            return 1
        return 0
    finally:
        app.close()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("enrol", help="đăng ký trạm với máy chủ trung tâm")
    p.add_argument("--server", required=True, help="địa chỉ máy chủ, ví dụ https://motcua.example.gov.vn")
    p.add_argument("--code", required=True, help="mã đăng ký dùng một lần (motcua-central device enrol)")
    p.add_argument("--name", default="", help="tên thiết bị (ví dụ: Quầy 2)")
    p.add_argument(
        "--allow-http",
        action="store_true",
        help="chấp nhận máy chủ http:// không mã hóa ngoài máy này (chỉ khi đường truyền đã được bảo vệ)",
    )
    p.add_argument("--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})")
    p.set_defaults(func=cmd_enrol)

    p = sub.add_parser("sync", help="đồng bộ một lượt với máy chủ trung tâm")
    p.add_argument("--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_sync)
