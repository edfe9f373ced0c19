"""Scanned pages to one small PDF, and what a stored file is (type, pages).

Each page is turned upright (EXIF), rotated as the officer asked, converted to
grey, scaled down to at most ``max_dpi`` and compressed as JPEG; img2pdf then
wraps the JPEGs into a PDF without re-encoding them, sized by their dpi (an A4
scan gives an A4 page).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import img2pdf
import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

from desk_app.domain.errors import DomainError

PDF_MIME = "application/pdf"
JPEG_MIME = "image/jpeg"
PNG_MIME = "image/png"
ACCEPTED_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png")
# A typed page stays legible at 200 dpi grey; 300 dpi doubles the size for nothing.
DEFAULT_MAX_DPI = 200
DEFAULT_QUALITY = 60
MAX_PIXELS = 60_000_000  # refuses decompression bombs long before Pillow's own limit


class DocumentError(DomainError):
    """A file that is not a readable JPEG, PNG or PDF."""


def sniff_mime(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return PDF_MIME
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG_MIME
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG_MIME
    raise DocumentError("Chỉ nhận tệp JPEG, PNG hoặc PDF.")


def pdf_page_count(data: bytes) -> int:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError as exc:
        raise DocumentError("Tệp PDF bị hỏng hoặc không đọc được.") from exc


@dataclass(frozen=True)
class PageImage:
    """One scanned page: the image file's bytes and a clockwise rotation (0/90/180/270)."""

    data: bytes
    rotation: int = 0


def _page_jpeg(page: PageImage, max_dpi: int, quality: int) -> bytes:
    try:
        img = Image.open(io.BytesIO(page.data))
    except (UnidentifiedImageError, OSError) as exc:
        raise DocumentError("Ảnh quét bị hỏng hoặc không phải JPEG/PNG.") from exc
    with img:
        if img.width * img.height > MAX_PIXELS:
            raise DocumentError("Ảnh quét quá lớn.")
        dpi_info = img.info.get("dpi") or (300, 300)
        dpi = float(dpi_info[0]) or 300.0
        scale = min(1.0, max_dpi / dpi)
        target = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        if img.format == "JPEG":
            img.draft("L", target)  # decode at reduced size: several times faster
        try:
            work = ImageOps.exif_transpose(img).convert("L")
        except OSError as exc:
            raise DocumentError("Ảnh quét bị hỏng hoặc không phải JPEG/PNG.") from exc
    # draft() may already have scaled; scale from the decoded size.
    eff_scale = target[0] / work.width if work.width else 1.0
    if abs(eff_scale - 1.0) > 0.01:
        work = work.resize(target, Image.Resampling.BILINEAR)
    out_dpi = max(1, round(dpi * scale))
    if page.rotation % 360:
        work = work.rotate(-(page.rotation % 360), expand=True)
    buf = io.BytesIO()
    work.save(buf, "JPEG", quality=quality, optimize=False, dpi=(out_dpi, out_dpi))
    return buf.getvalue()


def images_to_pdf(
    pages: Sequence[PageImage], *, max_dpi: int = DEFAULT_MAX_DPI, quality: int = DEFAULT_QUALITY
) -> bytes:
    """One PDF with the pages in the given order (grey JPEG, at most ``max_dpi``)."""
    if not pages:
        raise DocumentError("Chưa có trang nào để ghép thành tệp PDF.")
    # Pillow releases the GIL while decoding, scaling and encoding: pages convert in parallel.
    with ThreadPoolExecutor(max_workers=min(4, len(pages))) as pool:
        jpegs = list(pool.map(lambda p: _page_jpeg(p, max_dpi, quality), pages))
    result = img2pdf.convert(jpegs)
    if not isinstance(result, bytes):  # img2pdf returns bytes when no outputstream is given
        raise DocumentError("Không tạo được tệp PDF.")
    return result


def normalise_document(data: bytes) -> tuple[bytes, str, int]:
    """A single uploaded file as (PDF bytes, mime, pages): images become a one-page PDF."""
    mime = sniff_mime(data)
    if mime == PDF_MIME:
        return data, mime, pdf_page_count(data)
    pdf = images_to_pdf([PageImage(data)])
    return pdf, PDF_MIME, 1
