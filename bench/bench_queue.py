"""Benchmark: "call next" through the LAN queue host (prints figures; not a test).

    .venv/bin/python bench/bench_queue.py [--calls-per-counter 200] [--total 10000]

1. Latency: 8 counters call next concurrently through a host process (uvicorn with
   httptools/uvloop) on 127.0.0.1; p50 / p99 / max per call. Goal p50 ≤ 20 ms.
2. Safety: 10,000 waiting tickets drained by 16 concurrent counters; counts double
   assignments both in the answers and in the host's event log. Goal 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from desk_app.ids import uuid7  # noqa: E402
from desk_app.queue import schema as q  # noqa: E402
from desk_app.queue.client import QueueClient  # noqa: E402
from desk_app.queue.host import free_port  # noqa: E402
from desk_app.queue.service import QueueService, format_label, iso  # noqa: E402
from desk_app.store.db import Database  # noqa: E402
from desk_app.workcalendar import now_vn  # noqa: E402

SECRET = "bench-secret-123"


def prefill(db: Database, n: int) -> None:
    """Bulk-insert ``n`` waiting tickets (fixture data: one transaction, not the issuing path)."""
    now = now_vn()
    day = now.date().isoformat()
    codes = ["A", "B", "C", "D"]
    with db.write() as conn:
        last = {
            c: conn.execute(
                select(q.queue_series.c.last_number).where(
                    q.queue_series.c.queue_code == c, q.queue_series.c.day == day
                )
            ).scalar()
            or 0
            for c in codes
        }
        rows = []
        for i in range(n):
            code = codes[i % 4]
            last[code] += 1
            rows.append(
                {
                    "id": uuid7(),
                    "day": day,
                    "kind": "ticket",
                    "queue_code": code,
                    "series": code,
                    "number": last[code],
                    "label": format_label(code, last[code]),
                    "service_id": "",
                    "service_name": "",
                    "priority_reason": "elderly" if i % 10 == 0 else None,
                    "priority": i % 10 == 0,
                    "state": "waiting",
                    "reserved_at": iso(now),
                    "issued_at": iso(now),
                    "officer": "",
                    "dossier_ids": [],
                    "print_attempts": 1,
                    "last_error": "",
                }
            )
        conn.execute(insert(q.queue_tickets), rows)
        for code in codes:
            conn.execute(
                q.queue_series.delete().where(
                    q.queue_series.c.queue_code == code, q.queue_series.c.day == day
                )
            )
            conn.execute(
                insert(q.queue_series).values(
                    queue_code=code, day=day, last_number=last[code], normal_streak=0
                )
            )


def spawn_host(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desk_app.queue.cli",
            "serve",
            "--db",
            str(db_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--secret",
            SECRET,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("host did not start")


def run_counters(url: str, counters: list[int], calls_each: int | None) -> tuple[list[float], list[str]]:
    """Each counter (own client / connection) calls next ``calls_each`` times or until empty."""
    lat: list[float] = []
    ids: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(counters))

    def work(no: int) -> None:
        client = QueueClient(url, SECRET, timeout=10.0)
        client.status()  # open the keep-alive connection before timing
        mine_lat, mine_ids = [], []
        barrier.wait()
        n = 0
        while calls_each is None or n < calls_each:
            t0 = time.perf_counter()
            t = client.call_next(no, f"cb{no}")
            mine_lat.append(time.perf_counter() - t0)
            n += 1
            if t is None:
                if calls_each is None:
                    break
                continue
            mine_ids.append(t.id)
        client.close()
        with lock:
            lat.extend(mine_lat)
            ids.extend(mine_ids)

    threads = [threading.Thread(target=work, args=(no,)) for no in counters]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, ids


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls-per-counter", type=int, default=200)
    ap.add_argument("--total", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="latency runs (the machine may be shared)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_queue_"))
    db_path = tmp / "host.sqlite3"
    db = Database(db_path)
    svc = QueueService(db)
    for no in range(1, 17):
        svc.save_counter(no, f"Quầy {no}", ["A", "B", "C", "D"])
    prefill(db, args.repeat * 8 * args.calls_per_counter + 100)
    port = free_port()
    host = spawn_host(db_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        print(f"CPU: {os.cpu_count()}  SQLite WAL synchronous=FULL  host: uvicorn (auto: httptools/uvloop)")
        print(f"    load average before: {os.getloadavg()[0]:.1f}")
        all_ids: list[str] = []
        for run in range(1, args.repeat + 1):
            t0 = time.perf_counter()
            lat, ids = run_counters(url, list(range(1, 9)), args.calls_per_counter)
            wall = time.perf_counter() - t0
            all_ids += ids
            print(
                f"[1.{run}] 8 counters × {args.calls_per_counter} call-next over HTTP: {len(lat)} calls in "
                f"{wall:.2f} s ({len(lat) / wall:.0f}/s)"
            )
            print(
                f"      latency p50 {pct(lat, 50):.1f} ms  p90 {pct(lat, 90):.1f} ms  "
                f"p99 {pct(lat, 99):.1f} ms  "
                f"max {max(lat) * 1000:.1f} ms  mean {statistics.fmean(lat) * 1000:.1f} ms  "
                f"(load {os.getloadavg()[0]:.1f})"
            )
        print(f"      double assignments: {sum(v - 1 for v in Counter(all_ids).values() if v > 1)}")

        # Drain what is left, then the 10,000-ticket run.
        run_counters(url, list(range(1, 9)), None)
        prefill(db, args.total)
        t0 = time.perf_counter()
        lat, ids = run_counters(url, list(range(1, 17)), None)
        wall = time.perf_counter() - t0
        dup_answers = sum(v - 1 for v in Counter(ids).values() if v > 1)
        with db.read() as conn:
            e = q.queue_events.c
            called = Counter(conn.execute(select(e.ticket_id).where(e.kind == "called")).scalars())
        dup_log = sum(v - 1 for v in called.values() if v > 1)
        print(
            f"[2] {args.total} tickets drained by 16 concurrent counters: {len(ids)} tickets called in "
            f"{wall:.2f} s ({len(lat) / wall:.0f} calls/s)"
        )
        print(f"    p50 {pct(lat, 50):.1f} ms  p99 {pct(lat, 99):.1f} ms")
        print(
            f"    double assignments: answers {dup_answers}, event log {dup_log}; "
            f"tickets called {len(set(ids))} of {args.total}"
        )
    finally:
        host.terminate()
        host.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
