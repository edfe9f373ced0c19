"""Sổ theo dõi hồ sơ: A4 landscape, many pages, repeated header row, "Trang x/y"."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

import printing
from desk_app.domain.lifecycle import DossierEvent
from desk_app.domain.model import Dossier, FormSet
from tests.printing.conftest import VN, make_applicant, make_dossier, make_events, make_procedure, make_unit

A4_LANDSCAPE_PT = (841.89, 595.28)


def many(n: int, start: dt.datetime | None = None) -> tuple[list[Dossier], dict[str, list[DossierEvent]]]:
    start = start or dt.datetime(2026, 11, 2, 7, 30, tzinfo=VN)
    dossiers, events = [], {}
    for i in range(n):
        received = start + dt.timedelta(minutes=41 * i)
        d = make_dossier(
            code=f"000.21.31.H56-{received:%y%m%d}-{i + 1:04d}",
            received=received,
            due=received + dt.timedelta(days=3),
            applicant=make_applicant(name=f"Nguyễn Thị Hồng Nhung {i + 1}", street=f"{i + 1} Lê Thánh Tôn"),
            n=i + 1,
        )
        dossiers.append(d)
        events[d.id] = make_events()
    return dossiers, events


@pytest.fixture(scope="module")
def book() -> bytes:
    dossiers, events = many(120)
    return printing.render_logbook(
        make_unit(),
        dossiers,
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 31),
        events=events,
        procedures={make_procedure().code: make_procedure()},
        printed_at=dt.datetime(2026, 12, 31, 17, 0, tzinfo=VN),
        volume="03/2026",
    )


def test_logbook_pages_are_a4_landscape_with_repeated_header_and_page_numbers(book: bytes) -> None:
    reader = PdfReader(io.BytesIO(book))
    total = len(reader.pages)
    assert total >= 4
    for i, page in enumerate(reader.pages, 1):
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4_LANDSCAPE_PT, abs=0.05)
        text = " ".join(page.extract_text().split())
        assert f"Trang {i}/{total}" in text
        for head in (
            "STT",
            "Mã hồ sơ",
            "Tên thủ tục hành chính",
            "Người nộp hồ sơ",
            "Ngày hẹn trả kết quả",
            "Ký nhận",
            "Ghi chú",
        ):
            assert head in text, (i, head)
    first = " ".join(reader.pages[0].extract_text().split())
    assert "SỔ THEO DÕI HỒ SƠ" in first
    assert "Từ ngày 01/11/2026 đến ngày 31/12/2026 – Quyển số: 03/2026" in first
    assert "Mẫu số 07" in first and "Trang 1/" in first


def test_logbook_lists_every_dossier_once_in_order(book: bytes) -> None:
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(book)).pages)
    codes = re.findall(r"000\.21\.31\.H56-\d{6}-(\d{4})", text)
    assert [int(c) for c in codes] == list(range(1, 121))
    assert "Nguyễn Thị Hồng Nhung 120" in text
    assert "Phòng Văn hóa - Xã hội phường Nha Trang" in text  # lead agency from the procedure
    assert "Đã xin lỗi, gia hạn" in text


def test_logbook_filters_the_date_range_and_prints_an_empty_book() -> None:
    dossiers, events = many(10, start=dt.datetime(2026, 11, 30, 21, 0, tzinfo=VN))  # spans 30/11 and 1/12
    pdf = printing.render_logbook(
        make_unit(), dossiers, dt.date(2026, 12, 1), dt.date(2026, 12, 1), events=events
    )
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    inside = [d.code for d in dossiers if d.received_at.date() == dt.date(2026, 12, 1)]
    outside = [d.code for d in dossiers if d.received_at.date() != dt.date(2026, 12, 1)]
    assert inside and outside
    assert all(c in text for c in inside) and not any(c in text for c in outside)
    empty = printing.render_logbook(
        make_unit(FormSet.TT01_2018), [], dt.date(2026, 1, 1), dt.date(2026, 1, 31)
    )
    text = " ".join(PdfReader(io.BytesIO(empty)).pages[0].extract_text().split())
    assert "Không có hồ sơ trong khoảng thời gian này." in text
    assert "Mẫu số 06" in text and "Thông tư số 01/2018/TT-VPCP" in text and "Trang 1/1" in text


def test_footer_and_page_number_do_not_touch(book: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The legal-basis footer and "Trang x/y" sit apart on every page (word boxes from pdftotext -bbox)."""
    import subprocess

    src = tmp_path / "book.pdf"
    src.write_bytes(book)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(src), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = html.split("<page ")[1:]
    assert len(pages) > 1
    word_re = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    for page in pages:
        words = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in word_re.findall(page)]
        bottom = [w for w in words if w[1] > A4_LANDSCAPE_PT[1] - 30]  # the last 30 pt of the page
        number = [w for w in bottom if w[4] == "Trang" or re.fullmatch(r"\d+/\d+", w[4])]
        footer = [w for w in bottom if w not in number]
        assert len(number) == 2 and footer, bottom
        gap = min(n[0] for n in number) - max(f[2] for f in footer)
        assert gap > 20, f"page number only {gap:.1f} pt from the footer"  # side by side, well apart
