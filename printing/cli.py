"""``motcua print FORM``: a dossier's form or the logbook as a PDF file.

Registered by the ``motcua`` launcher (``ui/launcher.py``) next to the core's
commands: the core CLI cannot list it, as ``desk_app`` never imports ``printing``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desk_app.bootstrap import open_station
from desk_app.cli_core import add_db, parse_date
from desk_app.domain.errors import DomainError, ValidationError

PRINT_FORMS = ("receipt", "supplement", "refusal", "apology", "stop", "control", "logbook")


def cmd_print(args: argparse.Namespace) -> int:
    from printing.printouts import render_dossier_form, render_logbook_range

    app = open_station(args.db)
    try:
        if args.form == "logbook":
            if not (args.date_from and args.date_to):
                raise ValidationError("date", "Sổ theo dõi cần --from và --to (YYYY-MM-DD).")
            pdf = render_logbook_range(app, parse_date(args.date_from), parse_date(args.date_to))
        else:
            if not args.dossier:
                raise ValidationError("dossier", "Cần --dossier MÃ_HỒ_SƠ.")
            pdf = render_dossier_form(app, args.form, args.dossier.strip())
    finally:
        app.close()
    out = Path(args.out)
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        raise DomainError(f"Không ghi được tệp “{out}”: {exc.strerror}.") from None
    print(f"Đã ghi {out} ({len(pdf):,} byte).")
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("print", help="in biểu mẫu ra tệp PDF")
    add_db(p)
    p.add_argument("form", choices=PRINT_FORMS)
    p.add_argument("--dossier", default="")
    p.add_argument("--from", dest="date_from", default="")
    p.add_argument("--to", dest="date_to", default="")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_print)
