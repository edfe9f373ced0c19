"""Cyclic garbage is collected on the GUI thread by the guard, never by worker threads."""

from __future__ import annotations

import gc
from typing import Any

from ui.gc_guard import MainThreadGarbageCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_guard_disables_automatic_gc_and_collects_on_its_timer(qtbot: Any) -> None:
    guard = MainThreadGarbageCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        gc.collect()
        for _ in range(guard.threshold[0] + 50):
            Cycle()
        assert gc.get_count()[0] > guard.threshold[0]
        qtbot.waitUntil(lambda: gc.get_count()[0] < guard.threshold[0], timeout=2000)
    finally:
        guard.stop()
    assert gc.isenabled()


def test_first_collection_waits_for_first_check_ms(qtbot: Any) -> None:
    guard = MainThreadGarbageCollector(interval_ms=10, first_check_ms=400)
    # Count this guard's own checks: another collector (a window's guard left by an earlier
    # test in the same process) may collect meanwhile, so the allocation count proves nothing.
    checks: list[int] = []
    guard.timer.timeout.connect(lambda: checks.append(1))
    try:
        gc.collect()
        for _ in range(guard.threshold[0] + 50):
            Cycle()
        qtbot.wait(100)  # regular checks would have run ten times by now
        assert checks == []
        qtbot.waitUntil(lambda: len(checks) > 0, timeout=3000)
        qtbot.waitUntil(lambda: gc.get_count()[0] < guard.threshold[0], timeout=3000)
    finally:
        guard.stop()
    assert gc.isenabled()
