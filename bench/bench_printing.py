"""Printing benchmark (not a test): python bench/bench_printing.py

Prints the median time of one receipt PDF over 60 renders (goal <= 20 ms) and of
a 1,000-row logbook over 3 renders (goal <= 2 s), after a warm-up render that
registers the fonts once.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import printing  # noqa: E402
from tests.printing.conftest import (  # noqa: E402
    VN,
    make_applicant,
    make_ctx,
    make_dossier,
    make_events,
    make_procedure,
    make_unit,
)  # noqa: E402


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    try:
        import _rl_accel  # noqa: F401

        accel = "yes"
    except ImportError:
        accel = "NO"
    ctx = make_ctx()
    t0 = time.perf_counter()
    first = printing.render_form("receipt", ctx)
    print(
        f"rl-accel: {accel}; first receipt (font registration included): "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms, "
        f"{len(first) / 1024:.1f} KiB"
    )
    for form in printing.FORMS:
        times = timed(lambda form=form: printing.render_form(form, ctx), 60)
        print(
            f"{form:<11} median {statistics.median(times) * 1000:6.1f} ms  "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}) over {len(times)} renders"
        )
    two = make_ctx(copies=2)
    times = timed(lambda: printing.render_form("receipt", two), 60)
    print(f"receipt ×2  median {statistics.median(times) * 1000:6.1f} ms (Liên 1 + Liên 2)")

    start = dt.datetime(2026, 1, 5, 7, 30, tzinfo=VN)
    dossiers, events = [], {}
    for i in range(1000):
        received = start + dt.timedelta(minutes=53 * i)
        d = make_dossier(
            code=f"000.21.31.H56-{received:%y%m%d}-{i % 9999 + 1:04d}",
            received=received,
            due=received + dt.timedelta(days=3),
            n=i + 1,
            applicant=make_applicant(
                name=f"Nguyễn Thị Hồng Nhung {i}", street=f"{i} đường Lê Thánh Tôn, tổ dân phố {i % 30}"
            ),
        )
        dossiers.append(d)
        events[d.id] = make_events()
    procs = {make_procedure().code: make_procedure()}
    unit = make_unit()

    def book() -> bytes:
        return printing.render_logbook(
            unit, dossiers, dt.date(2026, 1, 1), dt.date(2026, 12, 31), events=events, procedures=procs
        )

    pdf = book()
    times = timed(book, 3)
    print(
        f"logbook 1000 rows: median {statistics.median(times):.2f} s over {len(times)} renders, "
        f"{pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages')} pages, {len(pdf) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
