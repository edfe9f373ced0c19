"""Report benchmark: a year's periodic report on a big station database.

    python bench/bench_reports.py [--db PATH] [--dossiers N] [--runs N]

Builds the database with ``motcua demo`` when it does not exist yet (about
4 minutes for 100,000 dossiers on the 2-core machine; the demo spreads them
over 2,500 working days, i.e. ~10 years, so a year holds a tenth of them).
Prints medians of: reading the year's candidate dossiers and their events
(SQL), computing facts and tallies (pure Python), the whole periodic report
(by field + 766 indicators) and the same with the 12 monthly tallies for the
chart. Goal: a year's report on a 1,000,000-dossier station ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from desk_app.bootstrap import open_station  # noqa: E402
from desk_app.reports.facts import period_facts  # noqa: E402
from desk_app.reports.indicators import tally, tally_by  # noqa: E402
from desk_app.reports.periods import year_of  # noqa: E402
from desk_app.reports.query import ReportRepository, ReportService  # noqa: E402

CPU: list[float] = []


def median_ms(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall time in ms; the median CPU time of the process goes to ``CPU[-1]``.

    On a shared machine the CPU time is the steadier figure (wall time includes
    waiting for a core).
    """
    samples, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU.append(statistics.median(cpu) * 1000)
    return statistics.median(samples) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "reports-100k.sqlite3")
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {args.db} with {args.dossiers:,} dossiers …", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "desk_app.cli",
                "demo",
                "--db",
                str(args.db),
                "--dossiers",
                str(args.dossiers),
            ],
            check=True,
        )
    app = open_station(args.db)
    try:
        with app.station.uow(write=False) as uow:
            count, latest = uow.conn.execute(text("SELECT count(*), max(received_at) FROM dossiers")).one()
        last_year = int(latest[:4]) - 1  # the last full calendar year of the database
        service = ReportService(app.station)
        print(f"database: {args.db} ({count:,} dossiers, latest received {latest[:10]})")
        for year in (last_year, last_year + 1):
            period = year_of(year)

            def read(period=period):  # type: ignore[no-untyped-def]
                with app.station.uow(write=False) as uow:
                    return ReportRepository(uow.conn).records(period.start, period.end)

            read_ms, records = median_ms(read, args.runs)
            now = app.station.now()

            def compute(records=records, period=period, now=now):  # type: ignore[no-untyped-def]
                facts = period_facts(records, period.start, period.end, now)
                return tally(facts), tally_by(facts, lambda f: f.field)

            compute_ms, (total, _) = median_ms(compute, args.runs)
            report_ms, _ = median_ms(
                lambda period=period: service.summary(period, with_months=False), args.runs
            )
            months_ms, _ = median_ms(lambda period=period: service.summary(period), max(1, args.runs // 2))
            events = sum(len(r.events) for r in records)
            print(
                f"year {year}: {len(records):,} candidate dossiers, {events:,} events; "
                f"received {total.received_total:,} "
                f"(new {total.received_new:,}, carried {total.carried_over:,})"
            )
            cpu = dict(zip(("read", "compute", "report", "months"), CPU[-4:], strict=True))
            print(f"  read (SQL + rows)         median {read_ms:8.1f} ms (CPU {cpu['read']:.0f} ms)")
            print(f"  facts + tallies           median {compute_ms:8.1f} ms (CPU {cpu['compute']:.0f} ms)")
            print(
                f"  year report (by field)    median {report_ms:8.1f} ms (CPU {cpu['report']:.0f} ms)"
                "   goal for 1M dossiers: ≤ 500 ms"
            )
            print(f"  … with 12 monthly tallies median {months_ms:8.1f} ms (CPU {cpu['months']:.0f} ms)")
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
