"""The ``motcua`` admin CLI (installers, support staff, tests) and the GUI launcher.

Commands live in per-area modules that expose ``register(subparsers)``; this
file only assembles them, so each area owns its commands. Errors go to stderr
in Vietnamese with a non-zero exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from desk_app.domain.errors import DomainError

# Areas that contribute commands; a missing optional area is skipped.
COMMAND_MODULES = (
    "desk_app.cli_core",
    "desk_app.roles_cli",
    "desk_app.queue.cli",
    "desk_app.devices.cli",
    "desk_app.sync.cli",
    "printing.cli",
    "desk_app.reports.cli",
    "desk_app.notices.cli",
    "printing.reports",  # motcua report; printing injects the PDF renderer
)

EXIT_USAGE = 2
EXIT_FAILURE = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motcua",
        description="MotCua Desk — công cụ quản trị trạm tiếp nhận và trả kết quả.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết ra stderr")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # that area is not installed in this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0].startswith("--db"):
        argv = ["run", *argv]  # running the GUI is the default command
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result = args.func(args)
    except DomainError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
