"""Runs the station's sync worker (a plain thread) and reports its status as Qt signals.

The worker lives in ``desk_app.sync.worker``; this bridge only starts it when
the station is enrolled, turns its callbacks into a queued signal for the GUI
thread, and offers "sync now".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from desk_app.bootstrap import App

log = logging.getLogger(__name__)


NOT_ENROLLED = "Chưa đăng ký với máy chủ — dữ liệu lưu tại máy"


def describe_idle(enrolled: bool, pending: int, cap: int) -> tuple[str, str]:
    """(label, colour) before the sync worker reports (or when it never runs).

    A station that was never enrolled keeps its data locally by design: nothing is
    "waiting", so it says so calmly instead of counting outbox rows as pending.
    """
    if not enrolled:
        return f"● {NOT_ENROLLED}", ""
    if not pending:
        return "● Ngoại tuyến (chưa đồng bộ)", ""
    count = f"hơn {cap:,}" if pending >= cap else f"{pending:,}"
    return f"● Ngoại tuyến · {count.replace(',', '.')} thay đổi chờ gửi", "#8a6d00"


def describe(status: Any) -> tuple[str, str]:
    """(label, colour) for the status strip, in Vietnamese."""
    pending = f"{status.pending:,}".replace(",", ".")
    when = (status.last_success or "")[11:16]
    if status.running:
        total = getattr(status, "files_total", 0)
        if total:  # dossier files (desk_app.sync.files): progress in MB
            done = getattr(status, "files_done", 0)
            mb = f"{done / 2**20:.1f}/{total / 2**20:.1f} MB".replace(".", ",")
            return f"● Đang gửi tệp số hóa… {mb}", "#0d47a1"
        return f"● Đang đồng bộ… ({pending} thay đổi chờ gửi)", "#0d47a1"
    if status.online:
        text = "● Trực tuyến" + (f" · đồng bộ lúc {when}" if when else "")
        if status.pending:
            text += f" · {pending} thay đổi chờ gửi"
        if status.rejected:
            text += f" · {status.rejected} thay đổi bị máy chủ từ chối"
        return text, "#1b5e20" if not status.rejected else "#b71c1c"
    text = f"● Ngoại tuyến · {pending} thay đổi chờ gửi"
    if when:
        text += f" · lần cuối {when}"
    if status.last_error:
        text += f" — {status.last_error}"
    return text, "#8a6d00"


class SyncBridge(QObject):
    """Signals:
    statusChanged(object): a ``SyncStatus`` from the worker (queued onto the GUI thread).
    """

    statusChanged = Signal(object)

    def __init__(self, app: App, parent: QObject | None = None, *, interval: float = 30.0):
        super().__init__(parent)
        self.app = app
        self.worker: Any = None
        self.interval = interval

    @property
    def enrolled(self) -> bool:
        return bool(self.app.server_url())

    def start(self) -> bool:
        """Start the worker if the station is enrolled; False when there is no server yet."""
        if self.worker is not None:
            return True
        try:
            if not self.enrolled:
                return False
            self.worker = self.app.sync_worker(self.interval, self.statusChanged.emit)
            self.worker.start()
            self.statusChanged.emit(self.worker.status)
            return True
        except Exception:  # noqa: BLE001 - sync must never stop the counter from working
            log.exception("could not start the sync worker")
            return False

    def sync_now(self) -> bool:
        if self.worker is None and not self.start():
            return False
        self.worker.sync_now()
        return True

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5.0)
            self.worker = None
