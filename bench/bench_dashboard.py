"""Province dashboard benchmark: 100 units, 5,000,000 dossiers over 5 years on PostgreSQL.

A script that prints figures (not a test, not run in CI). It starts a throwaway
PostgreSQL cluster (Debian binaries, as ``nobody`` when run as root; the sync
tests' ``start_pg_cluster``), migrates it, and fills the report tables
(``report_dossiers``, ``report_steps``, ``report_fixes``, ``report_rollups``) with
generated data **directly, bypassing push**: pushing 5M dossiers' events through
the rules would take hours on this machine, and the dashboard only reads those
tables. The rows are generated *inside* PostgreSQL (``INSERT … SELECT`` over
``generate_series``, the equivalent of a ``COPY`` of generated rows without
shipping 30M rows through Python) with the shapes ``central.rollups`` writes:
one receipt step per dossier, a finish step for the finished ones, a clock step
("became overdue") at the deadline of every dossier still open then or finished
late, supplement steps for 10%, fixes for 1%; roll-ups are the sums of the steps
per day, month and year. About 3% of the dossiers of the last month and 1.5% of
the older ones are still open, most of the old ones overdue.

Then it measures what each dashboard page calls, many times (``now`` fixed at
25/11/2026 14:30, a Wednesday afternoon):

* ``scorecards`` for this month, this quarter, this year;
* ``overdue_dossiers`` of one unit;
* ``periodic`` for the province and for one unit, for a year (2025).

then, with ``--http`` (default on), the same pages end to end: uvicorn serving
``create_app`` on 127.0.0.1 over that database (clock fixed at ``now``), a province
admin logged in with httpx, each page's GET timed (HTML rendered, 100 rows for the
scorecard; the Excel download too);

and, with ``--push N``, the cost the roll-up maintenance adds to a push: N
batches of events through ``service.push`` with the maintenance and without it.

    .venv/bin/python bench/bench_dashboard.py [--dossiers 5000000] [--units 100] [--calls 40] [--push 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from central import reporting, rollups  # noqa: E402
from central import service as svc  # noqa: E402
from central.db import make_engine, migrate  # noqa: E402
from desk_app.reports.periods import month_of, quarter_of, year_of  # noqa: E402
from desk_app.workcalendar import VN_TZ  # noqa: E402
from tests.sync.conftest import start_pg_cluster, stop_pg_cluster  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 14, 30, tzinfo=VN_TZ)
DAY_US = 86_400_000_000
FIELDS = (
    "Hộ tịch",
    "Chứng thực",
    "Đất đai",
    "Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Tư pháp",
    "Giáo dục",
    "Y tế",
    "Giao thông vận tải",
)
ZEROS = dict.fromkeys(rollups.COLUMNS, "0")


def _step_select(values: dict[str, str], at: str, strict: str, n: str, where: str) -> str:
    cols = ", ".join(values.get(c, "0") for c in rollups.COLUMNS)
    return f"SELECT id, {n}, {at}, {strict}, unit, field, channel, {cols} FROM gen WHERE {where}"  # noqa: S608


def generate(conn: Any, dossiers: int, units: int) -> None:
    now_us = rollups.us(NOW)
    span_us = 5 * 365 * DAY_US
    conn.execute(text("SELECT setseed(0.42)"))
    t0 = time.perf_counter()
    fields = "ARRAY[" + ", ".join(f"'{f}'" for f in FIELDS) + "]"
    # One row per dossier: received over 5 years (office hours), a deadline 1-15 days later,
    # finished (resolved early/on time/late or dropped) or still open.
    conn.execute(
        text(
            f"""
        CREATE UNLOGGED TABLE gen AS
        SELECT i, 'x' || lpad(i::text, 9, '0') AS id,
               'U' || lpad((i % {units})::text, 3, '0') AS unit,
               ({fields})[1 + floor(power(random(), 1.6) * 10)::int] AS field,
               CASE WHEN r_ch < 0.3 THEN 'truc_tuyen' WHEN r_ch < 0.4 THEN 'buu_chinh' ELSE 'truc_tiep' END
                   AS channel,
               rec AS received_us,
               rec + (1 + floor(random() * 15))::bigint * {DAY_US} AS due_us,
               r_end, r_fin, r_sup
        FROM (
            SELECT i, random() AS r_ch, random() AS r_end, random() AS r_fin, random() AS r_sup,
                   ({now_us} - {span_us} + floor(random() * {span_us / DAY_US})::bigint * {DAY_US}
                    + (floor(random() * 9 * 3600) + 3600)::bigint * 1000000) AS rec
            FROM generate_series(1, {dossiers}) AS i
        ) s
        """  # noqa: S608
        )
    )
    conn.execute(
        text(
            f"""
        ALTER TABLE gen ADD COLUMN finished_us bigint, ADD COLUMN outcome text;
        UPDATE gen SET
          finished_us = CASE
            WHEN received_us > {now_us} - 30 * {DAY_US} AND r_end < 0.45 THEN NULL  -- recent: still open
            WHEN r_end < 0.015 THEN NULL                                           -- old and stuck
            ELSE received_us + floor((due_us - received_us) * (0.2 + r_fin * 1.1))::bigint END;
        UPDATE gen SET finished_us = NULL WHERE finished_us > {now_us};
        UPDATE gen SET outcome = CASE
            WHEN finished_us IS NULL THEN CASE WHEN due_us < {now_us} THEN 'overdue' ELSE 'in_time' END
            WHEN r_sup > 0.97 THEN 'dropped'
            WHEN finished_us > due_us THEN 'late'
            WHEN (finished_us + 7 * 3600000000) / {DAY_US} < (due_us + 7 * 3600000000) / {DAY_US}
                THEN 'early'
            ELSE 'on_time' END;
        """  # noqa: S608
        )
    )
    print(f"  dossiers generated in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    conn.execute(
        text(
            """
        INSERT INTO report_dossiers (dossier_id, code, unit, receiving_unit, field, channel, procedure_code,
            procedure_name, applicant_name, head_seq, received_us, due_us, finished_us, last_event_us,
            deadline_us, overdue_after_us, irregular)
        SELECT id, unit || '-' || i, unit, unit, field, channel, 'p' || (i % 40), 'Thủ tục ' || (i % 40),
               'Người ' || i, i, received_us, due_us, finished_us, COALESCE(finished_us, received_us),
               due_us, CASE WHEN finished_us IS NULL THEN due_us END, 0
        FROM gen
        """
        )
    )
    print(f"  report_dossiers in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    rcv = "CASE WHEN channel = '{}' THEN 1 ELSE 0 END"
    finished = "finished_us IS NOT NULL"
    dig = "CASE WHEN r_fin < 0.6 THEN 1 ELSE 0 END"
    selects = [
        _step_select(
            {
                "rcv_online": rcv.format("truc_tuyen"),
                "rcv_post": rcv.format("buu_chinh"),
                "rcv_direct": rcv.format("truc_tiep"),
                "n_open": "1",
                "comp_open": dig,
                "comp": dig,
            },
            "received_us",
            "0",
            "0",
            "true",
        ),
        _step_select(
            {
                "n_open": "-1",
                "n_overdue": "CASE WHEN outcome = 'late' THEN -1 ELSE 0 END",
                "early": "CASE WHEN outcome = 'early' THEN 1 ELSE 0 END",
                "on_time": "CASE WHEN outcome = 'on_time' THEN 1 ELSE 0 END",
                "late": "CASE WHEN outcome = 'late' THEN 1 ELSE 0 END",
                "dropped": "CASE WHEN outcome = 'dropped' THEN 1 ELSE 0 END",
                "digitised": f"CASE WHEN outcome <> 'dropped' THEN {dig} ELSE 0 END",
                "results_digitised": f"CASE WHEN outcome <> 'dropped' THEN {dig} ELSE 0 END",
                "comp_open": f"-{dig}",
            },
            "finished_us",
            "0",
            "1",
            finished,
        ),
        # became overdue at the deadline: still open then, or finished late
        _step_select(
            {"n_overdue": "1"},
            "due_us",
            "1",
            "2",
            "(finished_us IS NULL OR outcome = 'late')",
        ),
        _step_select(
            {"supplement_requests": "1"},
            "received_us + 3600000000",
            "0",
            "3",
            "r_sup < 0.1",
        ),
    ]
    conn.execute(
        text(
            "INSERT INTO report_steps (dossier_id, n, at_us, strict, unit, field, channel, "
            + ", ".join(rollups.COLUMNS)
            + ") "
            + " UNION ALL ".join(selects)
        )
    )
    conn.execute(
        text(
            "INSERT INTO report_fixes (dossier_id, n, finished_us, at_us, unit, field, channel, "
            + ", ".join(rollups.COLUMNS)
            + ") SELECT id, 0, finished_us, finished_us + 2 * "
            + str(DAY_US)
            + ", unit, field, channel, "
            + ", ".join("1" if c == "results_signed" else "0" for c in rollups.COLUMNS)
            + f" FROM gen WHERE {finished} AND outcome <> 'dropped' AND r_sup BETWEEN 0.5 AND 0.51"
        )
    )
    print(f"  report_steps and report_fixes in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    sums = ", ".join(f"SUM({c})" for c in rollups.COLUMNS)
    day = "(DATE '1970-01-01' + ((at_us + 25200000000) / 86400000000)::int)"
    cols = ", ".join(rollups.COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO report_rollups (scope, grain, bucket, unit, field, channel, {cols}) "
            f"SELECT 'f', 'd', to_char({day}, 'YYYY-MM-DD'), unit, field, channel, {sums} "  # noqa: S608
            "FROM report_steps GROUP BY 3, 4, 5, 6"
        )
    )
    for grain, length in (("m", 7), ("y", 4)):
        pad = "-01" if grain == "m" else "-01-01"
        conn.execute(
            text(
                f"INSERT INTO report_rollups (scope, grain, bucket, unit, field, channel, {cols}) "
                f"SELECT 'f', '{grain}', substr(bucket, 1, {length}) || '{pad}', unit, field, channel, "  # noqa: S608
                f"{sums} FROM report_rollups WHERE scope = 'f' AND grain = 'd' GROUP BY 3, 4, 5, 6"
            )
        )
    for scope, unit_expr, field_expr in (("u", "unit", "''"), ("p", "''", "field")):
        conn.execute(
            text(
                f"INSERT INTO report_rollups (scope, grain, bucket, unit, field, channel, {cols}) "
                f"SELECT '{scope}', grain, bucket, {unit_expr}, {field_expr}, '', {sums} "  # noqa: S608
                f"FROM report_rollups WHERE scope = 'f' GROUP BY 2, 3, 4, 5"
            )
        )
    conn.execute(
        text(
            "INSERT INTO units (code, name, created_at) "
            "SELECT DISTINCT unit, 'Đơn vị ' || unit, '2021-01-01' FROM gen"
        )
    )
    conn.execute(
        text(
            "INSERT INTO unit_freshness (unit_code, last_change_at) "
            "SELECT code, '2026-11-25T07:00:00.000+00:00' FROM units"
        )
    )
    conn.execute(text("DROP TABLE gen"))
    print(f"  roll-ups in {time.perf_counter() - t0:.0f} s", flush=True)


def measure(name: str, call: Callable[[], Any], calls: int) -> None:
    call()  # warm the caches and the plans
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"  {name:<44} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms", flush=True)


def bench_pages(url: str, unit: str, calls: int) -> None:
    """The dashboard's pages over real HTTP, logged in as a province admin."""
    import re

    import httpx

    from central.web import accounts
    from tests.sync.conftest import LiveServer

    live = LiveServer(url, clock=lambda: NOW)
    try:
        accounts.add_staff(
            live.store, "bench", "Quản trị", "mat-khau-bench-2026", accounts.PROVINCE_ADMIN, now=NOW
        )
        with httpx.Client(base_url=live.url, timeout=120, follow_redirects=True) as http:
            form = http.get("/quan-tri/dang-nhap").text
            match = re.search(r'name="csrf" value="([^"]+)"', form)
            assert match is not None, "no CSRF field on the login page"
            r = http.post(
                "/quan-tri/dang-nhap",
                data={"username": "bench", "password": "mat-khau-bench-2026", "csrf": match.group(1)},
            )
            assert r.status_code == 200 and "Bảng điểm" in r.text, r.status_code
            pages = [
                ("page: scorecard, this month", "/quan-tri?ky=2026-11"),
                ("page: scorecard, this year", "/quan-tri?ky=2026"),
                ("page: scorecard, last year", "/quan-tri?ky=2025"),
                (f"page: overdue list ({unit})", f"/quan-tri/don-vi/{unit}/qua-han"),
                (f"page: penalty preview ({unit})", f"/quan-tri/don-vi/{unit}/canh-bao"),
                ("page: report, province, 2025", "/quan-tri/bao-cao?ky=2025"),
                (f"page: report, {unit}, 2025", f"/quan-tri/bao-cao?ky=2025&don-vi={unit}"),
                ("page: Excel, province, 2025", "/quan-tri/bao-cao/tai-ve.xlsx?ky=2025"),
                (
                    f"page: list 'late', {unit}, this month",
                    f"/quan-tri/don-vi/{unit}/so-lieu/late?ky=2026-11",
                ),
            ]
            for name, path in pages:

                def get(path: str = path) -> None:
                    response = http.get(path)
                    assert response.status_code == 200, (path, response.status_code)

                measure(name, get, calls)
    finally:
        live.stop()


def table_sizes(conn: Any) -> None:
    for table in ("report_dossiers", "report_steps", "report_fixes", "report_rollups"):
        count = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: S608
        size = conn.execute(text(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")).scalar()
        print(f"  {table:<16} {count:>12,} rows  {size}")


def bench_push(store: svc.Store, batches: int) -> None:
    """Push ``batches`` batches (50 new dossiers, 3 events each) with and without the roll-up upkeep."""
    from desk_app.domain import wire
    from desk_app.domain.lifecycle import DossierEvent, EventKind
    from desk_app.domain.wire import WireChange

    unit = "000.21.31.H56"
    svc.add_unit(store, unit, "Đơn vị đo")
    with store.write() as conn:
        conn.execute(
            text(
                "INSERT INTO devices (id, unit_code, name, slot, token_hash, created_at) "
                "VALUES ('bench-dev', :u, 'bench', 0, 'bench', '2026-11-01')"
            ),
            {"u": unit},
        )
    device = svc.DeviceInfo("bench-dev", unit, 0, "bench", None)
    counter = iter(range(1, 10**6))

    def batch() -> list[WireChange]:
        out = []
        for _ in range(50):
            n = next(counter)
            dossier_id = f"bench-{n:06d}"
            code = f"{unit}-261125-{n:04d}"
            at = dt.datetime(2026, 11, 20, 8, 0, tzinfo=VN_TZ) + dt.timedelta(minutes=n % 600)
            due = at + dt.timedelta(days=5)
            snap = {
                "id": dossier_id,
                "code": code,
                "unit_code": unit,
                "procedure_code": "1.001193.000.00.00.H56",
                "procedure_name": "Đăng ký khai sinh",
                "field": "Hộ tịch",
                "applicant_id": f"a-{n}",
                "applicant_name": "Nguyễn Văn A",
                "channel": "truc_tiep",
                "return_method": "tai_quay",
                "received_at": at.isoformat(),
            }
            kinds = [
                (
                    EventKind.RECEIVED,
                    {
                        "due_at": due.isoformat(),
                        "dossier": snap,
                        "applicant": {"id": f"a-{n}", "full_name": "Nguyễn Văn A"},
                    },
                ),
                (EventKind.PROCESSING_STARTED, {}),
                (EventKind.RESULT_READY, {"result": ""}),
            ]
            for k, (kind, payload) in enumerate(kinds):
                when = at + dt.timedelta(hours=k)
                ms = int(when.timestamp() * 1000)
                event = DossierEvent(
                    f"{dossier_id}-{k}",
                    dossier_id,
                    kind,
                    when,
                    "canbo1",
                    "bench-dev",
                    f"{ms:013d}-00000-bench-dev",
                    payload,
                )
                out.append(WireChange(id=event.id, kind="event", payload=wire.encode_event(event)))
        return out

    def run(label: str) -> None:
        work = [batch() for _ in range(batches)]
        times = []
        for changes in work:
            t0 = time.perf_counter()
            results = svc.push(store, device, changes, wall_ms=int(NOW.timestamp() * 1000))
            times.append((time.perf_counter() - t0) * 1000)
            assert all(r.status == "ok" for r in results), results[:3]
        print(
            f"  push of 150 events (50 dossiers) {label:<22} median {statistics.median(times):6.1f} ms  "
            f"({statistics.median(times) / 150 * 1000:.0f} µs per event)",
            flush=True,
        )

    run("with the roll-ups")
    real = rollups.refresh
    rollups.refresh = lambda _conn, _ids: 0  # type: ignore[assignment]
    try:
        run("without them")
    finally:
        rollups.refresh = real
    run("with the roll-ups")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=5_000_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--push", type=int, default=20, help="push batches to time (0: skip)")
    parser.add_argument("--no-http", action="store_true", help="skip the pages over HTTP")
    args = parser.parse_args()
    cluster = start_pg_cluster()
    engine = None
    try:
        url = cluster.new_database()
        engine = make_engine(url)
        migrate(engine)
        print(f"generating {args.dossiers:,} dossiers for {args.units} units …", flush=True)
        with engine.begin() as conn:
            generate(conn, args.dossiers, args.units)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            table_sizes(conn)
        store = svc.Store(engine, clock=lambda: NOW)
        unit = "U007"
        print(f"dashboard calls ({args.calls} each, now = {NOW:%d/%m/%Y %H:%M}):")
        measure(
            "scorecards, this month", lambda: reporting.scorecards(store, month_of(2026, 11), NOW), args.calls
        )
        measure(
            "scorecards, this quarter",
            lambda: reporting.scorecards(store, quarter_of(2026, 4), NOW),
            args.calls,
        )
        measure("scorecards, this year", lambda: reporting.scorecards(store, year_of(2026), NOW), args.calls)
        measure("scorecards, last year", lambda: reporting.scorecards(store, year_of(2025), NOW), args.calls)
        measure(
            f"overdue_dossiers, one unit ({unit})",
            lambda: reporting.overdue_dossiers(store, unit, NOW),
            args.calls,
        )
        measure(
            "periodic, province, year 2025", lambda: reporting.periodic(store, year_of(2025), NOW), args.calls
        )
        measure(
            "periodic, one unit, year 2025",
            lambda: reporting.periodic(store, year_of(2025), NOW, unit),
            args.calls,
        )
        measure(
            "periodic, province, this year", lambda: reporting.periodic(store, year_of(2026), NOW), args.calls
        )
        measure(
            "cell_dossiers, one unit, this month, resolved",
            lambda: reporting.cell_dossiers(store, month_of(2026, 11), NOW, unit, "resolved"),
            max(5, args.calls // 4),
        )
        measure(
            "cell_dossiers, one unit, this year, late",
            lambda: reporting.cell_dossiers(store, year_of(2026), NOW, unit, "late"),
            max(5, args.calls // 4),
        )
        overdue = reporting.overdue_dossiers(store, unit, NOW)
        cards = reporting.scorecards(store, month_of(2026, 11), NOW)
        print(
            f"  (unit {unit}: {len(overdue)} overdue listed; province overdue now: "
            f"{sum(c.overdue_now for c in cards):,}; received this month: "
            f"{sum(c.total.received_new for c in cards):,})"
        )
        if not args.no_http:
            print(f"dashboard pages over HTTP ({args.calls} GETs each):")
            bench_pages(url, unit, args.calls)
        if args.push:
            print(f"push cost ({args.push} batches each):")
            bench_push(store, args.push)
    finally:
        if engine is not None:
            engine.dispose()
        stop_pg_cluster(cluster)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
