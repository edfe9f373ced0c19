"""Statistics from events: waiting, service time, service level, per queue/counter/officer/day."""

from __future__ import annotations

import datetime as dt

import pytest

from desk_app.queue.service import QueueService
from desk_app.queue.stats import compute_stats, format_report, stats_for_days
from tests.helpers.fakes import FakeClock


def issue(service: QueueService, sid: str = "ho_tich", reason: str | None = None) -> str:
    return service.confirm_printed(service.reserve_ticket(sid, reason).id).id


def test_stats_from_events(service: QueueService, clock: FakeClock) -> None:
    issue(service)  # A001 09:00
    clock.advance(minutes=1)
    issue(service)  # A002 09:01
    issue(service, "chung_thuc")  # B001 09:01
    clock.advance(minutes=4)  # 09:05: A001 waited 5 min
    t = service.call_next(1, "an")
    service.start(t.id, 1, "an")
    clock.advance(minutes=6)  # served 6 min
    service.finish(t.id, 1, "an")
    clock.advance(minutes=20)  # 09:31: B001 waited 30 min -> misses the 15 min level
    b = service.call_next(2, "binh")
    service.start(b.id, 2, "binh")
    clock.advance(minutes=2)
    service.transfer(b.id, 2, "binh", to_queue="C")  # leg ends after 2 min, not "served"
    c = service.call_next(3, "cuong")
    service.start(c.id, 3, "cuong")
    clock.advance(minutes=4)
    service.finish(c.id, 3, "cuong")
    w = service.walk_in(1, "an")
    clock.advance(minutes=3)
    service.finish(w.id, 1, "an")
    # A002 never called.
    st = stats_for_days(service, "2026-11-25")
    tot = st.total
    assert (tot.issued, tot.called, tot.called_within, tot.walk_in, tot.transferred) == (3, 2, 1, 1, 1)
    assert tot.served == 3  # A001, B001 at counter 3, the walk-in
    assert tot.service_level == pytest.approx(1 / 3)  # A002 never called counts as missed
    assert st.by_queue["A"].avg_wait_s == 300 and st.by_queue["A"].service_level == 0.5
    assert st.by_queue["B"].wait_seconds == [1800] and st.by_queue["B"].service_level == 0
    assert st.by_counter["1"].service_seconds == [360, 180]
    assert st.by_counter["2"].service_seconds == [120] and st.by_counter["2"].served == 0
    assert st.by_officer["cuong"].served == 1 and st.by_officer["cuong"].avg_service_s == 240
    assert st.by_officer["an"].service_level == 1.0  # officers: among the tickets they called
    assert st.by_day["2026-11-25"].issued == 3
    text = format_report(st, {"A": "Hộ tịch"})
    assert "A Hộ tịch" in text and "Quầy 1" in text and "33%" in text


def test_no_show_final_vs_recalled(service: QueueService, clock: FakeClock) -> None:
    issue(service)
    issue(service)
    a = service.call_next(1, "an")
    service.no_show(a.id, 1, "an")
    b = service.call_next(1, "an")
    service.no_show(b.id, 1, "an")
    clock.advance(minutes=2)
    service.recall(b.id, 1, "an")  # arrived late
    st = compute_stats(service.events_since(0))
    assert st.total.no_show == 1 and st.total.called == 2


def test_threshold_and_days(service: QueueService, clock: FakeClock) -> None:
    issue(service)
    clock.advance(minutes=20)
    service.call_next(1, "an")
    clock.set(dt.datetime(2026, 11, 26, 8, 0))
    issue(service)
    service.call_next(1, "an")
    assert stats_for_days(service, "2026-11-25", threshold_min=30).total.service_level == 1.0
    both = stats_for_days(service, "2026-11-25", "2026-11-26")
    assert set(both.by_day) == {"2026-11-25", "2026-11-26"} and both.total.service_level == 0.5
    assert both.to_dict()["by_day"]["2026-11-26"]["service_level"] == 1.0
