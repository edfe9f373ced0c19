"""Settings (supervisor / admin only): unit, counters, hours and calendar, printers, ports, server.

Unit data goes through ``Station.set_unit``; calendar overrides through
``app.calendar`` (in a worker); everything else is one
typed ``desk_app.settings.Settings`` record written through ``app.settings``
(the serial ports are the devices' own ``Settings.devices``, the ones the
devices use). Saving runs off the GUI thread (``app_op``). The "Máy chủ" tab
enrols the station with the central server using the one-time code
(``desk_app.sync.client.enrol``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.domain.errors import DomainError, ValidationError
from desk_app.domain.model import FormSet, UnitLevel, WorkingHours
from desk_app.settings import CounterEntry, Printers, ServerSettings, Settings, is_server_url
from desk_app.validation import validate_hhmm
from ui.common import ErrorLabel, fmt_date
from ui.dossier_actions import DEFAULT_SECTIONS
from ui.workers import app_op, describe_error

if TYPE_CHECKING:
    from desk_app.bootstrap import App

BAUDS = ["9600", "19200", "38400", "57600", "115200"]


def system_printers() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return list(QPrinterInfo.availablePrinterNames())


def serial_ports() -> list[tuple[str, str]]:
    try:
        from serial.tools import list_ports
    except ImportError:
        return []
    return [(p.device, p.description or "") for p in list_ports.comports()]


def _port_value(combo: QComboBox) -> str:
    """The chosen device ('' for "not used"); a typed port name such as COM7 is kept as typed."""
    idx = combo.currentIndex()
    text = combo.currentText().strip()
    if idx >= 0 and text == combo.itemText(idx):
        return str(combo.itemData(idx) or "")
    return text


def load_settings(app: App) -> dict[str, Any]:
    """A dict view of ``app.settings.load()`` in the shape the counter window reads.

    Kept so the counter window's readers need no change; the ports come from
    ``Settings.devices``, the same values the devices use.
    """
    st = app.settings.load()
    d = st.devices
    return {
        "counters": [dataclasses.asdict(c) for c in st.counters] or None,
        "counter_no": d.counter_no,
        "printers": dataclasses.asdict(st.printers),
        "serial": {
            "ticket_printer": {"port": d.printer_port, "baud": d.printer_baud},
            "led_board": {"port": d.led_port, "baud": d.led_baud},
            "scanner": {"port": d.scanner_port, "baud": d.scanner_baud},
        },
        "server": dataclasses.asdict(st.server),
        "sections": list(st.sections) or None,
    }


class SettingsDialog(QDialog):
    """Signals:
    saved(): settings were written (the window refreshes its header and status strip).
    """

    saved = Signal()
    enrolled = Signal()  # the station was enrolled with the central server

    def __init__(self, app: App, account: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.app = app
        self.account = account
        self.setObjectName("settings_dialog")
        self.setWindowTitle("Cài đặt trạm")
        self.resize(760, 560)
        self.settings: Settings = app.settings.load()  # small: one meta row
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self._unit_tab()
        self._counters_tab()
        self._calendar_tab()
        self._devices_tab()
        self._server_tab()
        self.error = ErrorLabel("settings")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        ok = buttons.addButton("Lưu cài đặt", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("settings_save")
        buttons.addButton("Đóng (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # ------------------------------------------------------------------ tabs
    def _unit_tab(self) -> None:
        unit = self.app.station.unit
        page = QWidget()
        form = QFormLayout(page)
        self.unit_code = QLineEdit(unit.code)
        self.unit_code.setReadOnly(True)
        self.unit_code.setToolTip(
            "Mã định danh điện tử của cơ quan; đổi bằng lệnh “motcua init” khi cài đặt lại."
        )
        self.unit_name = QLineEdit(unit.name)
        self.unit_name.setObjectName("unit_name")
        self.parent_name = QLineEdit(unit.parent_name)
        self.place = QLineEdit(unit.place)
        self.address = QLineEdit(unit.address)
        self.unit_phone = QLineEdit(unit.phone)
        self.level = QComboBox()
        # "Huyện (cũ)" only for a unit already set up so (its old dossiers still print).
        levels = UnitLevel.for_new_units() + ([UnitLevel.HUYEN] if unit.level is UnitLevel.HUYEN else [])
        for lv in levels:
            self.level.addItem(lv.label, lv.value)
        self.level.setCurrentIndex(self.level.findData(unit.level.value))
        self.form_set = QComboBox()
        self.form_set.addItem("Thông tư 03/2025/TT-VPCP (mặc định)", FormSet.TT03_2025.value)
        self.form_set.addItem("Thông tư 01/2018/TT-VPCP (cũ)", FormSet.TT01_2018.value)
        self.form_set.setCurrentIndex(self.form_set.findData(unit.form_set.value))
        self.lookup_url = QLineEdit(unit.lookup_base_url)
        self.body_name = QLineEdit(unit.body_name)
        self.body_name.setObjectName("body_name")
        self.body_name.setPlaceholderText(unit.one_stop_body)
        form.addRow("Mã định danh cơ quan:", self.unit_code)
        form.addRow("Tên đơn vị:", self.unit_name)
        form.addRow("Cơ quan chủ quản (in trên mẫu):", self.parent_name)
        form.addRow("Địa danh (ghi trước ngày tháng):", self.place)
        form.addRow("Địa chỉ:", self.address)
        form.addRow("Điện thoại:", self.unit_phone)
        form.addRow("Cấp:", self.level)
        form.addRow("Tên bộ phận một cửa (in trên mẫu):", self.body_name)
        form.addRow("Bộ biểu mẫu:", self.form_set)
        form.addRow("Trang tra cứu hồ sơ (QR):", self.lookup_url)
        self.tabs.addTab(page, "Đơn vị")

    def _counters_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        form = QFormLayout()
        self.counter_no = QSpinBox()
        self.counter_no.setRange(1, 99)
        self.counter_no.setValue(int(self.settings.devices.counter_no or self.account.counter_no or 1))
        form.addRow("Máy này là quầy số:", self.counter_no)
        lay.addLayout(form)
        lay.addWidget(QLabel("Danh sách quầy (số – tên / lĩnh vực phụ trách):"))
        self.counters = QTableWidget(0, 2)
        self.counters.setObjectName("counters_table")
        self.counters.setHorizontalHeaderLabels(["Số quầy", "Tên quầy / lĩnh vực"])
        self.counters.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for entry in self.settings.counters or (CounterEntry(1, "Quầy 1 – Hộ tịch, Chứng thực"),):
            self._add_counter(entry.no, entry.name)
        lay.addWidget(self.counters)
        row = QHBoxLayout()
        add = QPushButton("Thêm quầy")
        add.clicked.connect(lambda: self._add_counter(self.counters.rowCount() + 1, ""))
        remove = QPushButton("Xóa quầy đang chọn")
        remove.clicked.connect(lambda: self.counters.removeRow(self.counters.currentRow()))
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(QLabel("Bộ phận nhận hồ sơ khi chuyển xử lý (mỗi dòng một bộ phận):"))
        self.sections = QPlainTextEdit("\n".join(self.settings.sections or DEFAULT_SECTIONS))
        self.sections.setMaximumHeight(110)
        lay.addWidget(self.sections)
        self.tabs.addTab(page, "Quầy")

    def _add_counter(self, number: int, name: str) -> None:
        row = self.counters.rowCount()
        self.counters.insertRow(row)
        self.counters.setItem(row, 0, QTableWidgetItem(str(number)))
        self.counters.setItem(row, 1, QTableWidgetItem(name))

    def _calendar_tab(self) -> None:
        hours = self.app.station.unit.hours
        page = QWidget()
        lay = QVBoxLayout(page)
        form = QFormLayout()
        self.hours: dict[str, QLineEdit] = {}
        for key, label in (
            ("morning_start", "Buổi sáng từ"),
            ("morning_end", "Buổi sáng đến"),
            ("afternoon_start", "Buổi chiều từ"),
            ("afternoon_end", "Buổi chiều đến"),
            ("same_day_cutoff", "Giờ chốt hồ sơ trong ngày"),
        ):
            edit = QLineEdit(getattr(hours, key))
            edit.setObjectName(f"hours_{key}")
            edit.setInputMask("99:99")
            self.hours[key] = edit
            form.addRow(label + ":", edit)
        self.saturday = QCheckBox("Tiếp nhận sáng thứ Bảy")
        self.saturday.setChecked(hours.saturday_morning)
        form.addRow("", self.saturday)
        lay.addLayout(form)
        lay.addWidget(QLabel("Ngày nghỉ bổ sung và ngày làm bù (theo thông báo của Chính phủ / tỉnh):"))
        self.overrides = QTableWidget(0, 3)
        self.overrides.setObjectName("overrides_table")
        self.overrides.setHorizontalHeaderLabels(["Ngày", "Loại", "Ghi chú"])
        self.overrides.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.overrides.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.overrides)
        row = QHBoxLayout()
        self.override_date = QDateEdit()
        self.override_date.setObjectName("override_date")
        self.override_date.setCalendarPopup(True)
        self.override_date.setDisplayFormat("dd/MM/yyyy")
        today = self.app.station.now().date()
        self.override_date.setDate(QDate(today.year, today.month, today.day))
        self.override_kind = QComboBox()
        self.override_kind.setObjectName("override_kind")
        self.override_kind.addItem("Ngày nghỉ", "off")
        self.override_kind.addItem("Ngày làm bù", "work")
        self.override_note = QLineEdit()
        self.override_note.setObjectName("override_note")
        self.override_note.setPlaceholderText("Ghi chú, ví dụ: nghỉ bù Quốc khánh")
        add = QPushButton("Thêm")
        add.setObjectName("override_add")
        add.clicked.connect(self.add_override)
        remove = QPushButton("Xóa dòng chọn")
        remove.clicked.connect(self.remove_override)
        for w in (self.override_date, self.override_kind, self.override_note, add, remove):
            row.addWidget(w)
        lay.addLayout(row)
        self._load_overrides()
        year = self.app.station.now().year
        try:
            holidays = self.app.station.calendar.non_working_days(year)
        except Exception:  # noqa: BLE001 - the holiday table is informative only
            holidays = []
        legal = QLabel(
            f"Ngày nghỉ lễ năm {year} đã tính sẵn: "
            + "; ".join(f"{d:%d/%m} {name}" for d, name in holidays if d.weekday() < 5)
            + "."
        )
        legal.setObjectName("legal_holidays")
        legal.setWordWrap(True)
        legal.setStyleSheet("color: #555;")
        lay.addWidget(legal)
        self.tabs.addTab(page, "Giờ làm việc và lịch")

    def _load_overrides(self) -> None:
        app_op(self.app, lambda app: app.calendar.overrides(), self._show_overrides, self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.error.show_error(describe_error(exc))

    def _show_overrides(self, rows: list[tuple[dt.date, str, str]]) -> None:
        self.overrides.setRowCount(0)
        for day, kind, note in rows:
            r = self.overrides.rowCount()
            self.overrides.insertRow(r)
            item = QTableWidgetItem(fmt_date(day))
            item.setData(Qt.ItemDataRole.UserRole, day.isoformat())
            self.overrides.setItem(r, 0, item)
            self.overrides.setItem(r, 1, QTableWidgetItem("Ngày nghỉ" if kind == "off" else "Ngày làm bù"))
            self.overrides.setItem(r, 2, QTableWidgetItem(note))

    def add_override(self) -> None:
        """Store the day off / make-up workday in a worker, then reload the table."""
        q = self.override_date.date()
        day = dt.date(q.year(), q.month(), q.day())
        kind = self.override_kind.currentData()
        note = self.override_note.text().strip()
        actor = str(getattr(self.account, "username", ""))

        def done(_result: None) -> None:
            self.override_note.clear()
            self._load_overrides()

        app_op(
            self.app, lambda app: app.calendar.set_day(day, kind, note, actor), done, self._failed, owner=self
        )

    def remove_override(self) -> None:
        row = self.overrides.currentRow()
        item = self.overrides.item(row, 0) if row >= 0 else None
        if item is None:
            return
        day = dt.date.fromisoformat(item.data(Qt.ItemDataRole.UserRole))
        actor = str(getattr(self.account, "username", ""))
        app_op(
            self.app,
            lambda app: app.calendar.remove_day(day, actor),
            lambda _r: self._load_overrides(),
            self._failed,
            owner=self,
        )

    def _devices_tab(self) -> None:
        page = QWidget()
        form = QFormLayout(page)
        printers = dataclasses.asdict(self.settings.printers)
        names = system_printers()
        self.printer_a4 = QComboBox()
        self.printer_a5 = QComboBox()
        for combo, key in ((self.printer_a4, "a4"), (self.printer_a5, "a5")):
            combo.addItem("(máy in mặc định của hệ thống)", "")
            for name in names:
                combo.addItem(name, name)
            combo.setCurrentIndex(max(combo.findData(printers.get(key, "")), 0))
        if not names:
            form.addRow(QLabel("Không tìm thấy máy in nào trong hệ thống; biểu mẫu vẫn lưu được thành PDF."))
        form.addRow("Máy in A4 (sổ theo dõi):", self.printer_a4)
        form.addRow("Máy in A5 (giấy tiếp nhận, phiếu):", self.printer_a5)
        self.preview_after_save = QCheckBox("Xem trước bản in sau mỗi lần lưu hồ sơ (bỏ chọn: in ngay)")
        self.preview_after_save.setObjectName("preview_after_save")
        self.preview_after_save.setChecked(self.settings.printers.preview_after_save)
        form.addRow(self.preview_after_save)
        devices = self.settings.devices
        serial = {
            "ticket_printer": (devices.printer_port, devices.printer_baud),
            "led_board": (devices.led_port, devices.led_baud),
            "scanner": (devices.scanner_port, devices.scanner_baud),
        }
        ports = serial_ports()
        self.ports: dict[str, QComboBox] = {}
        self.bauds: dict[str, QComboBox] = {}
        for key, label in (
            ("ticket_printer", "Máy in phiếu thứ tự"),
            ("led_board", "Bảng LED quầy / bảng chính"),
            ("scanner", "Máy quét mã vạch (cổng COM)"),
        ):
            port = QComboBox()
            port.setEditable(True)
            port.addItem("(không dùng)", "")
            for device, desc in ports:
                port.addItem(f"{device} – {desc}" if desc else device, device)
            current, current_baud = serial[key]
            idx = port.findData(current)
            if idx >= 0:
                port.setCurrentIndex(idx)
            elif current:
                port.setEditText(current)
            baud = QComboBox()
            baud.addItems(BAUDS)
            baud.setCurrentText(str(current_baud))
            row = QHBoxLayout()
            row.addWidget(port, 1)
            row.addWidget(QLabel("tốc độ:"))
            row.addWidget(baud)
            box = QWidget()
            box.setLayout(row)
            form.addRow(label + ":", box)
            self.ports[key] = port
            self.bauds[key] = baud
        if not ports:
            form.addRow(QLabel("Không phát hiện cổng nối tiếp (COM) nào trên máy này."))
        self.tabs.addTab(page, "Máy in và thiết bị")

    def _server_tab(self) -> None:
        server = self.settings.server
        page = QWidget()
        form = QFormLayout(page)
        self.server_url = QLineEdit(server.url)
        self.server_url.setObjectName("server_url")
        self.server_url.setPlaceholderText("https://motcua.khanhhoa.gov.vn")
        self.enrol_code = QLineEdit(server.enrol_code)
        self.enrol_code.setObjectName("enrol_code")
        form.addRow("Địa chỉ máy chủ trung tâm:", self.server_url)
        form.addRow("Mã đăng ký trạm:", self.enrol_code)
        enrolled = self.app.server_url()
        self.enrol_state = QLabel(
            f"Trạm đã đăng ký với máy chủ {enrolled}."
            if enrolled
            else "Trạm chưa đăng ký với máy chủ trung tâm."
        )
        self.enrol_state.setObjectName("enrol_state")
        self.enrol_state.setWordWrap(True)
        self.enrol_button = QPushButton("Đăng ký trạm với máy chủ")
        self.enrol_button.setObjectName("enrol_button")
        self.enrol_button.clicked.connect(self.enrol)
        form.addRow(self.enrol_button)
        form.addRow(self.enrol_state)
        from ui.attachments import disk_usage_label

        form.addRow("Bản số hóa trên máy:", disk_usage_label(self.app, page))
        self.tabs.addTab(page, "Máy chủ")

    def enrol(self) -> None:
        """Enrol this station with the one-time code, off the GUI thread."""
        url = self.server_url.text().strip()
        code = self.enrol_code.text().strip()
        if not is_server_url(url) or not code:
            self.enrol_state.setText(
                "Nhập địa chỉ máy chủ (http:// hoặc https://) và mã đăng ký do quản trị tỉnh cấp."
            )
            return
        self.enrol_button.setEnabled(False)
        self.enrol_state.setText("Đang đăng ký…")

        def done(answer: dict[str, Any]) -> None:
            self.enrol_button.setEnabled(True)
            self.enrol_code.clear()  # one-time code: spent
            self.enrol_state.setText(
                f"Đã đăng ký: đơn vị {answer['unit_code']}, thiết bị số {int(answer['slot']) + 1}. "
                "Trạm sẽ tự đồng bộ khi có mạng."
            )
            self.enrolled.emit()

        def failed(exc: BaseException) -> None:
            self.enrol_button.setEnabled(True)
            self.enrol_state.setText(str(exc) or describe_error(exc))

        app_op(self.app, lambda app: app.enrol(url, code, name="counter"), done, failed, owner=self)

    # ------------------------------------------------------------------ save
    def collect(self) -> tuple[WorkingHours, Settings]:
        """The hours and the new settings from the form; ``ValidationError`` for a bad field."""
        hours = {k: validate_hhmm(e.text(), k) for k, e in self.hours.items()}
        counters = []
        for r in range(self.counters.rowCount()):
            no_item, name_item = self.counters.item(r, 0), self.counters.item(r, 1)
            no_text = no_item.text().strip() if no_item else ""
            if not no_text.isdigit():
                raise ValidationError("counters", f"Số quầy ở dòng {r + 1} phải là số.")
            counters.append(CounterEntry(int(no_text), name_item.text().strip() if name_item else ""))
        url = self.server_url.text().strip()
        ports = {key: _port_value(combo) for key, combo in self.ports.items()}
        bauds = {key: int(combo.currentText()) for key, combo in self.bauds.items()}
        devices = self.settings.devices.replace(
            counter_no=self.counter_no.value(),
            printer_port=ports["ticket_printer"],
            printer_baud=bauds["ticket_printer"],
            led_port=ports["led_board"],
            led_baud=bauds["led_board"],
            scanner_port=ports["scanner"],
            scanner_baud=bauds["scanner"],
        )
        settings = self.settings.replace(
            devices=devices,
            counters=tuple(counters),
            sections=tuple(s.strip() for s in self.sections.toPlainText().splitlines() if s.strip()),
            printers=Printers(
                self.printer_a4.currentData() or "",
                self.printer_a5.currentData() or "",
                self.preview_after_save.isChecked(),
            ),
            server=ServerSettings(url, self.enrol_code.text().strip()),
        )
        settings.validate()
        return WorkingHours(saturday_morning=self.saturday.isChecked(), **hours), settings

    def save(self) -> None:
        """Validate on the GUI thread, write in a worker; ``saved`` and close when it is stored."""
        try:
            hours, settings = self.collect()
            unit = dataclasses.replace(
                self.app.station.unit,
                name=self.unit_name.text().strip(),
                parent_name=self.parent_name.text().strip(),
                place=self.place.text().strip(),
                address=self.address.text().strip(),
                phone=self.unit_phone.text().strip(),
                level=UnitLevel(self.level.currentData()),
                form_set=FormSet(self.form_set.currentData()),
                lookup_base_url=self.lookup_url.text().strip(),
                body_name=" ".join(self.body_name.text().split()),
                hours=hours,
            )
            if not unit.name:
                raise ValidationError("unit_name", "Tên đơn vị không được để trống.")
        except DomainError as exc:
            self.error.show_error(str(exc))
            return
        devices = settings.devices

        def keep_others(stored: Settings) -> Settings:
            # Fields this dialog does not show (roles, queue, printer mode…) stay as stored,
            # even when ``motcua station set`` changed them while the dialog was open.
            return settings.replace(
                devices=stored.devices.replace(
                    counter_no=devices.counter_no,
                    printer_port=devices.printer_port,
                    printer_baud=devices.printer_baud,
                    led_port=devices.led_port,
                    led_baud=devices.led_baud,
                    scanner_port=devices.scanner_port,
                    scanner_baud=devices.scanner_baud,
                ),
                receipt_copies=stored.receipt_copies,
            )

        def work(app: App) -> Settings:
            app.station.set_unit(unit)
            stored = app.settings.edit(keep_others)
            app.station.invalidate_calendar()
            return stored

        def done(stored: Settings) -> None:
            self.settings = stored
            self.setEnabled(True)
            self.saved.emit()
            self.accept()

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            self.error.show_error(describe_error(exc))  # disk full etc.: tell staff, keep the dialog

        self.setEnabled(False)
        app_op(self.app, work, done, failed, owner=self)
