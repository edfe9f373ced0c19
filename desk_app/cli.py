"""The ``motcua`` admin CLI (installers, support staff, tests).

Commands live in per-area modules that expose ``register(subparsers)``; this
file only assembles them, so each area owns its commands. Errors go to stderr
in Vietnamese with a non-zero exit status.

The commands that open windows are not here: ``ui/launcher.py`` (the ``motcua``
entry point) passes its module as ``extra_commands`` and reuses this ``main``
and its error handling, so the core never imports ``ui``.
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy.exc

from desk_app.cli_runner import (  # noqa: F401 - EXIT_* and UsageError are part of this module's API
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    VietnameseArgumentParser,
    describe_common_failure,
    run_command,
)
from desk_app.config import default_db_path
from desk_app.store.db import describe_sqlite_error

# Areas that contribute commands.
COMMAND_MODULES = (
    "desk_app.cli_core",
    "desk_app.roles_cli",
    "desk_app.queue.cli",
    "desk_app.devices.cli",
    "desk_app.sync.cli",
    "desk_app.reports.cli",
    "desk_app.notices.cli",
)

# Commands that only read or print an existing station: on a missing database file
# they must say so, not silently create an empty station.
NEEDS_EXISTING_STATION = frozenset({"dossier", "print"})


def build_parser(
    extra_commands: Sequence[str] = (), *, core_commands: bool = True
) -> argparse.ArgumentParser:
    """The ``motcua`` parser; ``extra_commands`` name more modules with ``register(subparsers)``.

    The extra modules register first, so that a launcher may claim a command name
    (``run-role``) that the core otherwise registers in a headless form. Without
    ``core_commands`` only the extra modules' commands exist (the launcher opening a
    window need not import every area's commands).
    """
    parser = VietnameseArgumentParser(
        prog="motcua",
        description="MotCua Desk — công cụ quản trị trạm tiếp nhận và trả kết quả.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết và chi tiết lỗi ra stderr"
    )
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    for name in (*extra_commands, *(COMMAND_MODULES if core_commands else ())):
        importlib.import_module(name).register(sub)
    return parser


def describe_failure(exc: BaseException, db_path: Path | None = None) -> str | None:
    """Vietnamese message for an expected failure, or None for a bug."""
    where = f" (tệp {db_path})" if db_path else ""
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        exc = exc.orig
    if isinstance(exc, sqlite3.Error):
        return describe_sqlite_error(exc) + where
    return describe_common_failure(exc, db_path)


def _db_path(args: argparse.Namespace) -> Path | None:
    if not hasattr(args, "db"):
        return None
    return Path(args.db) if args.db else default_db_path()


def _check_station_exists(args: argparse.Namespace) -> None:
    path = _db_path(args)
    # A WAL left without its database is the store's case (refused with its own advice).
    missing = path is not None and not path.exists() and not Path(f"{path}-wal").exists()
    if args.command in NEEDS_EXISTING_STATION and missing:
        raise UsageError(
            f"Không có cơ sở dữ liệu của trạm tại “{path}”. "
            "Kiểm tra tham số --db, hoặc tạo trạm bằng “motcua init”."
        )


def main(
    argv: Sequence[str] | None = None, extra_commands: Sequence[str] = (), *, core_commands: bool = True
) -> int:
    """Run a ``motcua`` command; ``ui/launcher.py`` adds its window commands as ``extra_commands``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run_command(
        lambda: build_parser(extra_commands, core_commands=core_commands),
        argv,
        lambda exc, args: describe_failure(exc, _db_path(args) if args is not None else None),
        _check_station_exists,
    )


if __name__ == "__main__":
    sys.exit(main())
