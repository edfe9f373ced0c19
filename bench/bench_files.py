"""Digitised files benchmarks: scans to PDF, signing one result, file sync throughput.

A script that prints figures (not a test); medians of several runs.

* a 10-page A4 scan at 300 dpi (PNG and JPEG pages made here) to one grey PDF
  (goal ≤ 2 s) and the PDF's size;
* signing one result PDF with a PKCS#12 file (goal ≤ 300 ms), and with a
  SoftHSM2 token through PKCS#11 when softhsm2 is installed;
* file sync on loopback: a 50 MB set uploaded in 1 MB chunks to the real server
  over PostgreSQL (its own throwaway cluster), then fetched by a second station.

    .venv/bin/python bench/bench_files.py [--runs 5] [--sync-mb 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desk_app.attachments.pdf import PageImage, images_to_pdf  # noqa: E402
from desk_app.workcalendar import VN_TZ  # noqa: E402
from tests.attachments.scans import a4_page  # noqa: E402

SIGN_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def bench_scan(runs: int) -> None:
    for fmt in ("PNG", "JPEG"):
        pages = [PageImage(a4_page(n, dpi=300, fmt=fmt)) for n in range(1, 11)]
        raw = sum(len(p.data) for p in pages)
        times = []
        size = 0
        for _ in range(runs):
            t = time.perf_counter()
            pdf = images_to_pdf(pages)
            times.append(time.perf_counter() - t)
            size = len(pdf)
        print(
            f"scan to PDF, 10 pages A4 300 dpi ({fmt} in, {raw / 2**20:.1f} MB): "
            f"median {median_ms(times):.0f} ms (goal ≤ 2000), PDF {size / 2**20:.2f} MB "
            f"({size / 10 / 1024:.0f} KB/page)"
        )


def bench_signing(runs: int, folder: Path) -> None:
    from desk_app.signing import load_pkcs12, pkcs11_signer, sign_pdf
    from tests.attachments.pki import (
        KEY_LABEL,
        P12_PASSWORD,
        PIN,
        make_pki,
        make_softhsm_token,
        softhsm_module,
    )

    pki = make_pki(folder / "pki")
    result = images_to_pdf([PageImage(a4_page(1, dpi=300))])
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        signer = load_pkcs12(pki.p12, P12_PASSWORD)
        sign_pdf(result, signer, clock=lambda: SIGN_AT)
        times.append(time.perf_counter() - t)
    print(f"sign one result with a PKCS#12 file (load + sign): median {median_ms(times):.0f} ms (goal ≤ 300)")
    module = softhsm_module()
    if module is None:
        print("PKCS#11: softhsm2 not installed, skipped")
        return
    env = make_softhsm_token(pki, folder / "hsm", module)
    os.environ["SOFTHSM2_CONF"] = env["SOFTHSM2_CONF"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        with pkcs11_signer(module, PIN, key_label=KEY_LABEL) as signer:
            sign_pdf(result, signer, clock=lambda: SIGN_AT)
        times.append(time.perf_counter() - t)
    print(f"sign one result with a SoftHSM2 token (open session + sign): median {median_ms(times):.0f} ms")


def bench_sync(runs: int, megabytes: int, folder: Path) -> None:
    import random

    import httpx

    from central import service as svc
    from desk_app.sync.files import FileSync
    from tests.helpers.fakes import FakeClock, birth_request
    from tests.sync.conftest import (
        UNIT,
        LiveServer,
        enrol_station,
        make_station,
        start_pg_cluster,
        stop_pg_cluster,
    )

    cluster = start_pg_cluster(fsync=True)  # its own folder, readable by the postgres user
    live = LiveServer(
        cluster.new_database(), auth_cache_ttl=5.0, rate_per_second=10_000.0, rate_burst=10_000.0
    )
    svc.add_unit(live.store, UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương")
    up, down = [], []
    try:
        for run in range(runs):
            clock = FakeClock(dt.datetime(2026, 11, 25, 9, 0))
            app = make_station(folder / f"a{run}" / "a.sqlite3", clock)
            twin = make_station(folder / f"b{run}" / "b.sqlite3", clock)
            enrol_station(app, live)
            enrol_station(twin, live)
            code = app.intake.receive("canbo1", birth_request()).code
            rng = random.Random(run)
            total = megabytes * 2**20
            per_file = 5 * 2**20
            for i in range(0, total, per_file):
                body = b"%PDF-1.4\n" + rng.randbytes(min(per_file, total - i) - 9)
                app.attachments._attach("canbo1", code, body, 1, "to_khai", "component", "file")
            with httpx.Client(base_url=live.url, timeout=30) as http:
                from desk_app.sync.client import SyncClient

                SyncClient(app.station, http).sync_round()
                SyncClient(twin.station, http).sync_round()
                t = time.perf_counter()
                report = FileSync(app.station, http).upload_all()
                up.append(report.bytes_sent / 2**20 / (time.perf_counter() - t))
                t = time.perf_counter()
                FileSync(twin.station, http).fetch_for_dossier(code)
                down.append(total / 2**20 / (time.perf_counter() - t))
            app.close()
            twin.close()
        # The 50 MB set through the proxy that cuts requests mid-chunk (the suite uses 10 MB).
        chaos_s, stats, ok = bench_chaos(live, folder, megabytes)
        print(
            f"{megabytes} MB through the chunk-cutting proxy: {chaos_s:.1f} s, arrived exactly once and "
            f"byte-identical: {ok}; faults {dict(stats)}"
        )
    finally:
        live.stop()
        stop_pg_cluster(cluster)
    print(
        f"file sync on loopback, {megabytes} MB in 5 MB files, 1 MB chunks, PostgreSQL storage (fsync on): "
        f"upload median {statistics.median(up):.1f} MB/s, fetch median {statistics.median(down):.1f} MB/s "
        "(server in a thread of the same process)"
    )


def bench_chaos(live: object, folder: Path, megabytes: int) -> tuple[float, object, bool]:
    import hashlib
    import random

    import httpx
    from sqlalchemy import text

    from desk_app.sync.client import SyncClient
    from desk_app.sync.files import FileSync
    from tests.attachments.chaos import ChunkCuttingProxy
    from tests.helpers.fakes import FakeClock, birth_request
    from tests.sync.conftest import enrol_station, make_station

    app = make_station(folder / "chaos" / "c.sqlite3", FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
    twin = make_station(folder / "chaos-twin" / "t.sqlite3", FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
    enrol_station(app, live)  # type: ignore[arg-type]
    enrol_station(twin, live)  # type: ignore[arg-type]
    code = app.intake.receive("canbo1", birth_request()).code
    rng = random.Random(99)
    hashes = []
    total = megabytes * 2**20
    for i in range(0, total, 5 * 2**20):
        body = b"%PDF-1.4\n" + rng.randbytes(min(5 * 2**20, total - i) - 9)
        hashes.append(app.attachments._attach("canbo1", code, body, 1, "to_khai", "component", "file").sha256)
    url = live.url  # type: ignore[attr-defined]
    with httpx.Client(base_url=url, timeout=30) as http:
        SyncClient(app.station, http).sync_round()
        SyncClient(twin.station, http).sync_round()
    proxy = ChunkCuttingProxy(live.port, seed=5, truncate=0.15, drop=0.1, lose=0.1, cut=0.1, duplicate=0.05)  # type: ignore[attr-defined]
    t = time.perf_counter()
    try:
        with httpx.Client(base_url=proxy.url, timeout=httpx.Timeout(10.0, connect=5.0)) as http:
            report = FileSync(app.station, http, retry_delay=0.0).upload_all()
    finally:
        proxy.close()
    elapsed = time.perf_counter() - t
    with live.store.read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            text("SELECT sha256, complete FROM blobs WHERE sha256 = ANY(:h)"), {"h": hashes}
        ).all()
    with httpx.Client(base_url=url, timeout=30) as http:
        FileSync(twin.station, http).fetch_for_dossier(code)
    identical = all(
        hashlib.sha256(twin.attachments.files.read(h)).hexdigest() == h
        and twin.attachments.files.read(h) == app.attachments.files.read(h)
        for h in hashes
    )
    ok = not report.failed and len(rows) == len(hashes) and all(r.complete for r in rows) and identical
    app.close()
    twin.close()
    return elapsed, proxy.stats, ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sync-mb", type=int, default=50)
    parser.add_argument("--sync-runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-bench-files-") as tmp:
        folder = Path(tmp)
        bench_scan(args.runs)
        bench_signing(args.runs, folder)
        bench_sync(args.sync_runs, args.sync_mb, folder)


if __name__ == "__main__":
    main()
