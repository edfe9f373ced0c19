"""Hybrid logical clock: orders events across devices whose wall clocks disagree.

A timestamp is ``(physical_ms, counter, device_id)`` rendered as a fixed-width
string so that plain string comparison equals causal-then-wall-clock order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# How far a received stamp may run ahead of the receiver's wall clock. Further ahead is a
# broken or hostile clock: taking it would drag this clock (and every stamp it issues)
# into the future for the rest of the process.
MAX_AHEAD_MS = 24 * 3600 * 1000


class ClockTooFarAhead(ValueError):
    """A remote stamp beyond ``MAX_AHEAD_MS`` of the local wall clock (refused, clock unchanged)."""


@dataclass(frozen=True, order=True)
class HlcStamp:
    physical_ms: int
    counter: int
    device_id: str

    def encode(self) -> str:
        return f"{self.physical_ms:013d}-{self.counter:05d}-{self.device_id}"

    @classmethod
    def decode(cls, text: str) -> HlcStamp:
        physical, counter, device = text.split("-", 2)
        return cls(int(physical), int(counter), device)


class HybridLogicalClock:
    """Thread-safe HLC. ``observe`` merges a remote stamp received by sync."""

    def __init__(self, device_id: str, wall_ms: Callable[[], int] | None = None):
        self.device_id = device_id
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._physical = 0
        self._counter = 0
        self._lock = threading.Lock()

    def now(self) -> str:
        with self._lock:
            wall = self._wall_ms()
            if wall > self._physical:
                self._physical, self._counter = wall, 0
            else:
                self._counter += 1
            return HlcStamp(self._physical, self._counter, self.device_id).encode()

    def wall_ms(self) -> int:
        return self._wall_ms()

    def observe(self, remote: str) -> None:
        """Merge a remote stamp; raises ``ClockTooFarAhead`` (clock unchanged) if it is absurd."""
        stamp = HlcStamp.decode(remote)
        with self._lock:
            wall = self._wall_ms()
            if stamp.physical_ms > wall + MAX_AHEAD_MS:
                raise ClockTooFarAhead(remote)
            top = max(wall, self._physical, stamp.physical_ms)
            if top == self._physical == stamp.physical_ms:
                self._counter = max(self._counter, stamp.counter) + 1
            elif top == self._physical:
                self._counter += 1
            elif top == stamp.physical_ms:
                self._counter = stamp.counter + 1
            else:
                self._counter = 0
            self._physical = top
