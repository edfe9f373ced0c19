"""The change-log ordering trap on PostgreSQL: a pull must never skip a change that commits late.

Sequence numbers are handed out at insert; the server serialises commits to the
change log with an advisory lock so they become visible in seq order. The first
test stages the trap deterministically (and shows that without the lock a change
*is* skipped); the second runs pushes and pulls concurrently with random delays.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.helpers.fakes import birth_request
from tests.sync.conftest import UNIT, LiveServer, PgCluster, all_codes, enrol_station, sync

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_server(pg_cluster: PgCluster) -> Any:
    from central import service as svc

    live = LiveServer(pg_cluster.new_database(), auth_cache_ttl=0.0, head_cache_ttl=0.0)
    svc.add_unit(live.store, UNIT, "Xã Vĩnh Lương")
    yield live
    live.stop()


@pytest.mark.parametrize("serialised", [True, False], ids=["advisory-lock", "no-lock-shows-the-trap"])
def test_a_late_commit_is_not_skipped(pg_server: LiveServer, station_factory: Any, serialised: bool) -> None:
    import datetime as dt

    from central import service as svc

    a, c = station_factory("a"), station_factory("c")
    for app in (a, c):
        enrol_station(app, pg_server)
    slow_device = a.station.device_id
    pg_server.store.serialise_changes = serialised

    # Events, not sleeps: on a loaded machine A could reach its hold after the other
    # writer had already committed, and the trap would not show.
    inside, release = threading.Event(), threading.Event()

    def hold(_conn: Any, rows: Sequence[dict[str, Any]]) -> None:
        if rows and rows[0]["device_id"] == slow_device:
            inside.set()
            release.wait(3)  # A's seq is assigned but not committed yet

    pg_server.store.after_append = hold
    da = a.intake.receive("canbo1", birth_request())
    t1 = threading.Thread(target=sync, args=(a, pg_server.url))
    t1.start()
    assert inside.wait(30)
    # another writer (here the admin adding a day off for every unit) commits a later seq meanwhile
    t2 = threading.Thread(
        target=svc.add_calendar_override, args=(pg_server.store, dt.date(2026, 12, 31), "off", "", "Nghỉ bù")
    )
    t2.start()
    if serialised:
        time.sleep(0.3)  # it waits for A's lock
    else:
        t2.join()  # the later seq is committed
    sync(c, pg_server.url)  # while A's transaction is still open
    release.set()
    t1.join()
    t2.join()
    sync(c, pg_server.url)
    got = set(all_codes(c))
    assert not c.station.calendar.is_working_day(dt.date(2026, 12, 31))  # the later change arrived
    if serialised:
        assert got == {da.code}
    else:  # the trap: the later seq was served, the cursor moved past A's, A is never seen
        assert got == set()


@pytest.mark.slow
def test_concurrent_pushes_and_pulls_never_skip_a_change(pg_server: LiveServer, station_factory: Any) -> None:
    pushers = [station_factory(f"p{i}") for i in range(3)]
    pullers = [station_factory(f"q{i}") for i in range(2)]
    for app in pushers + pullers:
        enrol_station(app, pg_server)
    rng = random.Random(7)
    lock = threading.Lock()

    def jitter(_conn: Any, _rows: Sequence[dict[str, Any]]) -> None:
        with lock:
            delay = rng.random() * 0.02
        time.sleep(delay)

    pg_server.store.after_append = jitter
    per_pusher, stop = 25, threading.Event()
    errors: list[BaseException] = []
    pulls = [0, 0]

    def push_loop(app: Any) -> None:
        try:
            for _ in range(per_pusher):
                app.intake.receive("canbo1", birth_request())
                sync(app, pg_server.url, batch_size=2)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def pull_loop(i: int) -> None:
        import httpx

        from desk_app.sync.client import SyncClient

        try:
            with httpx.Client(base_url=pg_server.url, timeout=15) as http:
                client = SyncClient(pullers[i].station, http, page_size=3)
                while not stop.is_set():
                    client.pull()
                    pulls[i] += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=push_loop, args=(p,)) for p in pushers]
    readers = [threading.Thread(target=pull_loop, args=(i,)) for i in range(2)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors, errors
    assert min(pulls) > 10  # the readers really ran concurrently with the writers
    expected = set()
    for p in pushers:
        expected |= set(all_codes(p))
    assert len(expected) == 3 * per_pusher
    for q in pullers:
        sync(q, pg_server.url)  # a final pull from the stored cursor (no re-reading)
        assert set(all_codes(q)) == expected
