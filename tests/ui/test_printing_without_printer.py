"""Printing without a printer: preview can be off, "Lưu PDF…" in Vietnamese, nothing left in temp."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTranslator
from PySide6.QtWidgets import QFileDialog

import printing
from tests.helpers.fakes import birth_request
from tests.printing.conftest import make_ctx
from tests.printing.test_print_bridge import pdf_printer_factory
from tests.ui.conftest import login, open_window
from tests.ui.keys import press

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Tài liệu"
    monkeypatch.setattr("ui.print_bridge.documents_dir", lambda: folder)
    return folder


@pytest.fixture
def system_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh system temp folder for Python and Qt alike."""
    import tempfile

    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def pdfs_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.pdf"))


def test_file_names_are_readable_ascii() -> None:
    import datetime as dt

    from ui.form_printing import logbook_file_name, pdf_file_name
    from ui.print_bridge import safe_file_name

    assert pdf_file_name("receipt", "000.21.31.H56-261125-0001") == "Mau01-000.21.31.H56-261125-0001.pdf"
    assert pdf_file_name("apology", "000.21.31.H56-261125-0001").startswith("Mau04-")
    assert logbook_file_name(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == (
        "Mau07-So-theo-doi-2026-11-01-den-2026-11-30.pdf"
    )
    assert safe_file_name("Giấy tiếp nhận hồ sơ – Đặng") == "Giay-tiep-nhan-ho-so-Dang"


def test_preview_and_print_leave_no_pdf_in_the_temp_folder(
    qtbot: Any, tmp_path: Path, system_temp: Path
) -> None:
    from ui.print_bridge import PrintBridge, print_pdf

    before = pdfs_under(system_temp)
    pdf = printing.render_form("receipt", make_ctx())
    bridge = PrintBridge()
    dialog = bridge.preview_dialog(pdf, None, "receipt")
    qtbot.addWidget(dialog)
    dialog.paintRequested.emit(pdf_printer_factory(tmp_path / "preview.pdf")(""))
    assert print_pdf(pdf, "", "receipt", pdf_printer_factory(tmp_path / "printed.pdf")) == 1
    assert (tmp_path / "preview.pdf").exists() and (tmp_path / "printed.pdf").exists()
    assert pdfs_under(system_temp) == before == []


def test_vietnamese_qt_dialogs(qapp: Any) -> None:
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    from ui.translations import install_qt_translations

    loaded = install_qt_translations(qapp)
    try:
        assert "qt_vi" in loaded
        assert QCoreApplication.translate("QPrintPreviewDialog", "Next page") == "Trang sau"
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Hủy"
        dialog = QPrintPreviewDialog()
        texts = (
            {a.text() for a in dialog.findChildren(type(dialog.actions()[0])) if a.text()}
            if dialog.actions()
            else set()
        )
        texts |= {a.text() for a in _all_actions(dialog)}
        assert {"Trang sau", "Phóng to", "Thiết lập trang", "In"} <= texts
        assert dialog.windowTitle().startswith("Xem trước bản in")
        dialog.deleteLater()
    finally:
        for translator in qapp.findChildren(QTranslator):
            qapp.removeTranslator(translator)
            translator.deleteLater()


def _all_actions(widget: Any) -> list[Any]:
    from PySide6.QtGui import QAction

    return list(widget.findChildren(QAction))


def test_shipped_translation_is_compiled_from_its_source(tmp_path: Path) -> None:
    out = tmp_path / "qt_vi.qm"
    lrelease = Path(__import__("sys").executable).parent / "pyside6-lrelease"
    src = ROOT / "resources" / "translations" / "qt_vi.ts"
    subprocess.run([str(lrelease), "-silent", str(src), "-qm", str(out)], check=True)
    assert out.read_bytes() == (ROOT / "resources" / "translations" / "qt_vi.qm").read_bytes()


def test_save_pdf_dialog_in_vietnamese_into_documents(
    qtbot: Any, app: Any, docs: Path, system_temp: Path
) -> None:
    from ui.form_printing import FormPrinter

    dossier = app.intake.receive("canbo1", birth_request())
    printer = FormPrinter(app)
    printer.save_pdf("receipt", dossier.code)
    qtbot.waitUntil(
        lambda: printer.save_dialog is not None and printer.save_dialog.isVisible(), timeout=10_000
    )
    dialog = printer.save_dialog
    assert dialog.windowTitle() == "Lưu bản in thành tệp PDF"
    assert dialog.labelText(QFileDialog.DialogLabel.Accept) == "Lưu"
    assert dialog.labelText(QFileDialog.DialogLabel.Reject) == "Hủy"
    assert dialog.labelText(QFileDialog.DialogLabel.FileName) == "Tên tệp:"
    assert Path(dialog.directory().absolutePath()) == docs
    messages: list[str] = []
    printer.message.connect(messages.append)
    dialog.accept()
    target = docs / f"Mau01-{dossier.code}.pdf"
    qtbot.waitUntil(target.exists, timeout=5000)
    assert target.read_bytes().startswith(b"%PDF")
    assert any(str(target) in m for m in messages)
    assert pdfs_under(system_temp) == []
    dialog.deleteLater()


def test_preview_after_save_can_be_turned_off(qtbot: Any, app: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from ui.form_printing import FormPrinter, preview_after_save
    from ui.print_bridge import PrintBridge

    previews: list[tuple[str, str]] = []
    monkeypatch.setattr(FormPrinter, "preview", lambda _self, form, code: previews.append((form, code)))
    dossier = app.intake.receive("canbo1", birth_request())
    printer = FormPrinter(app)
    out = tmp_path / "printed.pdf"
    printer._bridge = PrintBridge("", printer_factory=pdf_printer_factory(out))
    assert preview_after_save(app) is True  # the default
    printer.after_save("receipt", dossier.code)
    qtbot.waitUntil(lambda: previews == [("receipt", dossier.code)], timeout=5000)
    with app.station.uow() as uow:
        uow.meta.set_json("settings.printers", {"a4": "", "a5": "", "preview_after_save": False})
        uow.commit()
    with qtbot.waitSignal(printer._bridge.printed, timeout=20_000):
        printer.after_save("receipt", dossier.code)
    assert out.exists() and len(previews) == 1


def test_settings_dialog_has_the_preview_switch(qtbot: Any, app: Any) -> None:
    from desk_app.domain.model import Role
    from ui.settings_dialog import SettingsDialog

    account = app.accounts.create("giamsat", "Trần Văn Giám", "giamsat123", Role.SUPERVISOR, 0)
    dialog = SettingsDialog(app, account)
    qtbot.addWidget(dialog)
    assert dialog.preview_after_save.isChecked()
    dialog.preview_after_save.setChecked(False)
    _hours, settings = dialog.collect()
    assert settings.printers.preview_after_save is False


def test_ctrl_shift_s_saves_the_open_dossier(qtbot: Any, app: Any, docs: Path) -> None:
    dossier = app.intake.receive("canbo1", birth_request())
    dialog = login(qtbot, app, "canbo1", "canbo123")
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    window = open_window(qtbot, app, dialog.account)
    try:
        window.open_dossier(dossier.code)
        qtbot.waitUntil(lambda: dossier.code in window.detail.header.text(), timeout=5000)
        press(
            window.detail,
            Qt.Key.Key_S,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        qtbot.waitUntil(lambda: window.forms.save_dialog is not None, timeout=10_000)
        save = window.forms.save_dialog
        assert save.selectedFiles()[0].endswith(f"Mau01-{dossier.code}.pdf")
        save.accept()
        qtbot.waitUntil((docs / f"Mau01-{dossier.code}.pdf").exists, timeout=5000)
        save.deleteLater()
    finally:
        window.shutdown()
