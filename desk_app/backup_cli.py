"""``motcua backup`` and ``motcua restore`` (registered by ``desk_app.cli_core.register``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from desk_app.config import default_db_path


def cmd_backup(args: argparse.Namespace) -> int:
    from desk_app.services.backup import backup

    target = backup(args.db or default_db_path(), args.out)
    size_mb = target.stat().st_size / 2**20
    print(f"Đã sao lưu cơ sở dữ liệu của trạm vào “{target}” ({size_mb:.1f} MB), đã kiểm tra toàn vẹn.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from desk_app.services.backup import restore

    result = restore(args.file, args.db or default_db_path())
    print(f"Đã khôi phục cơ sở dữ liệu của trạm từ “{args.file}”.")
    if result.previous is not None:
        print(f"Cơ sở dữ liệu trước khi khôi phục được giữ lại ở “{result.previous}”.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db_help = f"tệp cơ sở dữ liệu (mặc định {default_db_path()})"
    p = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu của trạm (có thể chạy khi chương trình đang mở)")
    p.add_argument("--db", type=Path, default=None, help=db_help)
    p.add_argument("--out", type=Path, default=None, help="tệp sao lưu (mặc định: thư mục backups cạnh CSDL)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore", help="khôi phục cơ sở dữ liệu từ bản sao lưu (đóng chương trình trước khi chạy)"
    )
    p.add_argument("file", type=Path, help="tệp sao lưu do “motcua backup” tạo")
    p.add_argument("--db", type=Path, default=None, help=db_help)
    p.set_defaults(func=cmd_restore)
