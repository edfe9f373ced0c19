"""Hypothesis stateful test: several counters of one unit, offline periods, clock skew.

Counters receive dossiers and act on them while on- or offline, their clocks
disagree, and they sync in random order. Always: no dossier code is used for
two dossiers. At the end (everyone back online, two sync rounds each): every
counter and the server agree on each dossier's status, due date and conflicts.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from central import service as svc
from desk_app.domain.errors import DomainError
from desk_app.domain.lifecycle import EventKind
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import LiveServer, enrol_station, make_station, snapshot, sync

DEVICES = 3
ACTIONS: list[tuple[EventKind, dict[str, Any]]] = [
    (EventKind.TRANSFERRED, {"to": "Công chức Tư pháp - Hộ tịch"}),
    (EventKind.PROCESSING_STARTED, {}),
    (EventKind.SUPPLEMENT_REQUESTED, {"missing": [{"name": "Giấy chứng sinh", "note": "bản chính"}]}),
    (EventKind.SUPPLEMENTED, {}),
    (EventKind.RESULT_READY, {"result": "Giấy khai sinh"}),
    (EventKind.RETURNED, {"receiver": "Nguyễn Văn Dũng"}),
    (EventKind.REFUSED, {"reason": "Không đủ điều kiện"}),
    (EventKind.WITHDRAWN, {"reason": "Công dân rút"}),
]
_units = itertools.count(1)


class CountersMachine(RuleBasedStateMachine):
    server: LiveServer
    folder: Path
    stats: dict[str, int] = {}

    def __init__(self) -> None:
        super().__init__()
        n = next(_units)
        self.unit = f"{n // 100:03d}.{n % 100:02d}.77.H56"
        svc.add_unit(self.server.store, self.unit, f"Đơn vị thử {n}")
        self.clocks: list[FakeClock] = []
        self.apps: list[Any] = []
        self.online = [True] * DEVICES
        base = dt.datetime(2026, 11, 25, 8, 0)
        for i in range(DEVICES):
            clock = FakeClock(base)
            self.clocks.append(clock)
            app = make_station(self.folder / f"u{n}-d{i}.sqlite3", clock, self.unit)
            enrol_station(app, self.server, self.unit)
            sync(app, self.server.url)
            self.apps.append(app)
        self.skew = [dt.timedelta(0)] * DEVICES

    @rule(i=st.integers(0, DEVICES - 1), minutes=st.integers(-120, 120))
    def skew_clock(self, i: int, minutes: int) -> None:
        """A counter's wall clock is wrong by up to two hours either way."""
        delta = dt.timedelta(minutes=minutes) - self.skew[i]
        self.skew[i] = dt.timedelta(minutes=minutes)
        self.clocks[i].current += delta

    @rule(minutes=st.integers(1, 60), order=st.permutations(range(DEVICES)))
    def time_passes(self, minutes: int, order: list[int]) -> None:
        """Time passes; the counters that are online sync, in some order (their sync timers)."""
        for clock in self.clocks:
            clock.advance(minutes=minutes)
        for i in order:
            self.sync_one(i)

    @rule(i=st.integers(0, DEVICES - 1))
    def receive(self, i: int) -> None:
        self.apps[i].intake.receive("canbo1", birth_request())

    @rule(i=st.integers(0, DEVICES - 1), pick=st.integers(0, 10_000), action=st.sampled_from(ACTIONS))
    def act(self, i: int, pick: int, action: tuple[EventKind, dict[str, Any]]) -> None:
        app = self.apps[i]
        codes = sorted(_codes(app))
        if not codes:
            return
        kind, data = action
        try:
            app.workflow.act("canbo1", codes[pick % len(codes)], kind, **data)
        except DomainError:  # not allowed in the counter's current view: staff can't do it either
            pass

    @rule(
        i=st.integers(0, DEVICES - 1),
        j=st.integers(0, DEVICES - 1),
        pick=st.integers(0, 10_000),
        action=st.sampled_from(ACTIONS),
    )
    def race(self, i: int, j: int, pick: int, action: tuple[EventKind, dict[str, Any]]) -> None:
        """Two counters record the same step on a dossier they both know, before syncing."""
        common = sorted(set(_codes(self.apps[i])) & set(_codes(self.apps[j])))
        if i == j or not common:
            return
        kind, data = action
        done = 0
        for k in (i, j):
            try:
                self.apps[k].workflow.act("canbo1", common[pick % len(common)], kind, **data)
                done += 1
            except DomainError:
                pass
        self.stats["races"] = self.stats.get("races", 0) + (done == 2)

    @rule(i=st.integers(0, DEVICES - 1))
    def toggle_link(self, i: int) -> None:
        self.online[i] = not self.online[i]

    @rule(i=st.integers(0, DEVICES - 1))
    def sync_one(self, i: int) -> None:
        if self.online[i]:
            self.stats["syncs"] = self.stats.get("syncs", 0) + 1
            sync(self.apps[i], self.server.url)

    @invariant()
    def no_code_is_used_twice(self) -> None:
        owner: dict[str, str] = {}
        for app in self.apps:
            for dossier_id, code in _id_codes(app):
                assert owner.setdefault(code, dossier_id) == dossier_id, f"code {code} issued twice"

    def teardown(self) -> None:
        try:
            for _ in range(2):
                for app in self.apps:
                    report = sync(app, self.server.url)
                    assert report.rejected == 0
            first = snapshot(self.apps[0])
            for app in self.apps[1:]:
                assert snapshot(app) == first
            central = {d["id"]: d for d in svc.unit_dossiers(self.server.store, self.unit)}
            assert set(central) == set(first)
            for dossier_id, (code, status, due, has_conflict, _hlc, flagged) in first.items():
                d = central[dossier_id]
                assert (d["code"], d["status"], d["due_at"], d["has_conflict"]) == (
                    code,
                    status,
                    due,
                    has_conflict,
                )
                assert {c["event_id"] for c in d["conflicts"]} == set(flagged)
            stats = CountersMachine.stats
            stats["dossiers"] = stats.get("dossiers", 0) + len(first)
            stats["conflicts"] = stats.get("conflicts", 0) + sum(1 for v in first.values() if v[3])
            stats["fallback"] = stats.get("fallback", 0) + sum(
                1 for v in first.values() if int(v[0][-4:]) >= 9000
            )
        finally:
            for app in self.apps:
                app.close()


def _id_codes(app: Any) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from desk_app.store import schema as s

    with app.db.read() as conn:
        return [(r.id, r.code) for r in conn.execute(select(s.dossiers.c.id, s.dossiers.c.code))]


def _codes(app: Any) -> list[str]:
    return [code for _, code in _id_codes(app)]


@pytest.mark.slow
def test_counters_converge_and_never_share_a_code(tmp_path: Path) -> None:
    live = LiveServer(
        f"sqlite:///{tmp_path / 'central.sqlite3'}",
        auth_cache_ttl=60.0,
        head_cache_ttl=0.0,
        rate_per_second=1e6,
        rate_burst=1e6,
    )
    CountersMachine.server = live
    CountersMachine.folder = tmp_path
    try:
        run_state_machine_as_test(
            CountersMachine,
            settings=settings(
                max_examples=15,
                stateful_step_count=30,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    finally:
        live.stop()
    # the runs really exercised merges with conflicts and offline fallback numbering
    stats = CountersMachine.stats
    assert stats["dossiers"] > 20 and stats["conflicts"] > 0 and stats["fallback"] > 0, stats
