"""Background work for the counter window (the Anki ``CollectionOp`` / ``QueryOp`` idea).

The GUI thread never waits on the disk: saving, searching, counting and
printing run in a ``QThreadPool`` worker; the result (or the exception) comes
back on the GUI thread through a signals object created there, so Qt queues
the delivery. SQLite connections come from the store's pool, one per thread.

``run_op`` is the one entry point; ``app_op`` is the same for work on the
station: the function receives the ``App`` (as Anki's ``CollectionOp`` receives
the collection) instead of capturing widgets in a closure::

    app_op(self.app, lambda app: app.queries.page(flt, 200), on_done=self._show_rows,
           on_error=self._show_error, owner=self)

``owner`` (a QObject) makes the callbacks silent once the owner is deleted, so
a result that arrives after a dialog closed does no harm.

``describe_error`` turns an exception into the Vietnamese text staff read:
domain errors carry their own message, SQLite faults get
``describe_sqlite_error``; anything else is a bug, logged with its traceback.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desk_app.domain.errors import DomainError

if TYPE_CHECKING:
    from desk_app.bootstrap import App

T = TypeVar("T")

log = logging.getLogger("motcua.ui.workers")


class OpSignals(QObject):
    """Signals of one background operation.

    Signals:
        succeeded(object): the function's return value (GUI thread).
        failed(object): the exception it raised (GUI thread).
        progress(int, int): done, total — emitted by functions that take ``progress``.
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: OpSignals):
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the GUI thread
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)


class OpTracker(QObject):
    """Counts operations in flight so the window can show a busy indicator.

    Signals:
        busyChanged(int): number of operations now running.
    """

    busyChanged = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.running = 0

    def _add(self, delta: int) -> None:
        self.running += delta
        self.busyChanged.emit(self.running)


tracker = OpTracker()
_live: set[OpSignals] = set()
_pool: QThreadPool | None = None
POOL_THREADS = 2


def default_pool() -> QThreadPool:
    """The workers' pool: a few threads only.

    Each worker thread borrows its own SQLite connection, and each connection
    keeps its own page cache (32 MB at most); a small pool bounds the memory on
    a million-dossier database and keeps the GUI thread's share of the GIL.
    """
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(POOL_THREADS)
        _pool.setExpiryTimeout(60_000)
    return _pool


def _alive(owner: QObject | None) -> bool:
    return owner is None or shiboken6.isValid(owner)


def run_op(
    fn: Callable[..., Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    pool: QThreadPool | None = None,
) -> OpSignals:
    """Run ``fn`` in a worker; call ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

    When ``on_progress`` is given, ``fn`` is called as ``fn(progress)`` where
    ``progress(done, total)`` may be called from the worker.
    """
    signals = OpSignals()
    _live.add(signals)
    tracker._add(1)

    def finish() -> None:
        _live.discard(signals)
        tracker._add(-1)

    def done(result: object) -> None:
        finish()
        if on_done is not None and _alive(owner):
            on_done(result)

    def failed(exc: object) -> None:
        finish()
        error = exc if isinstance(exc, BaseException) else RuntimeError(str(exc))
        if not isinstance(error, DomainError):
            log.error("background operation failed", exc_info=error)
        if on_error is not None and _alive(owner):
            on_error(error)

    signals.succeeded.connect(done)
    signals.failed.connect(failed)
    if on_progress is not None:
        signals.progress.connect(lambda a, b: on_progress(a, b) if _alive(owner) else None)
        call: Callable[[], Any] = lambda: fn(signals.progress.emit)  # noqa: E731
    else:
        call = fn
    (pool or default_pool()).start(_Task(call, signals))
    return signals


def app_op(
    app: App,
    fn: Callable[[App], T],
    on_done: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
) -> OpSignals:
    """Run ``fn(app)`` in a worker; the result or the exception comes back on the GUI thread.

    ``fn`` should take what it needs from ``app`` and its own arguments, not from
    widgets: widgets belong to the GUI thread.
    """
    return run_op(lambda: fn(app), on_done, on_error, owner=owner)


def describe_error(exc: BaseException) -> str:
    """Vietnamese message for staff: domain messages as they are, faults explained."""
    if isinstance(exc, DomainError):
        return str(exc)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, sqlite3.Error):
            from desk_app.bootstrap import describe_sqlite_error

            return describe_sqlite_error(cause)
        cause = cause.__cause__ or getattr(cause, "orig", None)
    if isinstance(exc, OSError):
        return f"Lỗi hệ thống tệp hoặc thiết bị: {exc.strerror or exc}."
    return (
        "Đã xảy ra lỗi không mong muốn; chi tiết đã được ghi vào nhật ký. Vui lòng thử lại hoặc báo quản trị."
    )


def wait_all(timeout_ms: int = 5000) -> bool:
    """Wait for the workers and the global pool (window shutdown, tests)."""
    ours = default_pool().waitForDone(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and ours
