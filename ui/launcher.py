"""The ``motcua`` entry point: the core's admin CLI plus the commands that open windows.

``desk_app/cli.py`` builds the parser and owns error handling; this module adds
``run`` (the default command), ``run-demo`` and ``run-role kiosk|display`` to it,
and ``print`` from ``printing/cli.py``.
That keeps the dependency one way: ``ui`` imports the core, the core never
imports ``ui``. Qt is imported only when a window is really opened, so
``motcua dossier list`` and friends start without it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desk_app import cli
from desk_app.cli_core import add_db
from desk_app.roles_cli import WINDOW_ROLES, add_run_role

if TYPE_CHECKING:
    from desk_app.bootstrap import App
    from desk_app.roles import Devices


def cmd_run(args: argparse.Namespace) -> int:
    from ui.app import main as gui_main

    return int(gui_main(db_path=args.db, demo=getattr(args, "demo", False)) or 0)


def run_window(app: App, devices: Devices, role: str, *, fullscreen: bool) -> int:
    """``run-role kiosk|display``: that one window until it closes (or Ctrl-C)."""
    from ui.roles import run_role_window

    name = {"kiosk": "máy lấy số", "display": "màn hình gọi số"}[role]
    return run_role_window(
        app,
        devices,
        role,
        fullscreen=fullscreen,
        on_ready=lambda: print(f"Đã mở {name} (Ctrl+C để đóng).", file=sys.stderr, flush=True),
    )


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("run", help="mở chương trình (mặc định)")
    add_db(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("run-demo", help="mở chương trình trên dữ liệu mẫu với thiết bị mô phỏng")
    add_db(p)
    p.set_defaults(func=cmd_run, demo=True)

    add_run_role(sub, WINDOW_ROLES, run_window)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("--db"):
        args = ["run", *args]  # running the GUI is the default command
    # Opening the program must not import what only other commands need (reportlab for
    # ``print``, every area's admin commands): the GUI's start-up time is the officer's wait.
    gui = args[0] in ("run", "run-demo")
    # printing.reports adds no command: it gives ``motcua report --format pdf`` its renderer.
    extra = ("ui.launcher",) if gui else ("ui.launcher", "printing.cli", "printing.reports")
    return cli.main(args, extra_commands=extra, core_commands=not gui)


if __name__ == "__main__":
    sys.exit(main())
