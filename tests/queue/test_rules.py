"""Queue rules: numbering, priority policies, transfer, no-show tolerance, walk-in, dossier link."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desk_app.queue import schema as q
from desk_app.queue.models import InvalidTicketAction, QueueError, Ticket, TicketState
from desk_app.queue.service import QueueService, issue_with_printer
from desk_app.store import schema as s
from tests.helpers.fakes import FakeClock
from tests.helpers.queue_fakes import FakeTicketPrinter


def issue(service: QueueService, service_id: str = "ho_tich", reason: str | None = None) -> Ticket:
    t = service.reserve_ticket(service_id, reason)
    return service.confirm_printed(t.id)


def labels(service: QueueService, counter: int, n: int) -> list[str]:
    out = []
    for _ in range(n):
        t = service.call_next(counter, "canbo1")
        out.append(t.label if t else "")
    return out


def test_seed_config(service: QueueService) -> None:
    cfg = service.config()
    assert [(x.code, x.name) for x in cfg.queues] == [
        ("A", "Hộ tịch"),
        ("B", "Chứng thực"),
        ("C", "Đất đai – Xây dựng"),
        ("D", "Khác"),
    ]
    assert [c.no for c in cfg.counters] == [1, 2, 3, 4]
    assert cfg.priority_mode == "strict" and cfg.no_show_tolerance_min == 10 and cfg.service_level_min == 15


def test_numbers_per_queue_and_daily_reset(service: QueueService, clock: FakeClock) -> None:
    assert [issue(service).label for _ in range(3)] == ["A001", "A002", "A003"]
    assert issue(service, "chung_thuc").label == "B001"
    clock.set(dt.datetime(2026, 11, 25, 23, 59, 59))
    assert issue(service).label == "A004"
    clock.set(dt.datetime(2026, 11, 26, 0, 0, 1))  # midnight in Vietnam: new series
    t = issue(service)
    assert (t.label, t.day) == ("A001", "2026-11-26")
    # Yesterday's waiting tickets are not called today.
    assert labels(service, 1, 2) == ["A001", ""]


def test_fifo_and_counter_queues(service: QueueService, clock: FakeClock) -> None:
    a1 = issue(service)
    clock.advance(seconds=5)
    b1 = issue(service, "chung_thuc")
    clock.advance(seconds=5)
    issue(service)
    assert service.call_next(2, "x").id == b1.id  # counter 2 serves only B
    assert service.call_next(2, "x") is None
    assert service.call_next(4, "y").id == a1.id  # counter 4 serves all queues: oldest first
    assert service.call_next(1, "z").label == "A002"


def test_strict_priority(service: QueueService, clock: FakeClock) -> None:
    for _ in range(3):
        issue(service)
        clock.advance(seconds=1)
    issue(service, reason="elderly")
    clock.advance(seconds=1)
    issue(service, reason="pregnant")
    assert labels(service, 1, 6) == ["A004", "A005", "A001", "A002", "A003", ""]


def test_interleaved_priority(service: QueueService, clock: FakeClock) -> None:
    service.set_settings(priority_mode="interleaved", interleave_every=2)
    for _ in range(6):
        issue(service)
        clock.advance(seconds=1)
    for reason in ("disabled", "small_child"):
        issue(service, reason=reason)
        clock.advance(seconds=1)
    # Two normal, one priority, two normal, one priority, then the rest.
    assert labels(service, 1, 9) == ["A001", "A002", "A007", "A003", "A004", "A008", "A005", "A006", ""]


def test_interleaved_calls_priority_when_no_normal_waits(service: QueueService) -> None:
    service.set_settings(priority_mode="interleaved", interleave_every=5)
    issue(service, reason="elderly")
    assert labels(service, 1, 1) == ["A001"]


def test_invalid_settings_and_reason(service: QueueService) -> None:
    with pytest.raises(QueueError):
        service.set_settings(priority_mode="random")
    with pytest.raises(QueueError):
        service.reserve_ticket("ho_tich", "vip")
    with pytest.raises(QueueError, match="Dịch vụ"):
        service.reserve_ticket("khong_co")


def test_serve_flow_and_state_guards(service: QueueService) -> None:
    issue(service)
    t = service.call_next(1, "an")
    assert t.state == TicketState.CALLED and t.counter_no == 1
    with pytest.raises(InvalidTicketAction, match="kết thúc phục vụ"):
        service.finish(t.id, 1, "an")
    t = service.start(t.id, 1, "an")
    assert t.state == TicketState.SERVING
    t = service.finish(t.id, 1, "an")
    assert t.state == TicketState.DONE
    with pytest.raises(InvalidTicketAction):
        service.start(t.id, 1, "an")


def test_call_next_closes_current_ticket(service: QueueService) -> None:
    for _ in range(3):
        issue(service)
    first = service.call_next(1, "an")
    second = service.call_next(1, "an")  # first never started -> auto no-show
    assert service.ticket(first.id).state == TicketState.NO_SHOW
    service.start(second.id, 1, "an")
    service.call_next(1, "an")  # second was serving -> auto finished
    assert service.ticket(second.id).state == TicketState.DONE
    st = service.status()
    assert st.counters[0].label == "A003"


def test_no_show_tolerance(service: QueueService, clock: FakeClock) -> None:
    issue(service)
    issue(service)
    t = service.call_next(1, "an")
    t = service.no_show(t.id, 1, "an")
    assert t.state == TicketState.NO_SHOW
    clock.advance(minutes=9, seconds=59)
    t = service.recall(t.id, 1, "an")  # late arrival within 10 min
    assert t.state == TicketState.RECALLED
    service.no_show(t.id, 1, "an")
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(InvalidTicketAction, match="quá 10 phút"):
        service.recall(t.id, 1, "an")
    service.set_settings(no_show_tolerance_min=30)
    assert service.recall(t.id, 1, "an").state == TicketState.RECALLED


def test_recall_repeats_call(service: QueueService) -> None:
    issue(service)
    t = service.call_next(1, "an")
    t = service.recall(t.id, 1, "an")
    assert t.state == TicketState.RECALLED
    assert [c.recall for c in service.recent_calls()] == [True, False]
    assert service.start(t.id, 1, "an").state == TicketState.SERVING


def test_transfer_to_queue_goes_to_front_keeping_number(service: QueueService, clock: FakeClock) -> None:
    a1 = issue(service)
    clock.advance(seconds=1)
    b1 = issue(service, "chung_thuc")
    clock.advance(seconds=1)
    b2 = issue(service, "chung_thuc", reason="elderly")
    t = service.call_next(1, "an")
    service.start(t.id, 1, "an")
    clock.advance(minutes=3)
    t = service.transfer(a1.id, 1, "an", to_queue="B")
    assert (t.label, t.queue_code, t.state) == ("A001", "B", TicketState.WAITING)
    # Transferred tickets go first (before priority and earlier tickets of queue B).
    assert [service.call_next(2, "binh").label for _ in range(3)] == ["A001", "B002", "B001"]
    assert b1.label == "B001" and b2.label == "B002"


def test_transfer_to_counter_only_that_counter_calls(service: QueueService) -> None:
    issue(service)
    t = service.call_next(1, "an")
    service.transfer(t.id, 1, "an", to_counter=3)  # counter 3 serves only C
    assert service.call_next(4, "x") is None  # counter 4 serves A but the ticket is reserved for 3
    t = service.call_next(3, "y")
    assert t is not None and t.label == "A001" and t.counter_no == 3
    with pytest.raises(QueueError):
        service.transfer(t.id, 3, "y")
    with pytest.raises(QueueError):
        service.transfer(t.id, 3, "y", to_queue="Z")


def test_walk_in_and_link_dossier(service: QueueService) -> None:
    w = service.walk_in(2, "binh", service_id="chung_thuc", note="Người quen")
    assert (w.kind, w.label, w.number, w.state, w.queue_code) == (
        "walk_in",
        "",
        None,
        TicketState.SERVING,
        "B",
    )
    assert w.display_label == "Không số"
    w = service.link_dossier(w.id, "dossier-1", 2, "binh")
    w = service.link_dossier(w.id, "dossier-2", 2, "binh")
    w = service.link_dossier(w.id, "dossier-1", 2, "binh")  # idempotent
    assert w.dossier_ids == ["dossier-1", "dossier-2"]
    service.finish(w.id, 2, "binh")
    kinds = [e.kind for e in service.events_since(0) if e.ticket_id == w.id]
    assert kinds == ["walk_in", "started", "dossier_linked", "dossier_linked", "finished"]


def test_every_action_is_an_event_with_outbox_row(service: QueueService, qdb) -> None:  # type: ignore[no-untyped-def]
    t = issue(service)
    t = service.call_next(1, "an")
    service.start(t.id, 1, "an")
    service.link_dossier(t.id, "d1", 1, "an")
    service.finish(t.id, 1, "an")
    events = service.events_since(0)
    assert [e.kind for e in events] == [
        "reserved",
        "issued",
        "called",
        "started",
        "dossier_linked",
        "finished",
    ]
    assert events[2].counter_no == 1 and events[2].officer == "an" and events[2].ticket_label == "A001"
    assert service.events_since(events[3].seq) == events[4:]
    with qdb.read() as conn:
        rows = conn.execute(select(s.outbox).where(s.outbox.c.kind == "ticket_event")).all()
        stored = conn.execute(select(q.queue_events.c.id)).scalars().all()
    assert sorted(r.id for r in rows) == sorted(stored)
    assert rows[0].payload["ticket_label"] == "A001"


def test_failed_action_rolls_back_everything(service: QueueService) -> None:
    t = issue(service)
    before = len(service.events_since(0))
    with pytest.raises(InvalidTicketAction):
        service.finish(t.id, 1, "an")
    assert len(service.events_since(0)) == before


def test_cancel(service: QueueService) -> None:
    t = issue(service)
    assert service.cancel(t.id, None, "admin", "Công dân về").state == TicketState.CANCELLED
    assert service.call_next(1, "an") is None


def test_status_counts(service: QueueService) -> None:
    issue(service)
    issue(service, reason="elderly")
    issue(service, "dat_dai")
    service.reserve_ticket("ho_tich")  # still printing: not counted
    st = service.status()
    a = st.queues[0]
    assert (a.code, a.waiting, a.waiting_priority) == ("A", 2, 1)
    assert st.queues[2].waiting == 1
    t = service.call_next(1, "an")
    st = service.status()
    assert st.counters[0].label == t.label and st.queues[0].last_called == t.label


def test_people_ahead(service: QueueService, printer: FakeTicketPrinter) -> None:
    r = [issue_with_printer(service, printer, "ho_tich") for _ in range(3)]
    assert [x.people_ahead for x in r] == [0, 1, 2]
    p = issue_with_printer(service, printer, "ho_tich", "pregnant")
    assert p.people_ahead == 0  # strict policy: nobody with priority ahead
    assert service.people_ahead(r[0].ticket.id) == 1  # strict: the priority ticket goes first
    assert service.people_ahead(r[2].ticket.id) == 3  # A001, A002 and the priority A004
    assert printer.jobs[-1].priority and printer.jobs[1].people_ahead == 1
