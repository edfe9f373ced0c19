"""Group commit on the queue host: actions waiting together share one transaction."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from desk_app.queue import schema as q
from desk_app.queue.client import QueueClient
from desk_app.queue.host import GroupWriter, QueueHost, free_port
from desk_app.queue.models import InvalidTicketAction, Ticket, TicketNotFound, TicketState
from desk_app.queue.service import QueueService
from desk_app.store import schema as s
from desk_app.store.db import Database, StoreError
from desk_app.store.uow import UnitOfWork

SECRET = "mot-cua-2026-secret"


def _waiting(service: QueueService, n: int) -> list[Ticket]:
    out = []
    for i in range(n):
        sid = ("ho_tich", "chung_thuc")[i % 2]
        out.append(service.confirm_printed(service.reserve_ticket(sid).id))
    return out


def _counts(db: Database) -> tuple[int, int, int]:
    """(called tickets, queue events, ticket_event outbox rows)."""
    with db.read() as conn:
        called = conn.execute(
            select(func.count()).where(q.queue_tickets.c.state == TicketState.CALLED)
        ).scalar_one()
        events = conn.execute(select(func.count()).select_from(q.queue_events)).scalar_one()
        outbox = conn.execute(
            select(func.count()).select_from(s.outbox).where(s.outbox.c.kind == "ticket_event")
        ).scalar_one()
    return int(called), int(events), int(outbox)


@pytest.fixture
def commits(qdb: Database) -> Iterator[list[int]]:
    """One entry per COMMIT of a write transaction (savepoint releases are not commits)."""
    seen: list[int] = []

    def on_commit(conn: Any) -> None:
        if conn.get_execution_options().get("write"):
            seen.append(1)

    event.listen(qdb.engine, "commit", on_commit)
    yield seen
    event.remove(qdb.engine, "commit", on_commit)


def test_failing_action_rolls_back_alone(service: QueueService, qdb: Database, commits: list[int]) -> None:
    a, b = _waiting(service, 2)
    base_called, base_events, base_outbox = _counts(qdb)
    commits.clear()

    def writes_then_fails(uow: UnitOfWork) -> None:
        # Writes through the normal path (counter 2 closes b: update, event, outbox row),
        # then fails: its savepoint must take those writes back with it.
        assert service.action("call_next", 2, "binh")(uow) is None
        raise InvalidTicketAction("a rule broken after writing")

    results = service.run_group(
        [
            service.action("call_next", 1, "an"),
            service.action("finish", a.id, 1, "an"),  # a was just called, not serving
            service.action("call_next", 2, "binh"),
            service.action("start", "no-such-ticket", 2, "binh"),
            service.action("call_next", 1, "an"),  # nothing left in A: closes a as no-show
        ]
    )
    assert len(commits) == 1  # five actions, one COMMIT
    first, bad, second, missing, third = results
    assert isinstance(first, Ticket) and first.id == a.id and first.state == TicketState.CALLED
    assert isinstance(bad, InvalidTicketAction)
    assert isinstance(second, Ticket) and second.id == b.id and second.counter_no == 2
    assert isinstance(missing, TicketNotFound)
    assert third is None
    assert service.ticket(a.id).state == TicketState.NO_SHOW
    assert service.ticket(b.id).state == TicketState.CALLED
    called, events, outbox = _counts(qdb)
    # called a, called b, auto no-show of a: 3 events, each with its outbox row
    assert (called, events - base_events, outbox - base_outbox) == (base_called + 1, 3, 3)

    # An action that wrote something before raising leaves nothing behind.
    c = _waiting(service, 1)[0]
    _, events_before, outbox_before = _counts(qdb)
    results = service.run_group(
        [service.action("call_next", 3, "cuong"), writes_then_fails, service.action("cancel", c.id, 1, "an")]
    )
    assert results[0] is None  # counter 3 serves C only
    assert isinstance(results[1], InvalidTicketAction)
    assert isinstance(results[2], Ticket) and results[2].state == TicketState.CANCELLED
    _, events_after, outbox_after = _counts(qdb)
    assert (events_after - events_before, outbox_after - outbox_before) == (1, 1)  # the cancel only
    assert service.ticket(b.id).state == TicketState.CALLED  # the auto no-show was rolled back


def test_lost_transaction_fails_the_whole_group(service: QueueService, qdb: Database) -> None:
    _waiting(service, 2)
    before = _counts(qdb)

    def disk_full(uow: UnitOfWork) -> None:
        # What SQLite does on SQLITE_FULL / IOERR: it rolls the WHOLE transaction back.
        raw = QueueService._raw(uow.conn)
        raw.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    results = service.run_group(
        [service.action("call_next", 1, "an"), disk_full, service.action("call_next", 2, "binh")]
    )
    # The first call's work is gone with the transaction: it must not be reported as done.
    assert all(isinstance(r, StoreError) for r in results)
    assert "Ổ đĩa đã đầy" in str(results[0])
    assert len({id(r) for r in results}) == 3
    assert _counts(qdb) == before
    assert service.call_next(1, "an") is not None  # the pooled connection is fine afterwards


def test_commit_failure_reaches_every_caller(
    service: QueueService, qdb: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _waiting(service, 2)
    before = _counts(qdb)

    def failing_commit(_self: UnitOfWork) -> None:
        raise StoreError("Ổ đĩa đã đầy: không thể lưu dữ liệu.")

    monkeypatch.setattr(UnitOfWork, "commit", failing_commit)
    results = service.run_group([service.action("call_next", 1, "an"), service.action("call_next", 2, "b")])
    monkeypatch.undo()
    assert [type(r) for r in results] == [StoreError, StoreError]
    assert _counts(qdb) == before
    assert service.call_next(1, "an") is not None  # the database is fine afterwards


def test_writer_groups_what_is_waiting(service: QueueService, commits: list[int]) -> None:
    tickets = _waiting(service, 6)
    writer = GroupWriter(service)
    gate = threading.Event()
    entered = threading.Event()

    def blocker(_uow: UnitOfWork) -> str:
        entered.set()
        assert gate.wait(10)
        return "first"

    try:
        commits.clear()
        first = writer.submit(blocker)
        assert entered.wait(10)
        # These six arrive while the writer is busy: they form the next group.
        futs = [writer.submit(service.action("call_next", no, f"o{no}")) for no in (1, 2, 4, 1, 2, 4)]
        futs.append(writer.submit(service.action("finish", "no-such-ticket", 1, "an")))
        cancelled = writer.submit(service.action("call_next", 4, "late"))
        assert cancelled.cancel()  # the caller went away before its turn: never runs
        gate.set()
        assert first.result(10) == "first"
        got = [f.result(10) for f in futs[:-1]]
        with pytest.raises(TicketNotFound):
            futs[-1].result(10)
    finally:
        writer.shutdown()
    assert len(commits) == 2  # the blocker alone, then seven actions in one transaction
    assert (writer.groups, writer.actions) == (2, 8)
    ids = [t.id for t in got if t is not None]
    assert sorted(ids) == sorted(t.id for t in tickets)  # each ticket once, none lost


@pytest.fixture
def host(service: QueueService) -> Iterator[QueueHost]:
    h = QueueHost(service, SECRET, "127.0.0.1", free_port())
    h.start()
    yield h
    h.stop()


def test_concurrent_counters_over_http_share_commits(
    service: QueueService, host: QueueHost, qdb: Database, commits: list[int]
) -> None:
    n = 120
    _waiting(service, n)
    for no in range(5, 9):
        service.save_counter(no, f"Quầy {no}", ["A", "B"])
    commits.clear()
    counters = [1, 2, 4, 5, 6, 7, 8, 3]
    got: list[list[str]] = [[] for _ in counters]
    calls = [0] * len(counters)
    barrier = threading.Barrier(len(counters))

    def work(i: int) -> None:
        client = QueueClient(host.base_url, SECRET, timeout=10.0)
        try:
            client.status()
            barrier.wait()
            while True:
                t = client.call_next(counters[i], f"officer{i}")
                calls[i] += 1
                if t is None:
                    break
                got[i].append(t.id)
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(counters))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    ids = [x for part in got for x in part]
    assert len(ids) == n
    assert not [k for k, v in Counter(ids).items() if v > 1]  # no double assignment (answers)
    with qdb.read() as conn:
        e = q.queue_events.c
        logged = Counter(conn.execute(select(e.ticket_id).where(e.kind == "called")).scalars())
    assert len(logged) == n and max(logged.values()) == 1  # nor in the event log
    writer = host.app.state.writer
    assert writer.actions == sum(calls)
    # Several actions shared a COMMIT under concurrent load.
    assert len(commits) == writer.groups < sum(calls)
