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
import logging
import sys
from collections.abc import Sequence

from desk_app.domain.errors import DomainError

# Areas that contribute commands.
COMMAND_MODULES = (
    "desk_app.cli_core",
    "desk_app.roles_cli",
    "desk_app.queue.cli",
    "desk_app.devices.cli",
    "desk_app.sync.cli",
    "desk_app.reports.cli",
)

EXIT_USAGE = 2
EXIT_FAILURE = 1


def build_parser(extra_commands: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The ``motcua`` parser; ``extra_commands`` name more modules with ``register(subparsers)``.

    The extra modules register first, so that a launcher may claim a command name
    (``run-role``) that the core otherwise registers in a headless form.
    """
    parser = argparse.ArgumentParser(
        prog="motcua",
        description="MotCua Desk — công cụ quản trị trạm tiếp nhận và trả kết quả.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết ra stderr")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    for name in (*extra_commands, *COMMAND_MODULES):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None, extra_commands: Sequence[str] = ()) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(extra_commands)
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
