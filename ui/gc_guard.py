"""Run Python's cyclic garbage collector on the GUI thread only.

With automatic collection, a collection can start in whatever thread happens to
allocate, e.g. a QThreadPool worker, and finalise Qt objects that belong to the
GUI thread there: a crash. Like qutebrowser, we disable automatic collection
and collect from a timer on the GUI thread, generation by generation, with the
interpreter's own thresholds.

At start-up the first collection may wait (``first_check_ms``): the imports and
the first window allocate a few hundred thousand long-lived objects (modules,
classes, widgets), and walking them all while the officer waits for the window
only delays it. Nothing is lost: the collection runs a moment later.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = 250, first_check_ms: int = 0):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.first = QTimer(self)
        self.first.setSingleShot(True)
        self.first.timeout.connect(self.timer.start)
        self.first.start(max(0, first_check_ms - interval_ms))

    def check(self) -> int:
        """Collect the generations whose allocation counts passed their thresholds."""
        collected = 0
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            collected += gc.collect(0)
            if l1 > self.threshold[1]:
                collected += gc.collect(1)
                if l2 > self.threshold[2]:
                    collected += gc.collect(2)
        return collected

    def stop(self) -> None:
        self.first.stop()
        self.timer.stop()
        gc.enable()
