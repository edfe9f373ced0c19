"""Login dialog: staff account and password; the password check runs in a worker (argon2)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QKeyEvent
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
from desk_app.services.accounts import AccountLocked, locked_message
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
        # Enter in the account box logs in (or moves to an empty password) instead of
        # only accepting the inline completion or adding the text as a new item.
        self.user.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.user.lineEdit().installEventFilter(self)
        self.user.editTextChanged.connect(self._account_changed)
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
        self.locked_user = ""
        self.lock_left = dt.timedelta(0)
        self.lock_timer = QTimer(self)
        self.lock_timer.setInterval(1000)
        self.lock_timer.timeout.connect(lambda: self.tick_lock(1))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            watched is self.user.lineEdit()
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            line = self.user.lineEdit()
            line.setText(line.text())  # accept the completion shown inline, as Enter would
            if not self.password.text():
                self.password.setFocus()
            elif self.ok.isEnabled():
                self.try_login()
            return True
        return super().eventFilter(watched, event)

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
        if isinstance(exc, AccountLocked):
            self.locked_user = exc.username
            self.lock_left = exc.remaining
            self.ok.setEnabled(False)
            self.lock_timer.start()

    def tick_lock(self, seconds: float = 1) -> None:
        """Count the lock-out down on screen; the service decides again at the next try."""
        if not self.locked_user:
            return
        self.lock_left -= dt.timedelta(seconds=seconds)
        if self.lock_left > dt.timedelta(0):
            self.error.setText(locked_message(self.locked_user, self.lock_left))
            return
        self.lock_timer.stop()
        self.locked_user = ""
        self.ok.setEnabled(True)
        self.error.setText("Có thể đăng nhập lại.")

    def _account_changed(self, _text: str) -> None:
        if self.locked_user and self.username() != self.locked_user:
            self.lock_timer.stop()  # another account is not locked by this one's failures
            self.locked_user = ""
            self.ok.setEnabled(True)
            self.error.setText("")


def ask_login(app: Any) -> Any:
    """The next officer's account after a log-out, or None when the dialog is closed."""
    dialog = LoginDialog(app)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    account = dialog.account if accepted else None
    dialog.deleteLater()
    return account
