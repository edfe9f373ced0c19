"""Background sync worker: a plain thread (no Qt) that keeps the station in step.

It runs a sync round every ``interval`` seconds, or at once on ``sync_now()``;
after a failure it waits with exponential back-off and full jitter (capped),
and retries forever. Everything it must remember lives in the station's
SQLite (outbox, cursor, leases, last success/error in ``meta``), so a restart
simply carries on. The UI wraps ``on_status`` into a Qt signal.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from desk_app.services.station import Station
from desk_app.store.repositories import iso
from desk_app.sync.client import (
    META_LAST_ERROR,
    META_LAST_SUCCESS,
    SyncClient,
    SyncError,
    allows_http,
    make_http,
    server_url,
)

log = logging.getLogger("desk_app.sync.worker")


@dataclass(frozen=True)
class SyncStatus:
    online: bool = False
    running: bool = False  # a round is in progress
    pending: int = 0  # outbox rows waiting for the server
    rejected: int = 0  # rows the server refused (shown to staff)
    quarantined: int = 0  # pulled changes this station could not apply (shown to staff)
    last_success: str | None = None  # ISO time of the last complete round
    last_error: str | None = None  # Vietnamese, for staff
    failures: int = 0  # consecutive failed rounds
    next_retry_in: float = 0.0

    @property
    def label(self) -> str:
        if self.online:
            text = "Đã đồng bộ" if not self.pending else f"Đang chờ gửi {self.pending} thay đổi"
        else:
            text = f"Mất kết nối máy chủ — {self.pending} thay đổi chờ gửi"
        if self.quarantined:
            text += f" · {self.quarantined} thay đổi từ máy chủ bị giữ lại (lỗi dữ liệu)"
        return text


def backoff_delay(failures: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential back-off with "full jitter": uniform in [0, min(cap, base·2^(n-1))], at least base/2."""
    ceiling = min(cap, base * (2 ** max(failures - 1, 0)))
    return float(max(base / 2, ceiling * rand()))


class SyncWorker:
    def __init__(
        self,
        station: Station,
        http_factory: Callable[[], httpx.Client] | None = None,
        *,
        interval: float = 30.0,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        on_status: Callable[[SyncStatus], None] | None = None,
        rand: Callable[[], float] = random.random,
        client_options: dict[str, int] | None = None,
    ):
        self.station = station
        self.http_factory = http_factory or self._default_http
        self.interval = interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.on_status = on_status
        self.rand = rand
        self.client_options = client_options or {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        with station.uow(write=False) as uow:
            last_ok = uow.meta.get(META_LAST_SUCCESS) or None
            last_err = uow.meta.get(META_LAST_ERROR) or None
            pending = uow.outbox.pending_count()
        self._status = SyncStatus(pending=pending, last_success=last_ok, last_error=last_err)
        self.rounds = 0

    def _default_http(self) -> httpx.Client:
        url = server_url(self.station)
        if not url:
            raise SyncError("Trạm chưa đăng ký với máy chủ trung tâm.", auth=True)
        return make_http(url, allow_http=allows_http(self.station))

    # -------------------------------------------------------------- control
    @property
    def status(self) -> SyncStatus:
        return self._status

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="motcua-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def sync_now(self) -> None:
        """Ask for a round at once (e.g. the staff pressed "Đồng bộ ngay")."""
        self._wake.set()

    # -------------------------------------------------------------- loop
    def run_once(self) -> SyncStatus:
        """One round in the calling thread; never raises for environment faults."""
        self._set(running=True)
        failures = self._status.failures
        try:
            with self.http_factory() as http:
                report = SyncClient(self.station, http, **self.client_options).sync_round()
        except SyncError as exc:
            failures += 1
            message = str(exc)
            self._remember_error(message)
            return self._set(
                online=False, running=False, last_error=message, failures=failures, pending=self._pending()
            )
        except Exception as exc:  # a bug: log it, tell staff briefly, keep the worker alive
            log.exception("sync round failed")
            failures += 1
            message = f"Lỗi không mong đợi khi đồng bộ ({type(exc).__name__}); đã ghi nhật ký."
            self._remember_error(message)
            return self._set(
                online=False, running=False, last_error=message, failures=failures, pending=self._pending()
            )
        finally:
            self.rounds += 1
        return self._set(
            online=True,
            running=False,
            pending=report.pending,
            rejected=report.rejected,
            quarantined=report.quarantined,
            last_success=iso(self.station.now()),
            last_error=None,
            failures=0,
            next_retry_in=0.0,
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            status = self.run_once()
            if status.failures:
                delay = backoff_delay(status.failures, self.base_delay, self.max_delay, self.rand)
            else:
                delay = self.interval
            self._set(next_retry_in=delay)
            self._wake.wait(delay)
            self._wake.clear()

    # -------------------------------------------------------------- helpers
    def _pending(self) -> int:
        try:
            with self.station.uow(write=False) as uow:
                return uow.outbox.pending_count()
        except Exception:  # noqa: BLE001 - status only
            return self._status.pending

    def _remember_error(self, message: str) -> None:
        try:
            with self.station.uow() as uow:
                uow.meta.set(META_LAST_ERROR, message)
                uow.commit()
        except Exception:  # noqa: BLE001 - the disk may be the problem; status still shows it
            log.exception("could not store the sync error")

    def _set(self, **changes: object) -> SyncStatus:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]
            status = self._status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception:  # noqa: BLE001 - a UI callback must not kill sync
                log.exception("sync status callback failed")
        return status
