"""The counter window: intake (F2), find (F3), dossier detail (F4 actions), dashboard, banners.

Everything that touches the database runs in workers (``ui.workers``); the
window only arranges widgets and routes signals. Start-up does nothing that
scales with the number of dossiers: the first list page, the dashboard counts
and the status strip are all requested after the window is shown.

A barcode scanner acting as a keyboard works anywhere in the window
(``ui.scanner.ScanDetector`` on the application, from the first list page on).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.codes import parse_code

try:  # imported here, on the GUI thread: imports inside workers race with PySide's import hook
    from serial.tools import list_ports
except ImportError:  # pragma: no cover - pyserial is a dependency
    list_ports = None
from ui.common import ErrorLabel
from ui.dossier_detail import DetailPanel
from ui.dossier_list import FindPanel
from ui.form_printing import FormPrinter
from ui.intake_form import IntakeForm
from ui.scanner import ScanDetector
from ui.settings_dialog import SettingsDialog, load_settings
from ui.workers import describe_error, run_op, tracker, wait_all

if TYPE_CHECKING:
    from desk_app.bootstrap import App

log = logging.getLogger("motcua.ui")

PENDING_CAP = 10_000
PREFERRED_SIZE = QSize(1440, 880)
COMPACT_BELOW = 1600  # window width under which the queue panel turns compact (1280–1366 screens)

SHORTCUTS = [
    ("F1", "Bảng phím tắt này"),
    ("F2", "Tiếp nhận hồ sơ mới"),
    ("F3", "Tra cứu hồ sơ (ô tìm kiếm)"),
    ("F4", "Thao tác với hồ sơ đang mở (chuyển xử lý, bổ sung, trả kết quả…)"),
    ("F5", "Gọi số tiếp theo (bảng gọi số)"),
    ("F6 … F10", "Gọi lại, vắng mặt, chuyển, bắt đầu, kết thúc phục vụ (bảng gọi số)"),
    ("F12", "Cài đặt trạm (giám sát, quản trị)"),
    ("Ctrl+Shift+Q", "Đăng xuất / đổi cán bộ (máy lấy số và màn hình TV vẫn chạy)"),
    ("Ctrl+Q", "Thoát: đóng mọi cửa sổ của trạm (hỏi lại một lần)"),
    ("Ctrl+S / Ctrl+Enter", "Lưu hồ sơ đang tiếp nhận và in giấy tiếp nhận"),
    ("Ctrl+B", "Hồ sơ thiếu giấy tờ: lưu và in phiếu yêu cầu bổ sung"),
    ("Ctrl+R", "Từ chối tiếp nhận: lưu và in phiếu từ chối"),
    ("Ctrl+D", "Đánh dấu đã nhận đủ thành phần hồ sơ"),
    ("Ctrl+G", "Giải quyết ngay: tiếp nhận, có kết quả và trả kết quả tại quầy (thủ tục trong ngày)"),
    ("Ctrl+U", "Dùng thông tin người đã nộp trước với số điện thoại vừa nhập"),
    ("Ctrl+N", "Xóa biểu mẫu, tiếp nhận hồ sơ mới"),
    ("Ctrl+P", "In lại biểu mẫu của hồ sơ đang mở"),
    ("Ctrl+Shift+S", "Lưu biểu mẫu của hồ sơ đang mở thành tệp PDF"),
    ("Ctrl+L", "In sổ theo dõi hồ sơ (Mẫu 07) theo khoảng ngày tiếp nhận"),
    ("Ctrl+Shift+T", "Thông báo gửi lỗi (gửi lại) và đánh giá của công dân (giám sát, quản trị)"),
    ("↑ / ↓, Enter", "Chọn thủ tục trong danh sách gợi ý; mở hồ sơ trong danh sách"),
    ("Space", "Đánh dấu giấy tờ đã nhận / giấy tờ còn thiếu"),
    ("Enter", "Đồng ý trong hộp thoại"),
    ("Esc", "Hủy hộp thoại, ẩn thông báo"),
    (
        "F4 rồi 1 … 9, 0, C, D, R",
        "Thao tác hồ sơ, mỗi phím một việc cố định: 1 chuyển xử lý, 2 bắt đầu xử lý, 3 yêu cầu bổ "
        "sung, 4 đã bổ sung, 5 chờ nghĩa vụ tài chính, 6 đã nộp, 7 có kết quả, 8 trả kết quả, "
        "9 xin lỗi/gia hạn, 0 ghi chú, C từ chối, D dừng, R rút hồ sơ (Alt+phím trên nút)",
    ),
    ("Quét mã vạch", "Ở bất kỳ đâu: mở hồ sơ theo mã trên giấy tiếp nhận"),
]

TILES = [
    ("received_today", "Tiếp nhận hôm nay", {"received_today": True}),
    ("due_today", "Đến hạn hôm nay", {"due_today": True}),
    ("overdue", "Quá hạn", {"overdue": True}),
    ("supplement", "Chờ bổ sung", {"status": "supplement_requested"}),
    ("result_ready", "Có kết quả, chờ trả", {"status": "result_ready"}),
    ("conflicts", "Xung đột dữ liệu", None),
]


def pending_changes(app: App, cap: int = PENDING_CAP) -> int:
    """Outbox rows waiting for the server, counted up to ``cap`` (cheap on a big outbox)."""
    return app.queries.pending_changes(cap)


def device_status(app: App) -> dict[str, Any]:
    """Pending changes, chosen printers and serial ports (runs in a worker)."""
    settings = load_settings(app)
    from desk_app.sync.client import server_url

    enrolled = bool(server_url(app.station))
    out: dict[str, Any] = {
        "pending": pending_changes(app) if enrolled else 0,  # not enrolled: nothing waits for a server
        "enrolled": enrolled,
        "server": (settings.get("server") or {}).get("url", ""),
    }
    out["printers"] = settings.get("printers") or {}
    serial = settings.get("serial") or {}
    port = (serial.get("ticket_printer") or {}).get("port", "")
    present = False
    if port:
        try:
            present = list_ports is not None and any(p.device == port for p in list_ports.comports())
        except Exception:  # noqa: BLE001 - a port driver error: report the port as missing
            present = False
    out["serial"] = (port, present)
    return out


class HelpDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("help_dialog")
        self.setWindowTitle("Phím tắt – MotCua Desk")
        self.resize(620, 560)
        layout = QVBoxLayout(self)
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setObjectName("help_table")
        table.setHorizontalHeaderLabels(["Phím", "Chức năng"])
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, what) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeColumnToContents(0)
        table.resizeRowsToContents()  # long explanations wrap instead of being cut off
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Đóng (Esc)")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _to_date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class LogbookDialog(QDialog):
    """Asks for the date range of the logbook (Mẫu 07): Enter prints, Esc cancels."""

    def __init__(self, today: dt.date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("logbook_dialog")
        self.setWindowTitle("In sổ theo dõi hồ sơ (Mẫu 07)")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        intro = QLabel("Sổ theo dõi gồm các hồ sơ tiếp nhận trong khoảng ngày dưới đây.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.error = ErrorLabel("logbook_range")
        self.date_from = QDateEdit(QDate(today.year, today.month, 1))
        self.date_from.setObjectName("logbook_from")
        self.date_to = QDateEdit(QDate(today.year, today.month, today.day))
        self.date_to.setObjectName("logbook_to")
        for edit in (self.date_from, self.date_to):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
            edit.dateChanged.connect(lambda _d: self.error.show_error(""))
        label_from = QLabel("&Từ ngày:")
        label_from.setBuddy(self.date_from)
        label_to = QLabel("Đến ngà&y:")
        label_to.setBuddy(self.date_to)
        form.addRow(label_from, self.date_from)
        form.addRow(label_to, self.date_to)
        layout.addLayout(form)
        layout.addWidget(self.error)
        ok, cancel = QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.button(ok).setText("Xem và in (Enter)")
        buttons.button(cancel).setText("Hủy (Esc)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.date_from.setFocus()

    def dates(self) -> tuple[dt.date, dt.date]:
        return _to_date(self.date_from.date()), _to_date(self.date_to.date())

    def accept(self) -> None:
        date_from, date_to = self.dates()
        if date_from > date_to:
            self.error.show_error(
                f"Khoảng ngày không hợp lệ: “Từ ngày” ({date_from:%d/%m/%Y}) phải trước hoặc trùng "
                f"“Đến ngày” ({date_to:%d/%m/%Y})."
            )
            self.date_from.setFocus()
            self.date_from.setSelectedSection(QDateEdit.Section.DaySection)  # type the day again
            self.adjustSize()
            return
        super().accept()


class CounterWindow(QMainWindow):
    def __init__(
        self,
        app: App,
        account: Any,
        parent: QWidget | None = None,
        *,
        install_scanner: bool = True,
        devices: Any = None,
    ):
        super().__init__(parent)
        self.app = app
        self.account = account
        self.devices = devices  # desk_app.roles.Devices when the station's devices are built
        self.device_watcher: Any = None
        self.setObjectName("counter_window")
        self.officer_names = app.accounts.names()
        settings = load_settings(app)
        self.counter_no = settings.get("counter_no") or account.counter_no
        self.forms = FormPrinter(app, self, (settings.get("printers") or {}).get("a5", ""))
        self.forms.message.connect(self.show_status)
        self.forms.failed.connect(lambda msg: self.notify(msg, error=True))
        self.dashboard_counts: dict[str, int] = {}
        self.reminders: list[Any] = []
        self.list_stale = False
        self._dialogs: list[QDialog] = []
        self.outcome = ""  # "quit" or "logout" once the officer confirmed one
        self.confirm_on_close = False  # run_station turns it on: the title bar's ✕ asks first
        self.in_station_loop = False  # run_station: ending the session leaves its event loop

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.header = QLabel()
        self.header.setObjectName("window_header")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setStyleSheet("background: #0d47a1; color: white; padding: 6px;")
        outer.addWidget(self.header)
        self.apology_banner = QWidget()
        self.apology_banner.setObjectName("apology_banner")
        self.apology_banner.setStyleSheet("background: #fff3cd; border: 1px solid #c9a227;")
        row = QHBoxLayout(self.apology_banner)
        row.setContentsMargins(6, 2, 6, 2)
        self.apology_text = QLabel()
        self.apology_text.setObjectName("apology_text")
        self.apology_text.setWordWrap(True)
        self.apology_button = QPushButton("Xem hồ sơ…")
        self.apology_button.setObjectName("apology_button")
        self.apology_button.clicked.connect(self._reminder_menu)
        row.addWidget(self.apology_text, 1)
        row.addWidget(self.apology_button)
        self.apology_banner.hide()
        outer.addWidget(self.apology_banner)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        outer.addWidget(self.notice)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.intake = IntakeForm(app, account.username)
        self.find = FindPanel(app, self.officer_names)
        self.detail = DetailPanel(app, account.username, self.officer_names)
        self.detail.sections = settings.get("sections")
        self.tabs.addTab(self.intake, "Tiếp nhận hồ sơ (F2)")
        self.tabs.addTab(self.find, "Tra cứu hồ sơ (F3)")
        self.tabs.addTab(self.detail, "Chi tiết hồ sơ (F4)")
        # Scrolls rather than setting the window's minimum height (charts and tables are tall).
        # Its content (QtCharts, the report rules) is built when the tab is first opened.
        self.statistics: Any = None  # ui.statistics.StatisticsTab once built
        self.statistics_scroll = QScrollArea()
        self.statistics_scroll.setWidgetResizable(True)
        self.statistics_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tabs.addTab(self.statistics_scroll, "Thống kê")
        self.tabs.currentChanged.connect(self._tab_changed)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.intake.saved.connect(self._intake_saved)
        self.intake.status.connect(self.show_status)
        self.find.openRequested.connect(self.open_dossier)
        self.find.status.connect(self.show_status)
        self.detail.changed.connect(self._dossier_changed)
        self.detail.printRequested.connect(self.forms.preview)
        self.detail.status.connect(self.show_status)

        self._build_dashboard()
        self._build_queue_dock()
        self._build_status_strip()
        from ui.sync_status import SyncBridge, describe

        self.sync = SyncBridge(app, self)
        self.sync.statusChanged.connect(self._sync_status)
        self._describe_sync = describe
        self._build_menu_and_shortcuts()
        self.update_header()

        self.scanner = ScanDetector(self)
        self.scanner.codeScanned.connect(self.open_scanned)
        self.scanner.foreignScanned.connect(lambda _text, msg: self.notify(msg, error=True))
        self.scanner.cccdScanned.connect(self._cccd_scanned)
        self.intake.serialScanned.connect(self.scanner.dispatch)
        # Every event of the application passes through the scanner's Python filter: it is
        # installed with the first list page (``_after_first_page``), not while the window is
        # laid out, painted and the page is fetched (that doubled the time from request to rows).
        self.install_scanner = install_scanner
        self.scanner_installed = False

        self.timer = QTimer(self)
        self.timer.setInterval(60_000)
        self.timer.timeout.connect(self.refresh_dashboard)
        self.status_timer = QTimer(self)
        self.status_timer.setInterval(10_000)
        self.status_timer.timeout.connect(self.refresh_status_strip)
        self.fit_to_screen()

    # ------------------------------------------------------------------ screen size
    def fit_to_screen(self) -> None:
        """Open at a comfortable size, or maximised on a 1280–1366 office screen.

        Smaller screens than ``PREFERRED_SIZE`` get the whole screen; a platform without a
        real screen (offscreen tests, 800×600 default) gets the preferred size.
        """
        screen = self.screen() or QApplication.primaryScreen()
        avail = screen.availableGeometry().size() if screen is not None else PREFERRED_SIZE
        if avail.width() < 1024:  # no office screen is that small: a headless default
            avail = PREFERRED_SIZE
        if avail.width() < PREFERRED_SIZE.width() or avail.height() < PREFERRED_SIZE.height():
            self.resize(avail)
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        else:
            self.resize(PREFERRED_SIZE)
        self._apply_compact()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._apply_compact()

    def _apply_compact(self) -> None:
        """Below ``COMPACT_BELOW`` px the queue panel takes its narrow layout (nothing is hidden)."""
        compact = self.width() < COMPACT_BELOW
        panel = self.queue_panel
        if panel is not None and hasattr(panel, "set_compact") and getattr(panel, "compact", None) != compact:
            panel.set_compact(compact)

    # ------------------------------------------------------------------ building
    def _build_dashboard(self) -> None:
        dock = QDockWidget("Tổng hợp", self)
        dock.setObjectName("dashboard_dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        body = QWidget()
        grid = QGridLayout(body)
        self.tiles: dict[str, QPushButton] = {}
        for row, (key, label, flt) in enumerate(TILES):
            button = QPushButton(f"{label}\n…")
            button.setObjectName(f"tile_{key}")
            button.setMinimumHeight(54)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if flt is not None:
                button.clicked.connect(lambda _c=False, f=flt: self.show_list(**f))
            grid.addWidget(button, row, 0)
            self.tiles[key] = button
        grid.setRowStretch(len(TILES), 1)
        dock.setWidget(body)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.dashboard_dock = dock

    def _build_queue_dock(self) -> None:
        """The queue calling panel (another engineer's) plugs in here when it is installed."""
        self.queue_panel: Any = None
        dock = QDockWidget("Gọi số (F5)", self)
        dock.setObjectName("queue_dock")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        try:
            from desk_app.queue.service import LocalQueueClient, QueueService
            from ui.queue_panel import CallingPanel
        except ImportError:
            CallingPanel = None  # noqa: N806 - the optional class
        panel = None
        if CallingPanel is not None and self.devices is not None:
            try:
                from ui.roles import make_calling_panel

                panel = make_calling_panel(self.app, self.devices, self.account)
            except Exception:  # noqa: BLE001 - the queue must not keep the counter from starting
                log.exception("queue panel failed to start")
        elif CallingPanel is not None:
            try:
                client = getattr(self.app, "queue_client", None) or LocalQueueClient(
                    QueueService(self.app.db, self.app.station.clock, self.app.station.device_id)
                )
                panel = CallingPanel(client, int(self.counter_no or 1), self.account.username)
            except Exception:  # noqa: BLE001 - the queue must not keep the counter from starting
                log.exception("queue panel failed to start")
        if panel is not None:
            self.queue_panel = panel
            if hasattr(panel, "set_officer_name"):
                panel.set_officer_name(self.account.full_name)  # people read names, not accounts
            panel.receiveDossierRequested.connect(self._receive_from_ticket)
            if hasattr(panel, "ticketFinished"):  # the citizen rates the visit (ui/rating.py)
                from ui.rating import ask_after_ticket

                panel.ticketFinished.connect(lambda t, p=panel: ask_after_ticket(self.app, t, p.client))
            dock.setWidget(panel)
        else:
            placeholder = QLabel("Bảng gọi số chưa sẵn sàng trên máy này.")
            placeholder.setWordWrap(True)
            dock.setWidget(placeholder)
            dock.hide()
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.queue_dock = dock

    def _build_status_strip(self) -> None:
        bar = self.statusBar()
        self.busy = QProgressBar()
        self.busy.setObjectName("busy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.hide()
        self.sync_label = QLabel("● Đồng bộ: đang kiểm tra…")
        self.sync_label.setObjectName("sync_label")
        self.printer_label = QLabel("Máy in: …")
        self.printer_label.setObjectName("printer_label")
        self.serial_label = QLabel("Thiết bị: …")
        self.serial_label.setObjectName("serial_label")
        for w in (self.busy, self.sync_label, self.printer_label, self.serial_label):
            bar.addPermanentWidget(w)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(300)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(tracker.running > 0))
        tracker.busyChanged.connect(self._busy_changed)

    def _busy_changed(self, running: int) -> None:
        if running and not self._busy_timer.isActive():
            self._busy_timer.start()
        if not running:
            self.busy.hide()

    def _build_menu_and_shortcuts(self) -> None:
        menu = self.menuBar()
        dossier = menu.addMenu("&Hồ sơ")
        system = menu.addMenu("&Hệ thống")
        help_menu = menu.addMenu("&Trợ giúp")

        def action(m: QMenu, text: str, keys: str, slot: Any, name: str) -> QAction:
            act = QAction(text, self)
            act.setObjectName(name)
            if keys:
                act.setShortcut(QKeySequence(keys))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            m.addAction(act)
            return act

        action(dossier, "Tiếp nhận hồ sơ mới", "F2", self.show_intake, "act_intake")
        action(dossier, "Tra cứu hồ sơ", "F3", self.show_find, "act_find")
        action(dossier, "Thao tác với hồ sơ", "F4", self.show_actions, "act_actions")
        action(dossier, "In biểu mẫu", "Ctrl+P", self.print_current, "act_print_current")
        action(dossier, "Lưu PDF…", "Ctrl+Shift+S", self.save_current_pdf, "act_save_pdf")
        self.logbook_action = action(
            dossier, "In sổ theo dõi hồ sơ (Mẫu 07)…", "Ctrl+L", self.print_logbook, "act_print_logbook"
        )
        # The calling panel owns F5–F10 when it is there; otherwise F5 explains that it is missing.
        call = action(
            dossier,
            "Gọi số tiếp theo (F5)",
            "" if self.queue_panel else "F5",
            self.call_next,
            "act_call_next",
        )
        call.setEnabled(True)
        self.settings_action = action(system, "Cài đặt trạm…", "F12", self.open_settings, "act_settings")
        self.settings_action.setEnabled(self.account.can("settings"))
        if not self.account.can("settings"):
            self.settings_action.setText("Cài đặt trạm (chỉ giám sát, quản trị)")
        action(system, "Đồng bộ ngay với máy chủ", "Ctrl+Shift+Y", self.sync_now, "act_sync_now")
        action(
            system,
            "Thông báo lỗi và đánh giá của công dân…",
            "Ctrl+Shift+T",
            self.open_notices_ratings,
            "act_notices_ratings",
        )
        system.addSeparator()
        action(system, "Đăng xuất / đổi cán bộ…", "Ctrl+Shift+Q", self.request_logout, "act_logout")
        action(system, "Thoát", "Ctrl+Q", self.request_quit, "act_quit")
        action(help_menu, "Phím tắt", "F1", self.show_help, "act_help")
        esc = QShortcut(QKeySequence("Escape"), self)
        esc.activated.connect(self.hide_notice)

    # ------------------------------------------------------------------ start-up and refresh
    def start(self) -> None:
        """Everything that reads many rows, requested after the window is shown.

        The first list page goes first, alone; the scanner's application-wide event
        filter, the catalogue, the province list, the calendar, the dashboard and the
        status strip follow once it is on screen, so they do not compete with it for
        the GIL or the disk.
        """
        self._started_rest = False
        self.find.model.pageLoaded.connect(self._after_first_page)
        self.find.model.loadFailed.connect(self._after_first_page)
        QTimer.singleShot(1500, self._after_first_page)  # whatever happens to the page
        self.find.start()
        self.timer.start()
        self.status_timer.start()
        QTimer.singleShot(2000, self.sync.start)  # after the first page: it reads the outbox
        self.intake.proc_search.setFocus()

    def _after_first_page(self, *_args: Any) -> None:
        if self._started_rest:
            return
        self._started_rest = True
        if self.install_scanner and not self.scanner_installed:
            QApplication.instance().installEventFilter(self.scanner)
            self.scanner_installed = True
        self.intake.start()

        def warm_calendar() -> None:
            # The holidays package takes ~150 ms to load: not on the GUI thread at start-up.
            today = self.app.station.now().date()
            self.app.station.calendar.add_working_days(today, 10)

        run_op(
            warm_calendar,
            lambda _r: self.refresh_dashboard(),
            lambda exc: self.show_status(describe_error(exc)),
            owner=self,
        )
        QTimer.singleShot(300, self.refresh_status_strip)
        if self.devices is not None:
            try:
                from ui.roles import DeviceStatusWatcher

                self.device_watcher = DeviceStatusWatcher(self.devices, parent=self)
                self.device_watcher.statusChanged.connect(self._devices_changed)
                self.device_watcher.start()
            except Exception:  # noqa: BLE001 - the status strip is informative only
                log.exception("device status watcher failed to start")

    def _devices_changed(self, states: dict[str, Any]) -> None:
        """Ticket printer, LED board and queue host as the devices engineer's watcher reports them."""
        parts = [states[k].text for k in ("printer", "board", "queue") if k in states]
        self.serial_label.setText(" · ".join(parts) or "Thiết bị: không dùng")
        bad = any(not states[k].ok for k in states)
        self.serial_label.setStyleSheet("color: #b00020;" if bad else "")

    def update_header(self) -> None:
        unit = self.app.station.unit
        counter = f"Quầy số {self.counter_no}" if self.counter_no else "Chưa gán quầy"
        self.header.setText(
            f"<b>{unit.name}</b> &nbsp;·&nbsp; {counter} &nbsp;·&nbsp; "
            f"Cán bộ: <b>{self.account.full_name}</b> "
            f"({self.account.role.label})"
        )
        self.setWindowTitle(f"MotCua Desk – {unit.name} – {counter} – {self.account.full_name}")

    def refresh_dashboard(self) -> None:
        run_op(
            lambda: (self.app.queries.dashboard(), self.app.queries.apology_reminders()),
            self._dashboard_loaded,
            lambda exc: self.show_status(describe_error(exc)),
            owner=self,
        )

    def _dashboard_loaded(self, result: tuple[dict[str, int], list[Any]]) -> None:
        counts, reminders = result
        self.dashboard_counts = counts
        for key, label, _flt in TILES:
            n = counts.get(key, 0)
            button = self.tiles[key]
            button.setText(f"{label}\n{n:,}".replace(",", "."))
            warn = (key in ("overdue", "conflicts") and n) or (key == "due_today" and n)
            button.setStyleSheet(
                "QPushButton { background: #fde2e1; font-weight: bold; }"
                if warn and key != "due_today"
                else "QPushButton { background: #fff3cd; font-weight: bold; }"
                if warn
                else ""
            )
        self.reminders = reminders
        if reminders:
            codes = ", ".join(r.code for r in reminders[:3]) + ("…" if len(reminders) > 3 else "")
            self.apology_text.setText(
                f"<b>Nhắc việc:</b> có <b>{len(reminders)}</b> hồ sơ sắp đến hạn mà chưa có kết quả. "
                "Nếu không kịp, hãy lập "
                f"<b>Văn bản xin lỗi và hẹn lại ngày trả (Mẫu 04)</b> trước khi hết hạn: {codes}"
            )
            self.apology_banner.show()
        else:
            self.apology_banner.hide()

    def _reminder_menu(self) -> None:
        menu = QMenu(self)
        for row in self.reminders[:20]:
            act = menu.addAction(f"{row.code} – {row.applicant_name} – hạn {row.due_at:%H:%M %d/%m}")
            act.triggered.connect(lambda _c=False, c=row.code: self.open_dossier(c))
        menu.popup(self.apology_button.mapToGlobal(self.apology_button.rect().bottomLeft()))
        self.reminder_popup = menu

    def refresh_status_strip(self) -> None:
        run_op(lambda: device_status(self.app), self._status_loaded, owner=self)

    def _status_loaded(self, st: dict[str, Any]) -> None:
        if self.sync.worker is None:  # otherwise the sync worker's own status fills the label
            from ui.sync_status import describe_idle

            text, colour = describe_idle(st["enrolled"], st["pending"], PENDING_CAP)
            self.sync_label.setText(text)
            self.sync_label.setStyleSheet(f"color: {colour};" if colour else "")
        # QPrinterInfo stays on the GUI thread (print plugins are not thread-safe to load).
        from PySide6.QtPrintSupport import QPrinterInfo

        names = set(QPrinterInfo.availablePrinterNames())
        name = st["printers"].get("a5") or QPrinterInfo.defaultPrinterName()
        ok = bool(name) and name in names
        if not name:
            self.printer_label.setText("Máy in: chưa có (lưu PDF)")
        else:
            self.printer_label.setText(f"Máy in A5: {name}" + ("" if ok else " (không thấy)"))
        port, present = st["serial"]
        if self.device_watcher is not None:
            pass  # the devices' own watcher fills the device label
        elif not port:
            self.serial_label.setText("Máy in phiếu: không dùng")
        else:
            self.serial_label.setText(
                f"Máy in phiếu: {port}" + (" (sẵn sàng)" if present else " (không thấy cổng)")
            )

    # ------------------------------------------------------------------ navigation
    def show_intake(self) -> None:
        self.tabs.setCurrentWidget(self.intake)
        self.intake.proc_search.setFocus()
        self.intake.proc_search.selectAll()

    def show_find(self) -> None:
        self.tabs.setCurrentWidget(self.find)
        self.find.focus_search()

    def show_list(self, **flt: Any) -> None:
        self.tabs.setCurrentWidget(self.find)
        self.find.show_filter(**flt)
        self.find.view.setFocus()

    def show_actions(self) -> None:
        self.tabs.setCurrentWidget(self.detail)
        self.detail.actions_menu()

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.statistics_scroll:
            self.ensure_statistics()
        if self.tabs.currentWidget() is self.find and self.list_stale:
            self.list_stale = False
            self.find.refresh()

    def ensure_statistics(self) -> Any:
        """The Thống kê tab's content, built on first use: QtCharts and the report rules
        stay out of the window's start-up."""
        if self.statistics is None:
            from ui.statistics import StatisticsTab

            self.statistics = StatisticsTab(self.app, self.open_dossier, on_status=self.show_status)
            self.statistics_scroll.setWidget(self.statistics)
        return self.statistics

    def open_dossier(self, code: str) -> None:
        self.tabs.setCurrentWidget(self.detail)
        self.detail.open_code(code)

    def open_scanned(self, code: str) -> None:
        self.show_status(f"Đã quét mã {code}, đang tìm…")

        def find() -> Any:
            return self.app.queries.find_code(code)

        run_op(
            find,
            lambda row: self._scan_found(code, row),
            lambda exc: self.notify(describe_error(exc), error=True),
            owner=self,
        )

    def _scan_found(self, code: str, row: Any) -> None:
        if row is None:
            agency = parse_code(code).agency
            own = self.app.station.unit.code
            where = (
                f" Mã này thuộc cơ quan {agency}, không phải đơn vị {own}."
                if agency != own
                else " Có thể hồ sơ được tiếp nhận ở máy khác và chưa đồng bộ về máy này."
            )
            self.notify(f"Không tìm thấy hồ sơ {code} trong dữ liệu của trạm.{where}", error=True)
            return
        self.hide_notice()
        self.open_dossier(row.code)

    # ------------------------------------------------------------------ events from panels
    def _intake_saved(self, dossier: Any, form: str) -> None:
        what = {
            "receipt": "Đã tiếp nhận",
            "supplement": "Đã ghi nhận hồ sơ thiếu, yêu cầu bổ sung",
            "refusal": "Đã từ chối tiếp nhận",
        }.get(form, "Đã lưu")
        self.show_status(f"{what} hồ sơ {dossier.code}.")
        self.last_intake_code = dossier.code
        ticket = (dossier.extra or {}).get("ticket_id")
        if ticket and self.queue_panel is not None and hasattr(self.queue_panel, "link_dossier"):
            self.queue_panel.link_dossier(dossier.id, ticket)
        self.forms.after_save(form, dossier.code)  # preview, or print at once (setting)
        self._dossier_changed(dossier.code)

    def _dossier_changed(self, _code: str) -> None:
        self.refresh_dashboard()
        self.refresh_status_strip()
        if self.tabs.currentWidget() is self.find:
            self.find.refresh()
        else:
            self.list_stale = True

    def _cccd_scanned(self, text: str) -> None:
        self.tabs.setCurrentWidget(self.intake)  # a citizen's card is read into the intake form
        self.intake.cccd_scanned(text)

    def _receive_from_ticket(self, data: dict[str, Any]) -> None:
        self.tabs.setCurrentWidget(self.intake)
        self.intake.prefill_from_ticket(dict(data))

    def call_next(self) -> None:
        panel = self.queue_panel
        for name in ("call_next", "callNext"):
            if panel is not None and hasattr(panel, name):
                getattr(panel, name)()
                return
        self.show_status("Chức năng gọi số (F5) chưa được cài đặt trên máy này.")

    def print_current(self) -> None:
        current = self.tabs.currentWidget()
        if current is self.detail:
            self.detail.print_current()
        elif current is self.find and self.find.view.currentIndex().isValid():
            self.forms.preview("receipt", str(self.find.view.currentIndex().data(Qt.ItemDataRole.UserRole)))
        elif getattr(self, "last_intake_code", ""):
            self.forms.preview("receipt", self.last_intake_code)
        else:
            self.show_status("Chưa có hồ sơ để in.")

    def save_current_pdf(self) -> None:
        """Ctrl+Shift+S: the form Ctrl+P would print, saved as a PDF file."""
        with self.forms.saving_pdf():
            self.print_current()

    def print_logbook(self) -> None:
        """Ask for the date range, then preview the logbook (rendered in a worker)."""
        dialog = LogbookDialog(self.app.station.now().date(), self)
        dialog.accepted.connect(lambda: self.forms.preview_logbook(*dialog.dates()))
        self.logbook_dialog = dialog
        dialog.open()

    def open_settings(self) -> None:
        if not self.account.can("settings"):
            self.notify("Chỉ giám sát viên hoặc quản trị viên được thay đổi cài đặt.", error=True)
            return
        dialog = SettingsDialog(self.app, self.account, self)
        dialog.saved.connect(self._settings_saved)
        dialog.enrolled.connect(self.sync_now)  # start syncing right after enrolment
        self.settings_dialog = dialog
        dialog.open()

    def _settings_saved(self) -> None:
        settings = load_settings(self.app)
        self.counter_no = settings.get("counter_no") or self.account.counter_no
        self.detail.sections = settings.get("sections")
        self.forms.printer_name = (settings.get("printers") or {}).get("a5", "")
        self.forms._bridge = None
        self.update_header()
        self.intake.update_appointment()
        self.intake.start_serial_scanner()  # the scanner's port may have changed
        self.refresh_status_strip()
        self.show_status("Đã lưu cài đặt.")

    def open_notices_ratings(self) -> None:
        """Ctrl+Shift+T: failed notices (with "Gửi lại"); ratings for supervisors only."""
        from ui.notices_ratings import NoticesRatingsDialog

        dialog = NoticesRatingsDialog(self.app, self.account, self)
        self.notices_ratings_dialog = dialog
        dialog.open()

    def show_help(self) -> None:
        dialog = HelpDialog(self)
        self.help_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ messages
    def show_status(self, message: str) -> None:
        if message:
            self.statusBar().showMessage(message, 15_000)
        else:
            self.statusBar().clearMessage()  # a panel withdrew a message that no longer holds

    def notify(self, message: str, error: bool = False) -> None:
        """A banner that stays until Esc or the next success (never a blocking dialog)."""
        self.notice.setText(message)
        self.notice.setStyleSheet(
            "background: #fde2e1; border: 1px solid #b00020; padding: 4px;"
            if error
            else "background: #e8f5e9; border: 1px solid #1b5e20; padding: 4px;"
        )
        self.notice.show()
        self.show_status(message)

    def hide_notice(self) -> None:
        self.notice.hide()

    # ------------------------------------------------------------------ shutdown
    # ------------------------------------------------------------------ quitting and logging out
    def request_quit(self) -> QMessageBox:
        """Hệ thống → Thoát: ask once, then end the station (kiosk and TV close with it)."""
        return self._ask(
            "quit",
            "Thoát MotCua Desk trên máy này?\n\nMọi cửa sổ của trạm (quầy, máy lấy số, màn hình gọi số) "
            "sẽ đóng.",
            "Thoát (Enter)",
        )

    def request_logout(self) -> QMessageBox:
        """Log out / switch officer: the counter window closes, kiosk and TV keep running."""
        return self._ask(
            "logout",
            f"Đăng xuất tài khoản {self.account.full_name}?\n\nMáy lấy số và màn hình gọi số vẫn "
            "chạy; cán bộ khác đăng nhập để làm việc tiếp.",
            "Đăng xuất (Enter)",
        )

    def _ask(self, outcome: str, text: str, yes: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, "MotCua Desk", text, parent=self)
        box.setObjectName(f"{outcome}_box")
        go = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        stay = box.addButton("Ở lại (Esc)", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.setEscapeButton(stay)
        box.accepted.connect(lambda: self.end_session(outcome))  # AcceptRole → accepted
        box.buttonClicked.connect(lambda b: self.end_session(outcome) if b is go else None)
        self.session_box = box
        box.open()
        return box

    def end_session(self, outcome: str) -> None:
        """Close this window and leave the event loop; ``run_station`` decides what comes next."""
        if self.outcome:
            return
        self.outcome = outcome
        self.close()
        if self.in_station_loop:
            # Only from inside run_station's qapp.exec(): an exit() with no loop running
            # would leave Qt's quit flag set and end the next local event loop at once.
            QApplication.exit(0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.confirm_on_close and not self.outcome:
            event.ignore()  # the title bar's ✕ quits the station too: ask first
            self.request_quit()
            return
        self.shutdown()
        super().closeEvent(event)

    def _sync_status(self, status: Any) -> None:
        text, colour = self._describe_sync(status)
        self.sync_label.setText(text)
        self.sync_label.setStyleSheet(f"color: {colour};")
        if not status.running and status.online:
            self.list_stale = True

    def sync_now(self) -> None:
        if self.sync.sync_now():
            self.show_status("Đang đồng bộ với máy chủ trung tâm…")
        else:
            self.notify(
                "Trạm chưa đăng ký với máy chủ trung tâm: vào Cài đặt trạm (F12) hoặc chạy "
                "“motcua enrol --server URL --code MÃ”.",
                error=True,
            )

    def shutdown(self) -> None:
        self.sync.stop()
        self.intake.shutdown()
        if self.device_watcher is not None:
            self.device_watcher.stop()
        self.timer.stop()
        self.status_timer.stop()
        if self.scanner_installed:
            QApplication.instance().removeEventFilter(self.scanner)
            self.scanner_installed = False
        wait_all(5000)


def big_font(widget: QWidget, factor: float = 1.2) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    widget.setFont(font)


def run_station(
    qapp: QApplication,
    app: Any,
    account: Any,
    *,
    devices: Any = None,
    login: Callable[[], Any] | None = None,
    on_window: Callable[[CounterWindow], None] | None = None,
) -> int:
    """Run counter windows until the officer quits.

    "Đăng xuất / đổi cán bộ" closes the counter window and asks ``login`` for the
    next account (the kiosk and TV windows, owned by the caller, keep running);
    "Thoát" ends the loop, and the caller then closes every window of the station.
    """
    from ui.app import build_window

    qapp.setQuitOnLastWindowClosed(False)  # only Thoát ends the station, never a closed TV window
    rc = 0
    while account is not None:
        window = build_window(app, account, devices=devices)
        window.confirm_on_close = window.in_station_loop = True
        if on_window is not None:
            on_window(window)
        rc = int(qapp.exec())
        window.shutdown()
        outcome = window.outcome
        window.deleteLater()
        if outcome != "logout" or login is None:
            break
        account = login()
    return rc
