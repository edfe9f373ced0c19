"""The official slips (Mẫu 01–06 / 01–05): content, barcodes, page size, wrapping, fonts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import unicodedata
from pathlib import Path
from xml.etree import ElementTree

import pytest
import zxingcpp
from pypdf import PdfReader

import printing
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import FormSet
from printing.context import MissingItem
from printing.fonts import SANS, SERIF, SERIF_BOLD, missing_glyphs
from printing.forms.control import hand_overs
from tests.printing.conftest import (
    CODE,
    RECEIVED,
    VN,
    ev,
    make_applicant,
    make_ctx,
    make_dossier,
    page_images,
    pdf_text,
)

A5_PT = (419.53, 595.28)

TITLES = {
    ("receipt", FormSet.TT03_2025): ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01"),
    ("supplement", FormSet.TT03_2025): ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mẫu số 02"),
    ("refusal", FormSet.TT03_2025): ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Mẫu số 03"),
    ("apology", FormSet.TT03_2025): ("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT", "Mẫu số 04"),
    ("stop", FormSet.TT03_2025): ("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "Mẫu số 05"),
    ("control", FormSet.TT03_2025): ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mẫu số 06"),
    ("receipt", FormSet.TT01_2018): ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01"),
    ("supplement", FormSet.TT01_2018): ("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Mẫu số 02"),
    ("refusal", FormSet.TT01_2018): ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Mẫu số 03"),
    ("apology", FormSet.TT01_2018): ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "Mẫu số 04"),
    ("stop", FormSet.TT01_2018): ("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", ""),
    ("control", FormSet.TT01_2018): ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Mẫu số 05"),
}
BASIS = {
    FormSet.TT03_2025: "Thông tư số 03/2025/TT-VPCP ngày 15 tháng 9 năm 2025",
    FormSet.TT01_2018: "Thông tư số 01/2018/TT-VPCP ngày 23 tháng 11 năm 2018",
}


def flat(text: str) -> str:
    """Collapse the line breaks pdftotext keeps so wrapped phrases can be searched."""
    return " ".join(text.split())


def assert_a5(pdf: bytes) -> int:
    reader = PdfReader_(pdf)
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A5_PT, abs=0.05)
    return len(reader.pages)


def PdfReader_(pdf: bytes) -> PdfReader:  # noqa: N802 (small local helper)
    import io

    return PdfReader(io.BytesIO(pdf))


@pytest.mark.parametrize(("form", "form_set"), list(TITLES))
def test_every_form_renders_with_header_title_label_and_basis(
    form: str, form_set: FormSet, tmp_path: Path
) -> None:
    # The legacy set's own labels only on documents dated before TT 03/2025 (15/9/2025).
    legacy = form_set is FormSet.TT01_2018
    printed = dt.datetime(2025, 6, 20, 9, 0, tzinfo=VN) if legacy else RECEIVED
    ctx = make_ctx(form_set, reason="Hồ sơ không thuộc thẩm quyền giải quyết", printed_at=printed)
    pdf = printing.render_form(form, ctx)
    assert pdf.startswith(b"%PDF")
    assert assert_a5(pdf) >= 1
    text = flat(pdf_text(pdf, tmp_path))
    heading, label = TITLES[(form, form_set)]
    assert heading in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert (
        "Nha Trang, ngày 20 tháng 06 năm 2025" if legacy else "Nha Trang, ngày 20 tháng 11 năm 2026"
    ) in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG NHA TRANG" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG NHA TRANG" in text  # NĐ 118/2025 Điều 1
    assert "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" not in text.upper()
    assert "Nguyễn Thị Hồng Nhung" in text
    assert CODE in text
    if label:
        assert label in text
        assert BASIS[form_set] in text
    else:  # TT 01/2018 has no stop notice: no Mẫu label of the legacy set
        assert "Mẫu số" not in text.replace("Theo mẫu số 05", "")


def test_receipt_carries_every_field(tmp_path: Path) -> None:
    text = flat(pdf_text(printing.render_form("receipt", make_ctx()), tmp_path))
    for expected in (
        "Trung tâm Phục vụ hành chính công phường Nha Trang tiếp nhận hồ sơ của:",
        "Mã hồ sơ: 000.21.31.H56-261120-0007",
        "Ông/bà: Nguyễn Thị Hồng Nhung",
        "Địa chỉ: 12 Lê Thánh Tôn, phường Nha Trang, tỉnh Khánh Hòa",
        "Số điện thoại: 0905123456",
        "Email: nhung.nguyen@example.vn",
        "Nội dung yêu cầu giải quyết: Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "1) Bản chính giấy tờ, văn bản (1 bản chính)",
        "2) Bản sao cần chứng thực (2 bản photo)",
        "3) Căn cước công dân của người yêu cầu chứng thực (1 bản sao chứng thực)",
        "2. Số lượng hồ sơ: 01 (bộ)",
        "3. Thời gian giải quyết hồ sơ theo quy định: 2 ngày làm việc",
        "4. Thời gian nhận hồ sơ: 08 giờ 15 phút, ngày 20/11/2026",
        "5. Thời gian trả kết quả giải quyết hồ sơ: 08 giờ 15 phút, ngày 25/11/2026",
        "6. Đăng ký nhận kết quả tại: Trung tâm Phục vụ hành chính công phường Nha Trang",
        "7. Phí, lệ phí: 6.000 đ",
        "Quyển số: 03/2026, Số thứ tự: 7",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        "Trần Văn An",
    ):
        assert expected in text, expected


def test_receipt_code128_and_qr_decode_exactly(tmp_path: Path) -> None:
    ctx = make_ctx()
    image = page_images(printing.render_form("receipt", ctx), tmp_path, dpi=200)[0]
    found = {(b.format, b.text) for b in zxingcpp.read_barcodes(image)}
    url = "https://dichvucong.khanhhoa.gov.vn/tra-cuu?ma=" + CODE
    assert (zxingcpp.BarcodeFormat.Code128, CODE) in found
    assert (zxingcpp.BarcodeFormat.QRCode, url) in found


def test_receipt_two_copies_are_separate_pages() -> None:
    pdf = printing.render_form("receipt", make_ctx(copies=2))
    assert assert_a5(pdf) == 2
    reader = PdfReader_(pdf)
    first, second = (flat(p.extract_text()) for p in reader.pages)
    assert "Liên 1: Lưu" in first and "Liên 2" not in first
    assert "Liên 2: Giao người nộp hồ sơ" in second
    assert CODE in first and CODE in second


def test_receipt_by_post_and_free(tmp_path: Path) -> None:
    from dataclasses import replace

    from desk_app.domain.model import ReturnMethod

    d = replace(
        make_dossier(),
        return_method=ReturnMethod.POST,
        fee=0,
        return_address="Thôn Xuân Lạc, xã Cam Lâm, tỉnh Khánh Hòa",
    )
    text = flat(pdf_text(printing.render_form("receipt", make_ctx(dossier=d)), tmp_path))
    assert (
        "Đăng ký nhận kết quả tại: Qua dịch vụ bưu chính công ích – địa chỉ nhận: Thôn Xuân Lạc, "
        "xã Cam Lâm, tỉnh Khánh Hòa"
    ) in text
    assert "7. Phí, lệ phí: Không thu" in text


def test_supplement_lists_missing_items_from_event_or_override(tmp_path: Path) -> None:
    text = flat(pdf_text(printing.render_form("supplement", make_ctx()), tmp_path))
    assert "1. Bản chính Giấy khai sinh. Lý do: để đối chiếu" in text
    assert "2. Tờ khai có chữ ký của người yêu cầu. Lý do: …" in text  # no reason given: dots
    assert "Lý do: hồ sơ chưa đầy đủ" not in text  # no fixed sentence for every paper
    assert "liên hệ với Trần Văn An, số điện thoại 02583822000" in text
    assert "NGƯỜI HƯỚNG DẪN" in text and "NGƯỜI NỘP HỒ SƠ" not in text  # one signature
    assert "Ghi chú: Bổ sung trong 05 ngày làm việc" in text
    ctx = make_ctx(events=[], missing=[MissingItem("Giấy ủy quyền có chứng thực", "bản chính")])
    text = flat(pdf_text(printing.render_form("supplement", ctx), tmp_path))
    assert "1. Giấy ủy quyền có chứng thực. Lý do: bản chính" in text
    assert "Bản chính Giấy khai sinh" not in text


def test_refusal_and_stop_reasons(tmp_path: Path) -> None:
    t = dt.datetime(2026, 11, 23, 9, 0, tzinfo=VN)  # Monday, a working day
    events = [ev(EventKind.REFUSED, t, "tran.an", {"reason": "Giấy tờ giả mạo"}, 9)]
    text = flat(pdf_text(printing.render_form("refusal", make_ctx(events=events)), tmp_path))
    assert "Giấy tờ giả mạo" in text
    assert "từ chối tiếp nhận, giải quyết hồ sơ" in text
    events = [ev(EventKind.STOPPED, t, "le.binh", {"reason": "Người yêu cầu đề nghị dừng"}, 9)]
    text = flat(pdf_text(printing.render_form("stop", make_ctx(events=events)), tmp_path))
    assert "Lý do: Người yêu cầu đề nghị dừng" in text
    text = flat(
        pdf_text(printing.render_form("stop", make_ctx(events=events, reason="Lý do ghi đè")), tmp_path)
    )
    assert "Lý do: Lý do ghi đè" in text


def test_apology_shows_previous_and_new_appointment(tmp_path: Path) -> None:
    text = flat(pdf_text(printing.render_form("apology", make_ctx()), tmp_path))
    assert "Kính gửi: Ông/bà Nguyễn Thị Hồng Nhung" in text
    assert "08 giờ 15 phút, ngày 25/11/2026" in text  # previous appointment
    assert "16 giờ 00 phút, ngày 27/11/2026" in text  # new appointment
    assert "Lý do: Cần xác minh thông tin với cơ quan cấp giấy tờ" in text
    assert "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ" in text
    # before the event exists: override the new date
    new_due = dt.datetime(2026, 11, 30, 10, 0, tzinfo=VN)
    text = flat(
        pdf_text(
            printing.render_form("apology", make_ctx(events=[], new_due_at=new_due, reason="Mất điện")),
            tmp_path,
        )
    )
    assert "10 giờ 00 phút, ngày 30/11/2026" in text and "08 giờ 15 phút, ngày 25/11/2026" in text


def test_control_sheet_rows_and_timeliness(tmp_path: Path) -> None:
    rows = hand_overs(make_ctx())
    assert [(r.giver, r.receiver, r.outcome) for r in rows] == [
        ("Nguyễn Thị Hồng Nhung", "Trần Văn An", ""),
        ("Trần Văn An", "Lê Văn Bình", "Trước hạn"),
        ("Lê Văn Bình", "", "Trước hạn"),
        ("Trần Văn An", "Nguyễn Thị Hồng Nhung", "Đúng hạn"),
    ]
    late = [e for e in make_ctx().events if e.kind is not EventKind.EXTENDED]
    assert hand_overs(make_ctx(events=late))[-1].outcome == "Quá hạn"
    text = flat(pdf_text(printing.render_form("control", make_ctx()), tmp_path))
    for expected in (
        "TÊN CƠ QUAN",
        "THỜI GIAN GIAO, NHẬN HỒ SƠ",
        "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/ đúng hạn/ quá hạn)",
        "GHI CHÚ",
        "1. Giao: Người nộp hồ sơ",
        "2. Nhận: Phòng Văn hóa",
        "Người giao",
        "Người nhận",
        "Cơ quan phối hợp giải quyết hồ sơ:",
        "Trước hạn",
        "Đúng hạn",
        "Lê Văn Bình",
        "10 giờ 15 phút,",
        "ngày 20/11/2026",
    ):
        assert expected in text, expected


def test_long_name_and_address_wrap_inside_the_page(tmp_path: Path) -> None:
    name = "Công Tằng Tôn Nữ Thị Hoàng Phương Thảo Nguyên Ngọc Bích Hồng Nhung Khánh Linh"
    street = (
        "Số 123/45/67 đường Nguyễn Thị Minh Khai nối dài, tổ dân phố số 15, khu phố Phước Hải, "
        "khu tái định cư Hòn Rớ 2, phía sau chợ Vĩnh Trường, gần trường Tiểu học Phước Đồng "
    ) * 2
    d = make_dossier(applicant=make_applicant(name=name, street=street.strip()))
    for form in ("receipt", "supplement", "refusal", "apology", "stop", "control"):
        pdf = printing.render_form(form, make_ctx(dossier=d))
        text = flat(pdf_text(pdf, tmp_path))
        words = set(name.split()) | (set() if form == "control" else set(street.split()))
        for word in words:  # the control sheet shows the name, not the address
            assert word in text, (form, word)
        src = tmp_path / "long.pdf"
        src.write_bytes(pdf)
        html = subprocess.run(
            ["pdftotext", "-bbox", str(src), "-"], check=True, capture_output=True, text=True
        ).stdout
        root = ElementTree.fromstring(
            html.replace("<!DOCTYPE", "<!-- ").replace(
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">', "-->"
            )
        )
        ns = {"x": "http://www.w3.org/1999/xhtml"}
        for page in root.iterfind(".//x:page", ns):
            width = float(page.get("width", 0))
            height = float(page.get("height", 0))
            for w in page.iterfind("x:word", ns):
                assert float(w.get("xMin", 0)) >= 5, (form, w.text)
                assert float(w.get("xMax", 0)) <= width - 5, (form, w.text)
                assert 0 <= float(w.get("yMin", 0)) and float(w.get("yMax", 0)) <= height, (form, w.text)


def test_text_is_nfc_even_from_decomposed_input(tmp_path: Path) -> None:
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert nfd_name != "Nguyễn Thị Hồng Nhung"
    d = make_dossier(applicant=make_applicant(name=nfd_name))
    text = pdf_text(printing.render_form("receipt", make_ctx(dossier=d)), tmp_path)
    assert "Nguyễn Thị Hồng Nhung" in text
    assert unicodedata.normalize("NFC", text) == text


def test_fonts_have_every_vietnamese_letter() -> None:
    lower = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
    letters = lower + lower.upper() + "0123456789.,;:!?()[]/-–…“”'\"%đ₫"
    for font in (SERIF, SERIF_BOLD, SANS):
        assert missing_glyphs(letters, font) == set(), font


def test_unknown_form_is_a_clear_error() -> None:
    with pytest.raises(printing.UnknownFormError, match="Không có mẫu"):
        printing.render_form("receipt2", make_ctx())


def test_printing_package_does_not_import_qt() -> None:
    code = (
        "import sys, printing, printing.forms.logbook; "
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.strip()
    assert out == "False"
    root = Path(printing.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "PySide6" in p.read_text(encoding="utf-8")]
    assert offenders == []
