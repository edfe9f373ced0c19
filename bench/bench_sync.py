"""Sync benchmarks: push/pull throughput, polling load, catch-up after days offline.

A script that prints figures (not a test). It starts its own PostgreSQL on
127.0.0.1 (Debian binaries, as ``nobody`` when run as root, fsync on) and the
real server (``uvicorn central.asgi:app`` with uvloop + httptools) in a
subprocess, and drives it with the real desk sync client over HTTP.

    .venv/bin/python bench/bench_sync.py [--events 100000] [--devices 1000] [--inflight 100]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from central import service as svc  # noqa: E402
from central.db import make_engine, migrate  # noqa: E402
from tests.sync.conftest import free_port, start_pg_cluster, stop_pg_cluster  # noqa: E402


def start_server(db_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"MOTCUA_CENTRAL_DB": db_url}
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
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def new_station(path: Path, unit_code: str):  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station
    from desk_app.services.catalog import seed_catalog
    from desk_app.services.demo import DEMO_UNIT

    app = open_station(path)
    app.station.set_unit(replace(DEMO_UNIT, code=unit_code))
    seed_catalog(app.db)
    return app


def enrol(app, store: svc.Store, url: str, unit: str) -> None:  # type: ignore[no-untyped-def]
    from desk_app.sync.client import enrol as desk_enrol

    with httpx.Client(base_url=url, timeout=60) as http:
        desk_enrol(app.station, http, svc.new_enrol_code(store, unit))


def pending(app) -> int:  # type: ignore[no-untyped-def]
    with app.station.uow(write=False) as uow:
        return uow.outbox.pending_count()


# ------------------------------------------------------------------ polling load (raw HTTP/1.1 keep-alive)
async def _poll_connection(
    port: int, requests: list[bytes], stop_at: float, warm_until: float, lat: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            req = requests[i % len(requests)]
            i += 1
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            if t0 >= warm_until:
                lat.append(time.perf_counter() - t0)
                if not head.startswith(b"HTTP/1.1 200"):
                    errors.append(int(head[9:12]))
    finally:
        writer.close()


def _poll_process(port: int, requests: list[bytes], conns: int, duration: float, warmup: float, out) -> None:  # type: ignore[no-untyped-def]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def run() -> tuple[list[float], list[int]]:
        lat: list[float] = []
        errors: list[int] = []
        start = time.perf_counter()
        warm_until, stop_at = start + warmup, start + warmup + duration
        await asyncio.gather(
            *(
                _poll_connection(port, requests[k::conns] or requests, stop_at, warm_until, lat, errors)
                for k in range(conns)
            )
        )
        return lat, errors

    out.put(asyncio.run(run()))


def poll_benchmark(
    port: int, tokens: list[str], after: int, inflight: int, procs: int, duration: float
) -> dict:  # type: ignore[type-arg]
    requests = [
        (
            f"GET /v1/changes?after={after}&limit=1000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {t}\r\n\r\n"
        ).encode()
        for t in tokens
    ]
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    per = [inflight // procs + (1 if i < inflight % procs else 0) for i in range(procs)]
    workers = [
        ctx.Process(target=_poll_process, args=(port, requests[i::procs], per[i], duration, 1.5, q))
        for i in range(procs)
    ]
    for w in workers:
        w.start()
    lat: list[float] = []
    errors: list[int] = []
    for _ in workers:
        part_lat, part_err = q.get()
        lat += part_lat
        errors += part_err
    for w in workers:
        w.join()
    lat.sort()
    return {
        "requests": len(lat),
        "rps": len(lat) / duration,
        "p50_ms": 1000 * statistics.median(lat) if lat else 0,
        "p99_ms": 1000 * lat[int(len(lat) * 0.99) - 1] if lat else 0,
        "errors": len(errors),
    }


def poll_only(args: argparse.Namespace, store: svc.Store, port: int) -> int:
    """N enrolled devices polling "anything after my cursor?" with many requests in flight."""
    t0 = time.perf_counter()
    tokens = []
    for i in range(args.devices):
        extra = f"{100 + i // 20:03d}.01.01.H56"  # 20 devices per unit (the fallback slots)
        if i % 20 == 0:
            svc.add_unit(store, extra, "Đơn vị thử tải")
        token, _device, _ = svc.enrol(
            store, svc.new_enrol_code(store, extra), f"bench-device-{i:06d}", f"bench {i}"
        )
        tokens.append(token)
    with store.read() as conn:
        head = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM changes").scalar_one())
    print(f"enrolled {args.devices} devices ({time.perf_counter() - t0:.1f} s)")
    result = poll_benchmark(port, tokens, head, args.inflight, args.client_procs, args.duration)
    print(
        f"POLL  {args.devices} devices, {args.inflight} in flight, {args.client_procs} client processes: "
        f"{result['rps']:,.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"non-200: {result['errors']}"
    )
    return 0


# ------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--inflight", type=int, default=100)
    parser.add_argument("--client-procs", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--catchup-dossiers", type=int, default=600)
    parser.add_argument(
        "--batch", type=int, default=1000, help="push batch size (one commit per batch; the client's default)"
    )
    parser.add_argument("--page", type=int, default=2000, help="pull page size (the client's default)")
    args = parser.parse_args()

    from desk_app.services import demo
    from desk_app.sync.client import SyncClient

    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    print(f"CPU cores: {os.cpu_count()}; work dir {tmp}")
    cluster = start_pg_cluster(fsync=True)  # its own temp dir (nobody must be able to reach it)
    server = None
    try:
        db_url = cluster.new_database()
        engine = make_engine(db_url)
        migrate(engine)
        store = svc.Store(engine)
        unit = "000.21.31.H56"
        svc.add_unit(store, unit, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương")
        port = free_port()
        server = start_server(db_url, port, args.workers)
        url = f"http://127.0.0.1:{port}"
        print(f"PostgreSQL 15 (fsync on) on 127.0.0.1:{cluster.port}; server {url} ({args.workers} worker)")

        if args.events <= 0:
            return poll_only(args, store, port)
        # ---- data: a station with >= N events in its outbox (realistic histories)
        t0 = time.perf_counter()
        src = new_station(tmp / "src.sqlite3", unit)
        dossiers = max(args.events // 3, 100)
        demo.generate(src.station, dossiers, actor="canbo1")
        while pending(src) < args.events:
            demo.generate(
                src.station, max((args.events - pending(src)) // 3, 50), actor="canbo1", seed=int(time.time())
            )
        n_events = pending(src)
        print(f"generated {n_events:,} events ({time.perf_counter() - t0:.1f} s)")
        enrol(src, store, url, unit)
        n_events = pending(src)

        # ---- push
        with httpx.Client(base_url=url, timeout=120) as http:
            t0 = time.perf_counter()
            report = SyncClient(src.station, http, batch_size=args.batch).push()
            push_s = time.perf_counter() - t0
        assert pending(src) == 0 and report.accepted == n_events, (report.accepted, n_events)
        print(
            f"PUSH  {n_events:,} events in {push_s:.2f} s = {n_events / push_s:,.0f} events/s "
            f"({report.batches} batches of {args.batch}, one commit each)"
        )

        # ---- pull
        dst = new_station(tmp / "dst.sqlite3", unit)
        enrol(dst, store, url, unit)
        with dst.station.uow() as uow:
            uow.meta.set("sync_cursor", "0")
            uow.commit()
        with httpx.Client(base_url=url, timeout=120) as http:
            t0 = time.perf_counter()
            pulled = SyncClient(dst.station, http, page_size=args.page).pull()
            pull_s = time.perf_counter() - t0
        print(
            f"PULL  {pulled.applied.events:,} events in {pull_s:.2f} s = "
            f"{pulled.applied.events / pull_s:,.0f} "
            f"events/s ({pulled.pages} pages; applied to SQLite, dossiers re-folded)"
        )

        # ---- catch-up after 3 days offline (a second unit: its own day sequences)
        unit2 = "000.21.32.H56"
        svc.add_unit(store, unit2, "Trung tâm Phục vụ hành chính công xã Vĩnh Thái")
        away = new_station(tmp / "away.sqlite3", unit2)
        enrol(away, store, url, unit2)
        with httpx.Client(base_url=url, timeout=120) as http:
            SyncClient(away.station, http).sync_round()  # up to date, then offline for 3 days
        gen = new_station(tmp / "gen.sqlite3", unit2)
        demo.generate(gen.station, args.catchup_dossiers, actor="canbo1", days=3, seed=7)
        enrol(gen, store, url, unit2)
        with httpx.Client(base_url=url, timeout=120) as http:
            SyncClient(gen.station, http).push()
            t0 = time.perf_counter()
            caught = SyncClient(away.station, http).pull()
            catch_s = time.perf_counter() - t0
        print(
            f"CATCH-UP {args.catchup_dossiers} dossiers / {caught.applied.events:,} events after 3 days "
            f"offline: {catch_s:.2f} s"
        )

        poll_only(args, store, port)
        for app in (src, dst, gen, away):
            app.close()
        engine.dispose()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        stop_pg_cluster(cluster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
