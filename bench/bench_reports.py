"""Report benchmark: a year's periodic report on a big station database.

    python bench/bench_reports.py [--db PATH] [--dossiers N] [--runs N]
    python bench/bench_reports.py --station-1m /work/b1m.sqlite3 [--db COPY] [--runs N]

Builds the database with ``motcua demo`` when it does not exist yet (about
4 minutes for 100,000 dossiers on the 2-core machine; the demo spreads them
over 2,500 working days, i.e. ~10 years, so a year holds a tenth of them).
Prints medians of: reading the year's candidate dossiers and their events
(SQL), computing facts and tallies (pure Python), the whole periodic report
(by field + 766 indicators) and the same with the 12 monthly tallies for the
chart. Goal: a year's report on a 1,000,000-dossier station ≤ 500 ms.

``--station-1m SRC``: the 1,000,000-dossier station made by ``bench/bench_ui.py``
(20,000 demo dossiers with their events plus SQL copies *without* events). SRC is
never modified: it is copied to ``--db`` (default ``bench/out/reports-1m.sqlite3``)
and the copies are given their originals' events (bench-only, ~4 M events), so that
every dossier has a history. Then, on that copy: the year's report read from the
events (the code before the report rows, ``ReportService._summary_from_events``),
the migration that creates and fills the report rows (timed), and the same report
from the rows (``ReportService.summary``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
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


def prepare_1m(src: Path, dst: Path) -> None:
    """``dst`` = a copy of ``src`` whose SQL-copied dossiers (id ``<uuid>-k``) get their originals' events."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = dst.with_name(dst.name + ".part")
    shutil.copyfile(src, tmp)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        copies = conn.execute(
            "SELECT max(CAST(substr(id, 38) AS integer)) FROM dossiers WHERE id LIKE '%-%-%-%-%-%'"
        ).fetchone()[0]
        conn.execute("CREATE TEMP TABLE originals AS SELECT * FROM dossier_events")
        columns = "id, dossier_id, kind, at, actor, device_id, hlc, payload, conflict"
        for k in range(1, (copies or 0) + 1):
            conn.execute(
                f"INSERT INTO dossier_events ({columns}) "
                f"SELECT e.id || '-{k}', e.dossier_id || '-{k}', e.kind, e.at, e.actor, e.device_id, e.hlc, "
                "e.payload, e.conflict FROM originals AS e "
                f"JOIN dossiers AS d ON d.id = e.dossier_id || '-{k}'"
            )
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        events = conn.execute("SELECT count(*) FROM dossier_events").fetchone()[0]
    finally:
        conn.close()
    for side in ("-wal", "-shm"):
        Path(str(tmp) + side).unlink(missing_ok=True)
    tmp.rename(dst)
    print(f"prepared {dst}: {events:,} events ({time.perf_counter() - started:.0f} s)", flush=True)


def station_1m(args: argparse.Namespace) -> int:
    from desk_app.reports.periods import quarter_of
    from desk_app.services.station import Station
    from desk_app.store.db import Database, migrate_to_head, script_heads

    if not args.db.exists():
        prepare_1m(args.station_1m, args.db)
    db = Database(args.db, migrate=False)
    try:
        with db.read() as conn:
            count, latest = conn.execute(text("SELECT count(*), max(received_at) FROM dossiers")).one()
            events = conn.execute(text("SELECT count(*) FROM dossier_events")).scalar_one()
            version = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        print(f"database: {args.db} ({count:,} dossiers, {events:,} events, latest received {latest[:10]})")
        station = Station(db)
        service = ReportService(station)
        year = int(latest[:4]) - 1
        periods = [year_of(year), quarter_of(year, 4)]
        before: dict[str, tuple[float, float]] = {}
        if not args.skip_before:
            for period in periods:
                for months in (False, True):
                    ms, summary = median_ms(
                        lambda p=period, m=months: service._summary_from_events(p, None, m)[0],
                        args.before_runs,
                    )
                    before[f"{period.label}{' + chart' if months else ''}"] = (ms, CPU[-1])
                    print(
                        f"  before (events) {period.label:<14} {'+ by month' if months else '':<12}"
                        f" median {ms:9.1f} ms (CPU {CPU[-1]:.0f} ms); "
                        f"in report {summary.total.received_total:,}",
                        flush=True,
                    )
        if version != script_heads():
            started, started_cpu = time.perf_counter(), time.process_time()
            migrate_to_head(db.engine)
            print(
                f"  migration 0006 (tables + backfill + indexes): {time.perf_counter() - started:.1f} s "
                f"(CPU {time.process_time() - started_cpu:.1f} s)",
                flush=True,
            )
        with db.read() as conn:
            rows = conn.execute(text("SELECT count(*) FROM dossier_report_rows")).scalar_one()
            irregular = conn.execute(
                text("SELECT count(*) FROM dossier_report_rows WHERE regular = 0")
            ).scalar_one()
        print(f"  report rows: {rows:,} ({irregular:,} irregular)")
        for period in periods:
            for months in (False, True):
                ms, summary = median_ms(
                    lambda p=period, m=months: service.summary(p, with_months=m), args.runs
                )
                label = f"{period.label}{' + chart' if months else ''}"
                was = before.get(label)
                print(
                    f"  after (rows)    {period.label:<14} {'+ by month' if months else '':<12}"
                    f" median {ms:9.1f} ms (CPU {CPU[-1]:.0f} ms); in report {summary.total.received_total:,}"
                    + (f"; before {was[0]:,.0f} ms" if was else "")
                    + ("   goal ≤ 500 ms" if not months and period.kind.value == "year" else ""),
                    flush=True,
                )
                if was is not None:
                    old = service._summary_from_events(period, None, months)[0]
                    assert summary.total == old.total and summary.by_field == old.by_field, label
                    assert [t for _, t in summary.by_month] == [t for _, t in old.by_month], label
    finally:
        db.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--station-1m", type=Path, default=None, help="bench_ui's 1M station (copied)")
    parser.add_argument("--before-runs", type=int, default=5)
    parser.add_argument("--skip-before", action="store_true", help="1M: rows only (no comparison)")
    args = parser.parse_args()
    if args.station_1m is not None:
        args.db = args.db or ROOT / "bench" / "out" / "reports-1m.sqlite3"
        return station_1m(args)
    args.db = args.db or ROOT / "bench" / "out" / "reports-100k.sqlite3"
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
