"""Public look-up benchmark: /tra-cuu/{code}?k=… on PostgreSQL with many dossiers.

    python bench/bench_lookup.py [--dossiers N] [--requests N] [--clients N]

Starts a throwaway PostgreSQL cluster (as ``tests/sync`` does), loads N dossiers
straight into the central tables with COPY (each: its RECEIVED event with the
snapshot and secret, and a TRANSFERRED event), then measures

* at the server: the look-up and the page render in process (p50 / p95 ms), and
* over HTTP: ``uvicorn central.asgi:app`` (one worker) with C client threads on
  127.0.0.1: requests per second and p95 latency as the client sees it.

Goal (issue 15): ≤ 50 ms p95 at the server with 1,000,000 dossiers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from central import service as svc  # noqa: E402
from central.db import make_engine, migrate  # noqa: E402
from central.public import PublicSite  # noqa: E402
from desk_app import lookup  # noqa: E402
from tests.sync.conftest import free_port, start_pg_cluster, stop_pg_cluster  # noqa: E402

UNIT = "000.21.31.H56"
DEVICE = "0190a0b0-0000-7000-8000-000000000001"


def code_of(i: int) -> str:
    day = 260101 + (i // 9999) % 28 + 100 * ((i // (9999 * 28)) % 12)  # yymmdd inside 2026
    return f"{UNIT}-{day:06d}-{i % 9999 + 1:04d}"


def load(url: str, n: int) -> list[tuple[str, str]]:
    """COPY n dossiers and 2n events; returns a sample of (code, secret)."""
    rng = random.Random(7)
    sample: list[tuple[str, str]] = []
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO units(code, name, created_at) VALUES (%s, %s, %s)",
                (UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương", "2026-01-01T00:00:00+07:00"),
            )
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY dossiers (id, code, unit_code, target_unit_code, received_at, device_id) FROM STDIN"
            ) as copy,
        ):
            ids = []
            for i in range(n):
                dossier_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                ids.append(dossier_id)
                copy.write_row((dossier_id, code_of(i), UNIT, "", "2026-01-05T09:00:00+07:00", DEVICE))
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY changes (change_id, kind, unit_code, target_unit_code, dossier_id, device_id, "
                "payload, created_at) FROM STDIN"
            ) as copy,
        ):
            for i, dossier_id in enumerate(ids):
                code = code_of(i)
                secret = lookup.new_secret()
                if i % max(n // 5000, 1) == 0:
                    sample.append((code, secret))
                received = {
                    "id": str(uuid.uuid4()),
                    "dossier_id": dossier_id,
                    "kind": "received",
                    "at": "2026-01-05T09:00:00+07:00",
                    "actor": "canbo1",
                    "device_id": DEVICE,
                    "hlc": f"{1767578400000 + i:013d}-0000-{DEVICE}",
                    "payload": {
                        "due_at": "2026-01-08T09:00:00+07:00",
                        "dossier": {
                            "id": dossier_id,
                            "code": code,
                            "unit_code": UNIT,
                            "target_unit_code": "",
                            "procedure_code": "1.001193.000.00.00.H56",
                            "procedure_name": "Đăng ký khai sinh",
                            "field": "Hộ tịch",
                            "applicant_id": f"a{i}",
                            "channel": "truc_tiep",
                            "return_method": "tai_quay",
                            "received_at": "2026-01-05T09:00:00+07:00",
                            "extra": {lookup.SECRET_KEY: secret},
                        },
                        "applicant": {
                            "id": f"a{i}",
                            "full_name": "Nguyễn Văn Dũng",
                            "phone": "0905123456",
                            "id_number": "056090001234",
                        },
                    },
                }
                transferred = {
                    "id": str(uuid.uuid4()),
                    "dossier_id": dossier_id,
                    "kind": "transferred",
                    "at": "2026-01-05T10:00:00+07:00",
                    "actor": "canbo1",
                    "device_id": DEVICE,
                    "hlc": f"{1767582000000 + i:013d}-0000-{DEVICE}",
                    "payload": {"to": "Tư pháp", "to_person": ""},
                }
                for event in (received, transferred):
                    copy.write_row(
                        (
                            event["id"],
                            "event",
                            UNIT,
                            "",
                            dossier_id,
                            DEVICE,
                            json.dumps(event, ensure_ascii=False),
                            "2026-01-05T09:00:00+07:00",
                        )
                    )
        conn.execute("ANALYZE")
        conn.commit()
    print(f"loaded {n:,} dossiers ({2 * n:,} events) in {time.perf_counter() - started:.0f} s")
    return sample


def server_side(url: str, sample: list[tuple[str, str]], runs: int) -> None:
    engine = make_engine(url)
    site = PublicSite(svc.Store(engine))
    times = []
    for code, secret in random.Random(1).choices(sample, k=runs):
        t0 = time.perf_counter()
        view, _ = site.by_secret(code, secret)
        assert view is not None
        site.dossier_page(view, secret)
        times.append((time.perf_counter() - t0) * 1000)
    engine.dispose()
    times.sort()
    print(
        f"at the server (look-up + render, {runs} pages): p50 {statistics.median(times):.1f} ms, "
        f"p95 {times[int(0.95 * len(times))]:.1f} ms"
    )


def over_http(url: str, sample: list[tuple[str, str]], requests: int, clients: int) -> None:
    port = free_port()
    env = {**os.environ, "MOTCUA_CENTRAL_DB": url, "MOTCUA_PUBLIC_RATE": "1e9", "MOTCUA_PUBLIC_BURST": "1e9"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "central.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        latencies: list[float] = []
        lock = threading.Lock()
        per_client = requests // clients

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            mine = []
            with httpx.Client(base_url=base, timeout=10) as http:
                for code, secret in rng.choices(sample, k=per_client):
                    t0 = time.perf_counter()
                    r = http.get(f"/tra-cuu/{code}", params={"k": secret})
                    mine.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200, r.status_code
            with lock:
                latencies.extend(mine)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(
            f"over HTTP (1 uvicorn worker, {clients} clients, {len(latencies)} requests): "
            f"{len(latencies) / elapsed:.0f} requests/s, p50 {statistics.median(latencies):.1f} ms, "
            f"p95 {latencies[int(0.95 * len(latencies))]:.1f} ms"
        )
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    cluster = start_pg_cluster()
    try:
        url = cluster.new_database()
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        sample = load(url, args.dossiers)
        server_side(url, sample, 1000)
        over_http(url, sample, args.requests, args.clients)
    finally:
        stop_pg_cluster(cluster)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
