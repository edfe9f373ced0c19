"""Call next is atomic: concurrent counters (threads, processes) never share a ticket."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter
from pathlib import Path

from desk_app.queue.service import QueueService
from desk_app.store.db import Database
from tests.helpers.fakes import FakeClock


def _fill(service: QueueService, n: int) -> None:
    for i in range(n):
        sid = ("ho_tich", "chung_thuc")[i % 2]
        service.confirm_printed(service.reserve_ticket(sid, "elderly" if i % 7 == 0 else None).id)


def _drain(service: QueueService, counter: int, out: list[str]) -> None:
    while (t := service.call_next(counter, f"officer{counter}")) is not None:
        out.append(t.id)


def test_call_next_from_8_threads(service: QueueService) -> None:
    _fill(service, 80)
    # Counters 4 (all queues) twice as "two officers" would be the same counter; use
    # distinct counters so auto-closing never touches another thread's ticket.
    for no in range(5, 9):
        service.save_counter(no, f"Quầy {no}", ["A", "B"])
    got: list[list[str]] = [[] for _ in range(8)]
    counters = [1, 2, 4, 5, 6, 7, 8, 3]
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        barrier.wait()
        _drain(service, counters[i], got[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [x for part in got for x in part]
    assert len(ids) == 80
    assert not [k for k, v in Counter(ids).items() if v > 1]
    # How the 80 tickets spread over the threads depends on the scheduler (one thread
    # may drain them all on a busy machine), so only uniqueness and completeness are asserted.


def _process_worker(
    db_path: str,
    counter: int,
    now: dt.datetime,
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    # The child gets the parent's fixed clock: "call next" only sees today's tickets,
    # so a worker on the real clock would see none on any day but the one they were issued.
    service = QueueService(Database(db_path, migrate=False), FakeClock(now))
    out: list[str] = []
    _drain(service, counter, out)
    queue.put(out)


def test_call_next_from_several_processes(service: QueueService, db_path: Path, clock: FakeClock) -> None:
    _fill(service, 120)
    for no in range(5, 8):
        service.save_counter(no, f"Quầy {no}", ["A", "B"])
    ctx = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_process_worker, args=(str(db_path), no, clock(), results)) for no in (4, 5, 6, 7)
    ]
    for p in procs:
        p.start()
    parts = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    ids = [x for part in parts for x in part]
    assert len(ids) == 120
    assert len(set(ids)) == 120
