"""Digitised papers: content-addressed store, scans to one PDF, attach/detach/reuse events."""

from __future__ import annotations

import io
import os
import resource
import signal
import stat

import pikepdf
import pytest
from PIL import Image

from desk_app.attachments.model import ROLE_RESULT, digitisation
from desk_app.attachments.pdf import DocumentError, PageImage, images_to_pdf, pdf_page_count
from desk_app.attachments.store import DiskFullError, FileStore, sha256_hex
from desk_app.domain.errors import DomainError
from desk_app.domain.lifecycle import EventKind, Status, allowed_actions
from tests.attachments.scans import a4_page
from tests.helpers.fakes import birth_request


def _first_image(page: pikepdf.Page) -> pikepdf.Object:
    xobjects = page.obj.Resources.XObject
    return xobjects[next(iter(xobjects.keys()))]


def test_store_is_content_addressed_private_and_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = os.umask(0)  # the most permissive umask: the store must still keep files private
    try:
        store = FileStore(tmp_path / "files", reserve_bytes=0)
        digest = store.put(b"%PDF-1.4 hello")
    finally:
        os.umask(old)
    assert digest == sha256_hex(b"%PDF-1.4 hello")
    assert store.put(b"%PDF-1.4 hello") == digest
    path = store.path_for(digest)
    assert path.read_bytes() == b"%PDF-1.4 hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "files").stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.usage().files == 1
    assert not list(path.parent.glob(".*.tmp"))


def test_full_disk_refuses_with_vietnamese_message_and_keeps_nothing_half_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path / "files", reserve_bytes=0)
    kept = store.put(b"old file")
    # The kernel's file size limit makes write() fail with EFBIG, as a full disk fails with ENOSPC.
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(DiskFullError, match="Ổ đĩa đã đầy") as exc:
            store.put(os.urandom(100_000))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert "không bị mất" in str(exc.value)
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == [store.path_for(kept)]


def test_reserve_below_free_space_refuses_before_writing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path / "files", reserve_bytes=2**62)
    with pytest.raises(DiskFullError):
        store.put(b"x")
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


def test_a4_scan_becomes_one_small_grey_pdf_with_rotation() -> None:
    # bench/bench_files.py times ten such pages; three keep the suite fast.
    pages = [PageImage(a4_page(n)) for n in range(1, 4)]
    pages[2] = PageImage(pages[2].data, rotation=90)
    pdf = images_to_pdf(pages)
    assert pdf_page_count(pdf) == 3
    assert len(pdf) < 1_000_000  # 300 dpi A4 pages as grey JPEG at 200 dpi (RGB PNGs: ~25 MB)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        boxes = [tuple(float(v) for v in p.mediabox) for p in doc.pages]
        # A4 portrait is 595 x 842 pt; the rotated page is landscape
        assert abs(boxes[0][2] - 595) < 2 and abs(boxes[0][3] - 842) < 2
        assert abs(boxes[2][2] - 842) < 2 and abs(boxes[2][3] - 595) < 2
        img = pikepdf.PdfImage(_first_image(doc.pages[0]))
        assert img.colorspace == "/DeviceGray"
        assert img.filters == ["/DCTDecode"]


def test_page_order_is_kept() -> None:
    order = [3, 1, 2]
    pdf = images_to_pdf([PageImage(a4_page(n, dpi=100)) for n in order])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        widths = []
        for page in doc.pages:
            im = pikepdf.PdfImage(_first_image(page)).as_pil_image()
            # the page mark's length encodes the page number
            y = round(im.height * (1 / 3 + 1 / 16) / 11.69)
            row = im.crop((0, y - 2, im.width, y + 2)).convert("L")
            widths.append(sum(1 for x in range(row.width) if row.getpixel((x, 2)) < 100))  # type: ignore[operator]
    assert widths[1] < widths[2] < widths[0]


def test_not_an_image_is_refused_in_vietnamese() -> None:
    with pytest.raises(DocumentError, match="Ảnh quét bị hỏng"):
        images_to_pdf([PageImage(b"\xff\xd8\xffnot really")])
    with pytest.raises(DocumentError, match="Chưa có trang"):
        images_to_pdf([])


def test_attach_is_an_event_that_does_not_change_status(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    pages = [PageImage(a4_page(n, dpi=150)) for n in (1, 2)]
    att = app.attachments.attach_pages("canbo1", code, pages, component_key="to_khai", source="scanner")
    assert att.pages == 2 and att.component_name == "Tờ khai đăng ký khai sinh"
    dossier, events, state = app.workflow.state(code)
    assert state.status is Status.RECEIVED and dossier.status == "received"
    assert not state.conflicts
    ev = events[-1]
    assert ev.kind is EventKind.ATTACHED and ev.actor == "canbo1"
    assert ev.payload["sha256"] == att.sha256 and ev.payload["size"] == att.size
    assert ev.payload["mime"] == "application/pdf" and ev.payload["pages"] == 2
    assert app.attachments.read(att.sha256)[:5] == b"%PDF-"
    with app.station.uow(write=False) as uow:
        assert uow.outbox.pending_count() == 2  # received + attached
    assert EventKind.ATTACHED not in allowed_actions(Status.RECEIVED)


def test_file_from_picker_jpeg_png_pdf(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    jpeg = a4_page(1, dpi=100, fmt="JPEG")
    a = app.attachments.attach_file("canbo1", code, jpeg, component_key="giay_chung_sinh")
    pdf = images_to_pdf([PageImage(a4_page(1, dpi=100)), PageImage(a4_page(2, dpi=100))])
    b = app.attachments.attach_file("canbo1", code, pdf, component_key="giay_to_tuy_than")
    assert (a.pages, b.pages) == (1, 2)
    assert b.sha256 == sha256_hex(pdf)  # a PDF is kept byte for byte
    with pytest.raises(DocumentError, match="JPEG, PNG hoặc PDF"):
        app.attachments.attach_file("canbo1", code, b"GIF89a....", component_key="to_khai")
    with pytest.raises(DomainError, match="Chọn thành phần"):
        app.attachments.attach_file("canbo1", code, pdf, component_key="khong_co")


def test_detach_is_an_event_and_keeps_the_file(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    att = app.attachments.attach_file("canbo1", code, a4_page(1, dpi=80), component_key="to_khai")
    app.attachments.detach("canbo1", code, att.attachment_id, reason="Quét nhầm")
    assert app.attachments.list(code) == []
    _, events, state = app.workflow.state(code)
    assert [e.kind for e in events][-2:] == [EventKind.ATTACHED, EventKind.DETACHED]
    assert state.status is Status.RECEIVED
    assert app.attachments.files.has(att.sha256)
    assert digitisation(events).components == frozenset()


def test_full_disk_while_attaching_records_nothing(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    app.attachments.files.reserve_bytes = 2**62
    with pytest.raises(DiskFullError, match="Ổ đĩa đã đầy"):
        app.attachments.attach_file("canbo1", code, a4_page(1, dpi=80), component_key="to_khai")
    _, events, _ = app.workflow.state(code)
    assert [e.kind for e in events] == [EventKind.RECEIVED]


def test_returning_applicant_papers_offered_and_reuse_recorded(app, clock) -> None:  # type: ignore[no-untyped-def]
    first = app.intake.receive("canbo1", birth_request()).code
    att = app.attachments.attach_file("canbo1", first, a4_page(1, dpi=80), component_key="giay_to_tuy_than")
    clock.advance(hours=1)
    second = app.intake.receive("canbo1", birth_request()).code
    other = birth_request()
    other.applicant.id_number = "056090009999"
    other.applicant.full_name = "Trần Thị Lan"
    stranger = app.intake.receive("canbo1", other).code
    assert app.attachments.reusable(stranger) == []
    offers = app.attachments.reusable(second)
    assert [o.attachment.sha256 for o in offers] == [att.sha256]
    assert offers[0].dossier_code == first and offers[0].available
    reused = app.attachments.reuse("canbo1", second, offers[0], component_key="giay_to_tuy_than")
    assert reused.reused and reused.source == "reuse" and reused.sha256 == att.sha256
    _, events, _ = app.workflow.state(second)
    assert events[-1].payload["reused_from"]["dossier_id"] == att.dossier_id
    summary = app.attachments.digitisation(second)
    assert summary.components == {"giay_to_tuy_than"} and summary.reused_components == {"giay_to_tuy_than"}
    with pytest.raises(DomainError, match="cùng người nộp"):
        app.attachments.reuse("canbo1", stranger, offers[0], component_key="giay_to_tuy_than")


def test_digitisation_summary_for_reports(app) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    assert app.attachments.digitisation(code).result_digitised is False
    app.attachments.attach_file("canbo1", code, a4_page(1, dpi=80), component_key="to_khai")
    app.attachments.attach_file("canbo1", code, a4_page(2, dpi=80), role=ROLE_RESULT)
    d = app.attachments.digitisation(code)
    assert d.components == {"to_khai"} and d.result_digitised and not d.result_signed


def test_images_are_decoded_lazily_and_png_keeps_size(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A tiny picture without dpi: treated as 300 dpi, so it becomes a small page.
    buf = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(buf, "PNG")
    pdf = images_to_pdf([PageImage(buf.getvalue())])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        box = [float(v) for v in doc.pages[0].mediabox]
    assert abs(box[2] - 72) < 1
