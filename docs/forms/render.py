"""Regenerate the sample PNGs in this folder: python docs/forms/render.py (needs pdftoppm)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import printing  # noqa: E402
from tests.printing.conftest import (  # noqa: E402
    VN,
    make_applicant,
    make_ctx,
    make_dossier,
    make_events,
    make_procedure,
    make_unit,
)


def png(pdf: bytes, name: str, dpi: int = 110, page: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "f.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                str(src),
                str(HERE / name),
            ],
            check=True,
        )


def main() -> None:
    ctx = make_ctx()
    png(printing.render_form("receipt", ctx), "receipt-mau01")
    png(printing.render_form("apology", ctx), "apology-mau04")
    dossiers, events = [], {}
    for i in range(40):
        day = dt.date(2026, 11, 2) + dt.timedelta(days=(i // 8) + 2 * (i // 40))
        received = dt.datetime(day.year, day.month, day.day, 7, 40, tzinfo=VN) + dt.timedelta(
            minutes=47 * (i % 8)
        )
        name = "Tôn Nữ Thị Phương Thảo" if i % 3 == 0 else "Nguyễn Thị Hồng Nhung"
        d = make_dossier(
            code=f"000.21.31.H56-{received:%y%m%d}-{i % 8 + 1:04d}",
            received=received,
            due=received + dt.timedelta(days=2),
            n=i + 1,
            applicant=make_applicant(name=name, street=f"{i + 3} Lê Thánh Tôn, tổ dân phố {i % 9 + 1}"),
        )
        dossiers.append(d)
        shift = received - dt.datetime(2026, 11, 22, 8, 15, tzinfo=VN)
        evs = [
            replace(e, at=e.at + shift, hlc=f"{(e.at + shift).isoformat()}-{k}")
            for k, e in enumerate(make_events())
        ]
        events[d.id] = evs if i % 4 else evs[:2]
    book = printing.render_logbook(
        make_unit(),
        dossiers,
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 30),
        events=events,
        procedures={make_procedure().code: make_procedure()},
        printed_at=dt.datetime(2026, 11, 30, 16, 0, tzinfo=VN),
        volume="03/2026",
    )
    png(book, "logbook-mau07-page1", dpi=90)


if __name__ == "__main__":
    main()
