"""The one place where the counter window asks for a printed form (Mẫu 01–06) or the logbook (Mẫu 07).

Rendering is ``printing.printouts.render_dossier_form(app, form, code)``
and ``render_logbook_range(app, date_from, date_to)`` (the lead's module);
previewing / printing is ``ui.print_bridge.PrintBridge`` (the printing engineer's).
Both are imported lazily: while either is missing the officer gets a clear
Vietnamese message instead of a crash.

After a save the window calls ``after_save``: the preview, or straight to the
printer when the station's setting "xem trước sau mỗi lần lưu" is off. While
``saving_pdf()`` is active, a requested form is saved as a PDF file ("Lưu PDF…",
Ctrl+Shift+S) under a readable name such as ``Mau01-<mã hồ sơ>.pdf``.

Signals:
    message(str): a Vietnamese status line for the window (what was sent where).
    failed(str): a Vietnamese error for the window.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
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
FORM_NUMBERS = {
    "receipt": "Mau01",
    "supplement": "Mau02",
    "refusal": "Mau03",
    "apology": "Mau04",
    "stop": "Mau05",
    "control": "Mau06",
}
META_PRINTERS = "settings.printers"  # the settings dialog's printer section


def pdf_file_name(form: str, code: str) -> str:
    """'Mau01-000.21.31.H56-261125-0001.pdf': ASCII, and still says which form of which dossier."""
    return f"{FORM_NUMBERS.get(form, form)}-{code}.pdf"


def logbook_file_name(date_from: dt.date, date_to: dt.date) -> str:
    return f"Mau07-So-theo-doi-{date_from:%Y-%m-%d}-den-{date_to:%Y-%m-%d}.pdf"


def preview_after_save(app: App) -> bool:
    """The station setting: preview every form after a save (default), or print it straight away."""
    return app.settings.load().printers.preview_after_save


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
        self._save_instead = False
        self.save_dialog: Any = None

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
            self._bridge.saved.connect(lambda path: self.message.emit(f"Đã lưu bản in vào tệp {path}."))
        return self._bridge

    def available(self) -> bool:
        return self._renderer() is not None and self.bridge() is not None

    @contextlib.contextmanager
    def saving_pdf(self) -> Iterator[None]:
        """Within this block a requested form is saved as a PDF file instead of previewed."""
        self._save_instead = True
        try:
            yield
        finally:
            self._save_instead = False

    def after_save(self, form: str, code: str) -> None:
        """After a save: the preview, or the printer when the preview is turned off in the settings."""
        from ui.workers import run_op

        app = self.app
        run_op(
            lambda: preview_after_save(app),
            lambda wanted: self.preview(form, code) if wanted else self.print_direct(form, code),
            lambda _exc: self.preview(form, code),
            owner=self,
        )

    def save_pdf(self, form: str, code: str) -> None:
        """Render in a worker, then ask where to save (documents folder, ``Mau01-<mã hồ sơ>.pdf``)."""
        render = self._renderer()
        bridge = self.bridge()
        if render is None or bridge is None:
            self.failed.emit("Chức năng in chưa sẵn sàng trên máy này.")
            return
        app = self.app
        self._ask_where(bridge, lambda: render(app, form, code), pdf_file_name(form, code))

    def _ask_where(self, bridge: Any, source: Any, file_name: str) -> None:
        def rendered(pdf: object) -> None:
            dialog = bridge.save_dialog(pdf, self.window, file_name)
            self.save_dialog = dialog
            dialog.open()

        bridge._run(source, rendered, lambda exc: bridge._report(exc, file_name))

    def preview(self, form: str, code: str) -> None:
        """Render ``form`` for dossier ``code`` in a worker, then open the preview."""
        if self._save_instead:
            self.save_pdf(form, code)
            return
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
        if self._save_instead:
            self._ask_where(
                bridge,
                lambda: render_logbook_range(app, date_from, date_to),
                logbook_file_name(date_from, date_to),
            )
            return
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
