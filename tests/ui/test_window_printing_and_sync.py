"""The counter window's real print path and its sync status strip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zxingcpp
from pypdf import PdfReader

from tests.helpers.fakes import birth_request
from tests.printing.conftest import page_images
from tests.printing.test_print_bridge import pdf_printer_factory


def test_receipt_goes_from_the_database_through_the_bridge_to_the_printer(
    qtbot: Any, app: Any, tmp_path: Path
) -> None:
    from ui.form_printing import FormPrinter
    from ui.print_bridge import PrintBridge

    dossier = app.intake.receive("canbo1", birth_request())
    out = tmp_path / "printed.pdf"
    printer = FormPrinter(app)
    printer._bridge = PrintBridge("", printer_factory=pdf_printer_factory(out))
    with qtbot.waitSignal(printer._bridge.printed, timeout=20_000):
        printer.print_direct("receipt", dossier.code)
    assert len(PdfReader(out).pages) >= 1  # pages are painted as images: check the barcode instead
    codes = {b.text for b in zxingcpp.read_barcodes(page_images(out.read_bytes(), tmp_path, dpi=200)[0])}
    assert dossier.code in codes


def test_status_strip_follows_the_sync_worker(qtbot: Any, app: Any, monkeypatch: Any) -> None:
    from desk_app.sync.worker import SyncStatus
    from ui.main_window import CounterWindow

    account = app.accounts.authenticate("canbo1", "canbo123")
    window = CounterWindow(app, account, install_scanner=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    assert window.sync.start() is False  # not enrolled: no worker, the counter keeps working
    window.sync_now()
    assert "chưa đăng ký" in window.notice.text()
    window.sync.statusChanged.emit(
        SyncStatus(online=False, pending=3, last_error="Không kết nối được máy chủ.")
    )
    assert "Ngoại tuyến · 3 thay đổi chờ gửi" in window.sync_label.text()
    window.sync.statusChanged.emit(
        SyncStatus(online=True, pending=0, last_success="2026-11-25T09:05:00+07:00")
    )
    assert window.sync_label.text() == "● Trực tuyến · đồng bộ lúc 09:05"
