"""pytest-qt: a network scanner's folder and files (picker / drag-and-drop) end to end."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtPdf import QPdfDocument

from desk_app.attachments.pdf import PageImage, images_to_pdf, pdf_page_count
from desk_app.attachments.store import sha256_hex
from desk_app.domain.lifecycle import EventKind
from tests.attachments.scans import a4_page
from tests.helpers.fakes import birth_request


@pytest.fixture
def dialog(qtbot, app):  # type: ignore[no-untyped-def]
    from ui import attachments as ui_att

    ui_att.POLL_MS = 50
    dossier = app.intake.receive("canbo1", birth_request())
    dlg = ui_att.AttachmentsDialog(app, "canbo1", dossier)
    dlg.timer.setInterval(50)
    qtbot.addWidget(dlg)
    dlg.resize(1366, 700)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.timer.stop()
    from ui.workers import wait_all

    wait_all()


def _select_component(dlg, key: str) -> None:  # type: ignore[no-untyped-def]
    for i in range(dlg.component.count()):
        if dlg.component.itemData(i)[1] == key:
            dlg.component.setCurrentIndex(i)
            return
    raise AssertionError(key)


def test_scanned_folder_flow(qtbot, app, dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "scanner"
    folder.mkdir()
    (folder / "old.png").write_bytes(a4_page(9, dpi=60))  # there before: not offered
    dialog.watch_folder(folder)
    qtbot.waitUntil(lambda: dialog.timer.isActive(), timeout=3000)
    # The scanner writes its files (hidden temp name, then the real name).
    for n in (1, 2, 3):
        tmp = folder / f".scan{n}.part"
        tmp.write_bytes(a4_page(n, dpi=100, fmt="JPEG"))
        os.replace(tmp, folder / f"scan_{n:03d}.jpg")
    qtbot.waitUntil(lambda: dialog.pages.count() == 3, timeout=5000)
    assert "scan_001.jpg" in dialog.pages.item(0).toolTip()
    # officer: page 3 first, rotate it, drop page 2
    dialog.pages.setCurrentRow(2)
    dialog.pages.move_selected(-1)
    dialog.pages.move_selected(-1)
    dialog.pages.rotate_selected(90)
    dialog.pages.setCurrentRow(2)
    assert "scan_002.jpg" in dialog.pages.currentItem().toolTip()
    dialog.pages.remove_selected()
    assert [s.name for s in dialog.pages.staged()] == ["scan_003.jpg", "scan_001.jpg"]
    assert dialog.pages.staged()[0].rotation == 90
    _select_component(dialog, "giay_chung_sinh")
    qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1, timeout=10000)
    assert dialog.pages.count() == 0
    att = dialog.attachments[0]
    assert (att.component_key, att.pages, att.source) == ("giay_chung_sinh", 2, "folder")
    pdf = app.attachments.read(att.sha256)
    assert pdf_page_count(pdf) == 2
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        first = [float(v) for v in doc.pages[0].mediabox]
    assert first[2] > first[3]  # the rotated page came first, landscape
    qtbot.waitUntil(lambda: dialog.pdf.status() == QPdfDocument.Status.Ready, timeout=5000)
    assert dialog.pdf.pageCount() == 2
    _, events, _ = app.workflow.state(dialog.dossier.code)
    assert events[-1].kind is EventKind.ATTACHED and events[-1].actor == "canbo1"
    assert app.attachments.scanner_folder() == str(folder)  # remembered for the next dialog
    again = type(dialog)(app, "canbo1", dialog.dossier, officer_names={"canbo1": "Nguyễn Thị Hồng Nhung"})
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.watch is not None, timeout=5000)
    assert str(folder) in again.folder_label.text()
    qtbot.waitUntil(lambda: again.list.topLevelItemCount() == 1, timeout=5000)
    assert again.list.topLevelItem(0).text(3) == "Nguyễn Thị Hồng Nhung"
    again.timer.stop()
    shot = Path(os.environ.get("SHOT_DIR", tmp_path)) / "attachments.png"
    dialog.grab().save(str(shot))
    assert shot.stat().st_size > 0


def test_file_flow_picker_and_drop(qtbot, app, dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    jpg = tmp_path / "cccd.jpg"
    jpg.write_bytes(a4_page(1, dpi=80, fmt="JPEG"))
    pdf_bytes = images_to_pdf([PageImage(a4_page(n, dpi=60)) for n in (1, 2, 3)])
    pdf = tmp_path / "to_khai.pdf"
    pdf.write_bytes(pdf_bytes)
    (tmp_path / "notes.txt").write_text("không phải ảnh")
    # the picker path
    dialog.add_files([jpg])
    qtbot.waitUntil(lambda: dialog.pages.count() == 1, timeout=5000)
    _select_component(dialog, "giay_to_tuy_than")
    qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1, timeout=10000)
    # drag-and-drop of a PDF and a text file: the PDF is kept byte for byte, the text ignored
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pdf)), QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    drop = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.dropEvent(drop)
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: dialog.pages.count() == 1, timeout=5000)
    _select_component(dialog, "to_khai")
    qtbot.mouseClick(dialog.attach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 2, timeout=10000)
    atts = {a.component_key: a for a in app.attachments.list(dialog.dossier.code)}
    assert atts["to_khai"].sha256 == sha256_hex(pdf_bytes) and atts["to_khai"].pages == 3
    assert atts["giay_to_tuy_than"].pages == 1
    # detach with a reason, from the dialog
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
    dialog.reason.setText("Quét nhầm")
    qtbot.mouseClick(dialog.detach_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1, timeout=5000)
    _, events, _ = app.workflow.state(dialog.dossier.code)
    assert events[-1].kind is EventKind.DETACHED and events[-1].payload["reason"] == "Quét nhầm"


def test_bad_file_gives_vietnamese_message(qtbot, dialog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "hong.jpg"
    bad.write_bytes(b"GIF89a not a jpeg")
    dialog.add_files([Path(bad)])
    qtbot.waitUntil(lambda: "JPEG, PNG hoặc PDF" in dialog.status_line.text(), timeout=5000)
    assert dialog.pages.count() == 0


def test_reuse_offered_in_dialog(qtbot, app, dialog) -> None:  # type: ignore[no-untyped-def]
    earlier = app.intake.receive("canbo1", birth_request()).code
    app.attachments.attach_file("canbo1", earlier, a4_page(1, dpi=60), component_key="giay_to_tuy_than")
    qtbot.mouseClick(dialog.reuse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.reuse_list.topLevelItemCount() == 1, timeout=5000)
    _select_component(dialog, "giay_to_tuy_than")
    dialog.reuse(dialog.reuse_list.topLevelItem(0))
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1, timeout=5000)
    assert dialog.attachments[0].reused


@pytest.mark.parametrize("method", ["pkcs12", "pkcs11"])
def test_sign_result_from_dialog(qtbot, app, dialog, pki, softhsm, method) -> None:  # type: ignore[no-untyped-def]
    from desk_app.attachments.model import ROLE_RESULT
    from desk_app.signing import load_certificate, verify_pdf
    from tests.attachments.pki import P12_PASSWORD, PIN

    code = dialog.dossier.code
    app.attachments.attach_file("canbo1", code, a4_page(1, dpi=60), role=ROLE_RESULT)
    dialog.reload()
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 1, timeout=5000)
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
    signer = dialog.sign_current()
    qtbot.addWidget(signer)
    signer.result_code.setText("15/GKS-UBND")
    if method == "pkcs12":
        signer.method.setCurrentIndex(1)
        signer.path.setText(str(pki.p12))
        signer.secret.setText(P12_PASSWORD)
    else:
        signer.path.setText(softhsm)
        signer.secret.setText("000000")
        qtbot.mouseClick(signer.sign_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Mã PIN" in signer.message.text(), timeout=10000)
        signer.secret.setText(PIN)
    qtbot.mouseClick(signer.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 2, timeout=15000)
    assert signer.secret.text() == ""
    signed = [a for a in dialog.attachments if a.signed]
    assert signed and signed[0].result_code == "15/GKS-UBND"
    pdf = app.attachments.read(signed[0].sha256)
    assert verify_pdf(pdf, [load_certificate(pki.ca_pem)], at=app.station.now()).ok
    signer.close()


def test_disk_use_shown(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    from ui.attachments import disk_usage_label

    app.attachments.files.put(b"%PDF-1.4 " + b"x" * 2_000_000)
    host = QWidget()
    qtbot.addWidget(host)
    label = disk_usage_label(app, host)
    qtbot.waitUntil(lambda: "tệp" in label.text(), timeout=5000)
    assert label.text().startswith("1 tệp, 1,9 MB; ổ đĩa còn trống ")


def test_missing_file_of_unenrolled_station_says_why(qtbot, app, dialog) -> None:  # type: ignore[no-untyped-def]
    code = dialog.dossier.code
    att = app.attachments.attach_file("canbo1", code, a4_page(1, dpi=60), component_key="to_khai")
    app.attachments.files.path_for(att.sha256).unlink()  # as on a station that never had it
    dialog.reload()
    qtbot.waitUntil(lambda: "chưa đăng ký với máy chủ" in dialog.status_line.text(), timeout=5000)


def test_sane_button_without_scanner_and_with_one(qtbot, dialog, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.attachments.test_sources import _fake_scanimage

    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Không tìm thấy máy quét" in dialog.status_line.text(), timeout=5000)
    assert dialog.pages.count() == 0
    page = tmp_path / "page.png"
    page.write_bytes(a4_page(1, dpi=50))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_scanimage(bin_dir, f'case "$1" in -f) echo "test:0";; -d) cat "{page}";; esac\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.pages.count() == 1, timeout=5000)
    assert dialog.pages.staged()[0].data == page.read_bytes()


def test_receipt_signed_and_saved(qtbot, app, dialog, pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pypdf

    from desk_app.signing import load_certificate, verify_pdf
    from tests.attachments.pki import P12_PASSWORD

    signer = dialog.sign_receipt()
    qtbot.addWidget(signer)
    signer.output_path = str(tmp_path / "receipt.pdf")
    signer.method.setCurrentIndex(1)
    signer.path.setText(str(pki.p12))
    signer.secret.setText(P12_PASSWORD)
    qtbot.mouseClick(signer.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Đã ký số" in signer.message.text(), timeout=15000)
    pdf = (tmp_path / "receipt.pdf").read_bytes()
    assert verify_pdf(pdf, [load_certificate(pki.ca_pem)], at=app.station.now()).ok
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert dialog.dossier.code in text
    signer.close()
