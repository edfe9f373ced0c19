"""The Qt print bridge, offscreen: a PdfFormat QPrinter stands in for the system printer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from pypdf import PdfReader

pytest.importorskip("PySide6.QtPdf")

from PySide6.QtPrintSupport import QPrinter  # noqa: E402

import printing  # noqa: E402
from tests.printing.conftest import CODE, make_ctx, page_images  # noqa: E402
from ui.print_bridge import PrintBridge, PrintError, paint_pdf, print_pdf, save_pdf  # noqa: E402

pytestmark = pytest.mark.gui

A5_PT = (419.53, 595.28)


def pdf_printer_factory(out: Path):  # type: ignore[no-untyped-def]
    def factory(_name: str) -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        return printer

    return factory


def test_paint_pdf_onto_a_pdf_printer_keeps_pages_size_and_barcodes(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: ARG001 (qapp: a QApplication must exist)
    pdf = printing.render_form("receipt", make_ctx(copies=2))
    out = tmp_path / "printed.pdf"
    pages = print_pdf(pdf, "", "receipt", pdf_printer_factory(out))
    assert pages == 2
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A5_PT, abs=1.5)
    image = page_images(out.read_bytes(), tmp_path, dpi=200)[0]
    texts = {b.text for b in zxingcpp.read_barcodes(image)}
    assert CODE in texts
    assert make_ctx().lookup_url in texts


def test_logbook_prints_landscape(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: ARG001 (qapp: a QApplication must exist)
    import datetime as dt

    from tests.printing.conftest import make_dossier, make_unit

    pdf = printing.render_logbook(make_unit(), [make_dossier()], dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    out = tmp_path / "book.pdf"
    printer = pdf_printer_factory(out)("")
    assert paint_pdf(pdf, printer) == 1  # straight from memory
    page = PdfReader(io.BytesIO(out.read_bytes())).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)


def test_bridge_prints_off_the_gui_thread_and_reports_back(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "worker.pdf"
    bridge = PrintBridge("May in quay 1", printer_factory=pdf_printer_factory(out))
    with qtbot.waitSignal(bridge.printed, timeout=10_000) as blocker:
        bridge.print_document(lambda: printing.render_form("receipt", make_ctx()), "receipt-" + CODE)
    assert blocker.args == ["receipt-" + CODE, 1]
    assert len(PdfReader(io.BytesIO(out.read_bytes())).pages) == 1


def test_missing_printer_gives_vietnamese_message_and_keeps_the_pdf(qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("ui.print_bridge.documents_dir", lambda: tmp_path / "Tài liệu")
    bridge = PrintBridge("Máy in không tồn tại")
    with qtbot.waitSignal(bridge.failed, timeout=10_000) as blocker:
        bridge.print_document(printing.render_form("receipt", make_ctx()), "receipt")
    message, path = blocker.args
    assert "Không tìm thấy máy in “Máy in không tồn tại”" in message
    assert "Bản PDF đã được lưu tại:" in message and path in message
    assert Path(path).read_bytes().startswith(b"%PDF")
    assert Path(path).parent == tmp_path / "Tài liệu" / "MotCua"  # kept where the officer finds it


@pytest.mark.expect_errors  # the deliberate rendering bug is logged with its traceback
def test_render_error_in_worker_is_reported(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = PrintBridge()

    def broken() -> bytes:
        raise RuntimeError("boom")

    with qtbot.waitSignal(bridge.failed, timeout=10_000) as blocker:
        bridge.render(broken, "x")
    assert "Lỗi khi tạo bản in" in blocker.args[0]


def test_preview_dialog_paints_the_same_pdf(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = printing.render_form("apology", make_ctx())
    bridge = PrintBridge()
    dialog = bridge.preview_dialog(pdf, None, "apology")
    qtbot.addWidget(dialog)
    out = tmp_path / "preview.pdf"
    printer = pdf_printer_factory(out)("")
    dialog.paintRequested.emit(printer)
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 1
    assert "Xem trước bản in" in dialog.windowTitle()


def test_save_pdf(tmp_path: Path) -> None:
    path = save_pdf(b"%PDF-1.4 test", tmp_path / "phieu")
    assert path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF")
    with pytest.raises(PrintError, match="Không lưu được tệp PDF"):
        save_pdf(b"%PDF", tmp_path / "missing-dir" / "x.pdf")
