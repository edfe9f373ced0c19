"""Login dialog: staff account and password; the password check runs in a worker (argon2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from desk_app.domain.model import Role
from ui.workers import describe_error, run_op

if TYPE_CHECKING:
    from desk_app.bootstrap import App


class LoginDialog(QDialog):
    """Pick the account (typed or chosen), enter the password, Enter logs in, Esc quits."""

    def __init__(self, app: App, username: str = "", password: str = "", hint: str = "", parent: Any = None):
        super().__init__(parent)
        self.app = app
        self.account: Any = None
        self.setWindowTitle("Đăng nhập – MotCua Desk")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        try:
            unit_name = app.station.unit.name
        except Exception:  # noqa: BLE001 - an uninitialised station still lets an admin log in
            unit_name = "Trạm chưa khởi tạo đơn vị"
        title = QLabel("BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        unit = QLabel(unit_name)
        unit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        unit.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(unit)

        form = QFormLayout()
        self.user = QComboBox()
        self.user.setEditable(True)
        self.user.setObjectName("login_user")
        accounts = [a for a in app.accounts.list() if a.active and a.role is not Role.KIOSK]
        for account in accounts:
            self.user.addItem(f"{account.username} – {account.full_name}", account.username)
        self.user.setEditText(username)
        self.password = QLineEdit(password)
        self.password.setObjectName("login_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Tài khoản:", self.user)
        form.addRow("&Mật khẩu:", self.password)
        layout.addLayout(form)
        self.error = QLabel("")
        self.error.setObjectName("login_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setStyleSheet("color: #555;")
            layout.addWidget(hint_label)
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("Đăng nhập", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        buttons.addButton("Thoát", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        (self.password if username else self.user).setFocus()

    def username(self) -> str:
        text = self.user.currentText().strip()
        index = self.user.findText(text)
        if index >= 0:
            return str(self.user.itemData(index))
        return text.split(" – ")[0].strip()

    def try_login(self) -> None:
        username, password = self.username(), self.password.text()
        if not username or not password:
            self.error.setText("Nhập tên đăng nhập và mật khẩu.")
            return
        self.ok.setEnabled(False)
        self.error.setText("Đang kiểm tra…")
        run_op(
            lambda: self.app.accounts.authenticate(username, password), self._done, self._failed, owner=self
        )

    def _done(self, account: Any) -> None:
        self.account = account
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.error.setText(describe_error(exc))
        self.password.selectAll()
        self.password.setFocus()
