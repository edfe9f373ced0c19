"""Render the kiosk, the calling panel and the TV display to docs/screenshots/ (offscreen).

QT_QPA_PLATFORM=offscreen .venv/bin/python -m ui.queue_screenshots
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from desk_app.bootstrap import open_station
from desk_app.devices.api import PaperOutError, PrintResult, TicketPrintJob
from desk_app.queue.service import LocalQueueClient, QueueService

VN = dt.timezone(dt.timedelta(hours=7))
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "screenshots"


class _Printer:
    fail = False

    def print_ticket(self, _job: TicketPrintJob) -> PrintResult:
        if self.fail:
            raise PaperOutError("Máy in số thứ tự hết giấy. Hãy thay cuộn giấy rồi bấm “In lại”.")
        return PrintResult(300, 0.0)

    def status(self) -> str:
        return "ok"


def _settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _save(w: QWidget, name: str, size: tuple[int, int]) -> Path:
    w.resize(*size)
    w.show()
    _settle(QApplication.instance())  # type: ignore[arg-type]
    path = OUT / name
    w.grab().save(str(path))
    return path


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    now = [dt.datetime(2026, 11, 25, 9, 30, tzinfo=VN)]
    db = open_station(Path(tempfile.mkdtemp()) / "shots.sqlite3").db
    svc = QueueService(db, lambda: now[0])
    svc.set_settings(office_name="UBND phường Nha Trang — Bộ phận Một cửa")
    client = LocalQueueClient(svc)
    for i in range(14):
        sid = ["ho_tich", "chung_thuc", "dat_dai", "khac"][i % 4]
        svc.confirm_printed(svc.reserve_ticket(sid, "elderly" if i in (5, 9) else None).id)
        now[0] += dt.timedelta(minutes=1)
    for counter in (1, 2, 3, 4, 1, 2):
        t = svc.call_next(counter, "canbo")
        now[0] += dt.timedelta(minutes=1)
        if t and counter in (1, 3):
            svc.start(t.id, counter, "canbo")

    from ui.kiosk import KioskWindow
    from ui.queue_panel import CallingPanel
    from ui.tv_display import TvDisplayWindow

    printer = _Printer()
    kiosk = KioskWindow(client, printer)
    _settle(app)
    kiosk.show_services()
    print(_save(kiosk, "kiosk.png", (1280, 800)))
    kiosk.issue("chung_thuc")
    _settle(app)
    print(_save(kiosk, "kiosk_ticket.png", (1280, 800)))
    printer.fail = True
    kiosk.go_idle()
    kiosk.show_services()
    kiosk.issue("ho_tich")
    _settle(app)
    print(_save(kiosk, "kiosk_print_error.png", (1280, 800)))

    panel = CallingPanel(client, 2, "Nguyễn Thị Hồng Nhung", poll_ms=0)
    _settle(app)
    print(_save(panel, "calling_panel.png", (520, 640)))

    tv = TvDisplayWindow(client, None, poll_ms=0, clock=lambda: now[0])
    _settle(app)
    svc.call_next(4, "canbo")
    tv.poll()
    _settle(app, 0.8)
    print(_save(tv, "tv_display.png", (1920, 1080)))
    print(_save(tv, "tv_display-1280x720.png", (1280, 720)))  # the content scales with the screen
    kiosk._unlocked = True
    for w in (kiosk, panel, tv):
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
