"""Foundation benchmark: a 1,000,000-dossier station database and the counter's daily queries.

    python bench/bench_foundation.py [--db PATH] [--dossiers N]

Builds the database with ``motcua demo`` when it does not exist yet (about
20 minutes for 1,000,000 on a 2-core machine), then prints medians of:
look-up by code, by CCCD, diacritic-insensitive name search (first 50 hits),
creating one dossier (validation, code, events, outbox, commit), and the
database size per 1,000 dossiers. Goals: ≤ 2 ms, ≤ 2 ms, ≤ 50 ms, ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk_app.bootstrap import open_station  # noqa: E402
from desk_app.services.queries import DossierFilter  # noqa: E402
from desk_app.store.repositories import iso  # noqa: E402

NAME_QUERIES = [
    "nguyen van dung",
    "tran thi",
    "le minh tam",
    "hoang",
    "pham thu ha",
    "dang van",
    "vo thi lan",
    "bui duc",
    "ngo thanh",
    "huynh",
    "dung",
    "nguyen thi hong nhung",
]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=Path("/tmp/motcua-bench/1m.sqlite3"))
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()

    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {args.db} with {args.dossiers:,} dossiers (motcua demo)…", flush=True)
        start = time.perf_counter()
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
            cwd=ROOT,
        )
        print(f"built in {time.perf_counter() - start:.0f} s")

    app = open_station(args.db)
    q = app.queries
    rng = random.Random(7)
    with app.station.uow(write=False) as uow:
        total = uow.conn.exec_driver_sql("SELECT max(rowid) FROM dossiers").scalar() or 0
        count = uow.conn.exec_driver_sql("SELECT count(*) FROM dossiers").scalar()
        picks = [
            uow.conn.exec_driver_sql(
                "SELECT code, applicant_id_number FROM dossiers WHERE rowid = ?", (rng.randint(1, total),)
            ).first()
            for _ in range(args.samples)
        ]
    picks = [p for p in picks if p]
    print(f"database: {args.db} — {count:,} dossiers")

    # warm the page cache once, as a station that has been running would be
    for code, _cccd in picks[:20]:
        q.page(DossierFilter(search=code), limit=1)

    by_code = [timed(q.find_code, code)[0] for code, _ in picks]
    by_cccd = [timed(q.by_id_number, cccd)[0] for _, cccd in picks]
    names = []
    for _ in range(3):
        for name in NAME_QUERIES:
            seconds, rows = timed(q.search_names, name, 50)
            names.append(seconds)
    assert all(q.find_code(code) is not None for code, _ in picks[:10])

    # creating one dossier through the full intake path
    from desk_app.services import demo
    from desk_app.services.intake import IntakeRequest

    with app.station.uow(write=False) as uow:
        procs = uow.procedures.all()
    creates = []
    for i in range(100):
        proc = procs[i % len(procs)]
        req = IntakeRequest(
            procedure_code=proc.code,
            applicant=demo.make_person(rng, app.station.now().date(), ("56", "Tỉnh Khánh Hòa"), []),
            components=demo._components(proc, rng),
        )
        seconds, _ = timed(app.intake.receive, "canbo1", req)
        creates.append(seconds)

    dashboard_s, board = timed(q.dashboard)
    size = sum(p.stat().st_size for p in args.db.parent.glob(args.db.name + "*"))
    print(f"look-up by code            median {median_ms(by_code):7.2f} ms   (goal ≤ 2 ms, n={len(by_code)})")
    print(f"look-up by CCCD            median {median_ms(by_cccd):7.2f} ms   (goal ≤ 2 ms, n={len(by_cccd)})")
    print(
        f"name search, first 50 hits median {median_ms(names):7.2f} ms   (goal ≤ 50 ms, max "
        f"{max(names) * 1000:.1f} ms, n={len(names)})"
    )
    print(
        f"create one dossier         median {median_ms(creates):7.2f} ms   (goal ≤ 10 ms, n={len(creates)})"
    )
    print(f"dashboard counts                  {dashboard_s * 1000:7.1f} ms   {board}")
    print(
        f"database size              {size / 1e9:.2f} GB = "
        f"{size / count * 1000 / 1e6:.2f} MB per 1,000 dossiers"
    )
    print(f"at {iso(app.station.now())}")
    app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
