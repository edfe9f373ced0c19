"""The one place where the counter window asks for a printed form (Mẫu 01–06) or the logbook (Mẫu 07).

Rendering is ``printing.printouts.render_dossier_form(app, form, code)``
and ``render_logbook_range(app, date_from, date_to)`` (the lead's module);
previewing / printing is ``ui.print_bridge.PrintBridge`` (the printing engineer's).
Both are imported lazily: while either is missing the officer gets a clear
Vietnamese message instead of a crash.

Signals:
    message(str): a Vietnamese status line for the window (what was sent where).
    failed(str): a Vietnamese error for the window.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from desk_app.bootstrap import App

log = logging.getLogger("motcua.ui.print")

FORM_TITLES = {
    "receipt": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)",
    "supplement": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)",
    "refusal": "Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)",
    "apology": "Văn bản xin lỗi và đề nghị gia hạn (Mẫu 04)",
    "stop": "Thông báo dừng giải quyết hồ sơ (Mẫu 05)",
    "control": "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 06)",
}
LOGBOOK_TITLE = "Sổ theo dõi hồ sơ (Mẫu 07)"


class FormPrinter(QObject):
    message = Signal(str)
    failed = Signal(str)

    def __init__(self, app: App, parent: QWidget | None = None, printer_name: str = ""):
        super().__init__(parent)
        self.app = app
        self.window = parent
        self.printer_name = printer_name
        self._bridge: Any = None
        self.last_request: tuple[str, str] | None = None  # (form, code), for tests and "print again"

    def _renderer(self) -> Any:
        try:
            from printing.printouts import render_dossier_form
        except ImportError:
            return None
        return render_dossier_form

    def bridge(self) -> Any:
        if self._bridge is None:
            try:
                from ui.print_bridge import PrintBridge
            except ImportError:
                return None
            self._bridge = PrintBridge(self.printer_name, self)
            self._bridge.failed.connect(lambda msg, _path: self.failed.emit(msg))
            self._bridge.printed.connect(
                lambda job, pages: self.message.emit(f"Đã gửi “{job}” ({pages} trang) tới máy in.")
            )
        return self._bridge

    def available(self) -> bool:
        return self._renderer() is not None and self.bridge() is not None

    def preview(self, form: str, code: str) -> None:
        """Render ``form`` for dossier ``code`` in a worker, then open the preview."""
        self.last_request = (form, code)
        title = FORM_TITLES.get(form, form)
        render = self._renderer()
        bridge = self.bridge()
        if render is None or bridge is None:
            self.failed.emit(
                f"Chức năng in chưa sẵn sàng trên máy này: chưa thể in “{title}” cho hồ sơ {code}. "
                "Dữ liệu đã được lưu; có thể in lại sau bằng Ctrl+P trong màn hình chi tiết."
            )
            return
        app = self.app
        self.message.emit(f"Đang chuẩn bị bản in “{title}”…")
        bridge.preview(lambda: render(app, form, code), self.window, f"{title} – {code}")

    def preview_logbook(self, date_from: dt.date, date_to: dt.date) -> None:
        """Render the logbook (dossiers received ``date_from``…``date_to``) in a worker, then preview."""
        try:
            from printing.printouts import render_logbook_range
        except ImportError:
            render_logbook_range = None  # type: ignore[assignment]
        bridge = self.bridge()
        span = f"{date_from:%d/%m/%Y} – {date_to:%d/%m/%Y}"
        if render_logbook_range is None or bridge is None:
            self.failed.emit(f"Chức năng in chưa sẵn sàng trên máy này: chưa thể in “{LOGBOOK_TITLE}”.")
            return
        app = self.app
        self.message.emit(f"Đang chuẩn bị “{LOGBOOK_TITLE}” từ {span}…")
        bridge.preview(
            lambda: render_logbook_range(app, date_from, date_to),
            self.window,
            f"{LOGBOOK_TITLE} – {span}",
        )

    def print_direct(self, form: str, code: str) -> None:
        self.last_request = (form, code)
        render = self._renderer()
        bridge = self.bridge()
        if render is None or bridge is None:
            self.failed.emit("Chức năng in chưa sẵn sàng trên máy này.")
            return
        app = self.app
        bridge.print_document(lambda: render(app, form, code), f"{FORM_TITLES.get(form, form)} – {code}")
