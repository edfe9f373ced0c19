"""Sign the result at the counter: PKCS#12 file or USB token (PKCS#11), PIN asked here.

The signing itself (``desk_app.signing`` through ``AttachmentService.sign_result``)
runs in a worker; the PIN or password lives only in this dialog's field and is
cleared after each attempt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.attachments.model import Attachment
from ui.workers import describe_error, run_op

DEFAULT_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")
METHOD_PKCS11 = "pkcs11"
METHOD_PKCS12 = "pkcs12"


class SignResultDialog(QDialog):
    """Signals: signed(object) with the recorded ``Attachment``."""

    signed = Signal(object)

    def __init__(
        self, app: Any, actor: str, dossier: Any, result: Attachment | None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.app = app
        self.actor = actor
        self.dossier = dossier
        self.result_file = result
        self.setObjectName("sign_result_dialog")
        self.setWindowTitle(f"Ký số kết quả – hồ sơ {dossier.code}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.result_code = QLineEdit()
        self.result_code.setPlaceholderText("Ví dụ: 15/GKS-UBND")
        form.addRow("Số, ký hiệu kết quả:", self.result_code)
        self.method = QComboBox()
        self.method.addItem("USB ký số (PKCS#11)", METHOD_PKCS11)
        self.method.addItem("Tệp chứng thư số (.p12/.pfx)", METHOD_PKCS12)
        self.method.currentIndexChanged.connect(self._method_changed)
        form.addRow("Chứng thư số:", self.method)
        path_row = QHBoxLayout()
        self.path = QLineEdit(next((m for m in DEFAULT_MODULES if _exists(m)), ""))
        path_row.addWidget(self.path, 1)
        browse = QPushButton("Chọn…")
        browse.clicked.connect(self._browse)
        path_row.addWidget(browse)
        self.path_label = QLabel("Thư viện PKCS#11:")
        form.addRow(self.path_label, path_row)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_label = QLabel("Mã PIN:")
        form.addRow(self.secret_label, self.secret)
        layout.addLayout(form)
        self.code_row_label = form.labelForField(self.result_code)
        self.message = QLabel(f"Tệp kết quả: {result.pages} trang." if result else "")
        self.message.setObjectName("sign_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.sign_button = QPushButton("Ký số")
        self.sign_button.setDefault(True)
        self.sign_button.clicked.connect(self.sign)
        buttons.addWidget(self.sign_button)
        close = QPushButton("Đóng")
        close.clicked.connect(self.reject)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def _method_changed(self) -> None:
        pkcs11 = self.method.currentData() == METHOD_PKCS11
        self.path_label.setText("Thư viện PKCS#11:" if pkcs11 else "Tệp chứng thư số:")
        self.secret_label.setText("Mã PIN:" if pkcs11 else "Mật khẩu tệp:")
        self.path.clear()

    def _browse(self) -> None:
        pkcs11 = self.method.currentData() == METHOD_PKCS11
        pattern = "Thư viện (*.so *.dll *.dylib)" if pkcs11 else "Chứng thư số (*.p12 *.pfx)"
        name, _ = QFileDialog.getOpenFileName(self, "Chọn tệp", "", pattern)
        if name:
            self.path.setText(name)

    def sign(self) -> None:
        method = str(self.method.currentData())
        path = self.path.text().strip()
        secret = self.secret.text()
        self.secret.clear()
        code = self.result_code.text()
        result = self.result_file
        svc = self.app.attachments
        actor = self.actor
        dossier_code = self.dossier.code
        self.sign_button.setEnabled(False)
        self.message.setText("Đang ký số…")

        def work() -> Attachment:
            from desk_app.signing import load_pkcs12, pkcs11_signer

            assert result is not None
            unsigned = svc.read(result.sha256)
            if method == METHOD_PKCS12:
                signer = load_pkcs12(path, secret)
                att: Attachment = svc.sign_result(
                    actor, dossier_code, unsigned, signer, result_code=code, method=method
                )
                return att
            with pkcs11_signer(path, secret) as token_signer:
                att = svc.sign_result(
                    actor, dossier_code, unsigned, token_signer, result_code=code, method=method
                )
                return att

        def done(att: Attachment) -> None:
            self.sign_button.setEnabled(True)
            self.message.setText(f"Đã ký số kết quả {att.result_code}; người ký: {att.signer}.")
            self.signed.emit(att)

        def failed(exc: BaseException) -> None:
            self.sign_button.setEnabled(True)
            self.message.setText(describe_error(exc))

        run_op(work, done, failed, owner=self)


def _exists(path: str) -> bool:
    return Path(path).exists()


class SignReceiptDialog(SignResultDialog):
    """Sign the dossier's receipt (Mẫu 01) and save it as a PDF to send to the applicant.

    Signals: saved(str) with the file written.
    """

    saved = Signal(str)

    def __init__(self, app: Any, actor: str, dossier: Any, parent: QWidget | None = None):
        super().__init__(app, actor, dossier, None, parent)
        self.setObjectName("sign_receipt_dialog")
        self.setWindowTitle(f"Ký số giấy tiếp nhận – hồ sơ {dossier.code}")
        self.result_code.hide()
        if self.code_row_label is not None:
            self.code_row_label.hide()
        self.output_path = ""
        self.message.setText("Giấy tiếp nhận và hẹn trả kết quả sẽ được ký số và lưu thành tệp PDF.")

    def sign(self) -> None:
        if not self.output_path:
            name, _ = QFileDialog.getSaveFileName(
                self, "Lưu giấy tiếp nhận đã ký", f"giay-tiep-nhan-{self.dossier.code}.pdf", "PDF (*.pdf)"
            )
            if not name:
                return
            self.output_path = name
        method = str(self.method.currentData())
        path = self.path.text().strip()
        secret = self.secret.text()
        self.secret.clear()
        app = self.app
        code = self.dossier.code
        out = self.output_path
        self.sign_button.setEnabled(False)
        self.message.setText("Đang ký số…")

        def work() -> str:
            from desk_app.signing import load_pkcs12, pkcs11_signer, sign_pdf
            from printing.printouts import render_dossier_form

            receipt = render_dossier_form(app, "receipt", code)
            clock = app.station.now
            if method == METHOD_PKCS12:
                signed = sign_pdf(
                    receipt, load_pkcs12(path, secret), clock=clock, reason="Giấy tiếp nhận hồ sơ"
                )
            else:
                with pkcs11_signer(path, secret) as token_signer:
                    signed = sign_pdf(receipt, token_signer, clock=clock, reason="Giấy tiếp nhận hồ sơ")
            Path(out).write_bytes(signed)
            return out

        def done(written: str) -> None:
            self.sign_button.setEnabled(True)
            self.message.setText(f"Đã ký số và lưu giấy tiếp nhận: {written}")
            self.saved.emit(written)

        def failed(exc: BaseException) -> None:
            self.sign_button.setEnabled(True)
            self.message.setText(describe_error(exc))

        run_op(work, done, failed, owner=self)
