"""Hybrid logical clock and UUIDv7 ids."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from desk_app.hlc import HlcStamp, HybridLogicalClock
from desk_app.ids import uuid7


def test_uuid7_is_version_7_and_monotonic() -> None:
    ids = [uuid7() for _ in range(5000)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_clock_is_monotonic_when_wall_clock_goes_back() -> None:
    wall = [1000]
    clock = HybridLogicalClock("dev-a", lambda: wall[0])
    first = clock.now()
    wall[0] = 500  # the PC's clock was set back
    second = clock.now()
    assert second > first


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(-5_000, 5_000)), min_size=1, max_size=50))
def test_observed_remote_stamps_are_always_surpassed(steps: list[tuple[int, int]]) -> None:
    wall = [0]
    local = HybridLogicalClock("a", lambda: wall[0])
    for now, skew in steps:
        wall[0] = now
        remote = HlcStamp(max(now + skew, 0), 3, "b").encode()
        local.observe(remote)
        assert local.now() > remote
