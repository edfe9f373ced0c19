"""``./dev run``'s one-PC office: the counter on this PC calls every queue the kiosk offers."""

from __future__ import annotations

from typing import Any

from desk_app.roles import DeviceSettings


def test_demo_counter_and_kiosk_on_one_pc_serve_every_queue(build: Any) -> None:
    devices = build(DeviceSettings(roles=("counter", "kiosk", "display")), demo=True)
    config = devices.queue.config()
    offered = sorted({s.queue_code for s in config.services})
    assert all(sorted(c.queue_codes) == offered for c in config.counters)


def test_a_real_station_keeps_its_counters(build: Any) -> None:
    devices = build(DeviceSettings(roles=("counter", "kiosk", "display")), demo=False)
    counters = {c.no: c.queue_codes for c in devices.queue.config().counters}
    assert counters[1] == ["A"]  # the office's own split is never touched outside the demo
