"""Loaded by every Python process of the faketime test pass (``./dev test``).

libfaketime 0.9.10 fakes the wall clock (CLOCK_REALTIME) and, with
FAKETIME_DONT_FAKE_MONOTONIC=1, leaves the monotonic clock real, which keeps
thread waits, selectors and hypothesis deadlines working. But it mistranslates
an absolute CLOCK_MONOTONIC deadline in clock_nanosleep(), which Python's
``time.sleep`` uses: every sleep fails with EINVAL. Sleep on a lock instead
(a pthread condition wait on the real monotonic clock, which works).
This directory is on PYTHONPATH only for that pass.
"""

from __future__ import annotations

import os
import threading
import time

_real_sleep = time.sleep


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    lock = threading.Lock()
    lock.acquire()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        lock.acquire(timeout=left)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep
