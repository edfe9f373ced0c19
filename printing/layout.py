"""The shared layout toolkit of all forms.

Every form is a platypus story built from these pieces: the two-column
administrative header (unit on the left; Quốc hiệu, tiêu ngữ, place and date on
the right), a bold centred title, labelled fields that wrap, numbered lists,
tables and signature blocks. The "Mẫu số" label and the legal-basis footer are
drawn by the page template so they never push content onto another page.

All user text passes through ``nfc`` and ``esc`` (XML escaping for Paragraph
markup) here, so form modules can pass raw strings.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from desk_app.domain.model import FormSet, Unit
from printing.context import to_local
from printing.fonts import SERIF, SERIF_BOLD, SERIF_ITALIC, nfc, register_fonts

A5_PORTRAIT = A5
A4_LANDSCAPE = landscape(A4)

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
# Forms name the unit's own one-stop body (``Unit.one_stop_body``, NĐ 118/2025 Điều 1),
# never a generic "Bộ phận tiếp nhận và trả kết quả" line.

LEGAL_BASIS = {
    FormSet.TT03_2025: "Thông tư số 03/2025/TT-VPCP ngày 15 tháng 9 năm 2025 của Văn phòng Chính phủ",
    FormSet.TT01_2018: "Thông tư số 01/2018/TT-VPCP ngày 23 tháng 11 năm 2018 của Văn phòng Chính phủ",
}

# form key -> Mẫu number in each set (None: the set has no template for it)
FORM_NUMBERS: dict[str, dict[FormSet, str | None]] = {
    "receipt": {FormSet.TT03_2025: "01", FormSet.TT01_2018: "01"},
    "supplement": {FormSet.TT03_2025: "02", FormSet.TT01_2018: "02"},
    "refusal": {FormSet.TT03_2025: "03", FormSet.TT01_2018: "03"},
    "apology": {FormSet.TT03_2025: "04", FormSet.TT01_2018: "04"},
    "stop": {FormSet.TT03_2025: "05", FormSet.TT01_2018: None},
    "control": {FormSet.TT03_2025: "06", FormSet.TT01_2018: "05"},
    "logbook": {FormSet.TT03_2025: "07", FormSet.TT01_2018: "06"},
}


# Phụ lục I of TT 03/2025/TT-VPCP sets the forms from 15/9/2025 (its date of issue).
TT03_2025_FROM = dt.date(2025, 9, 15)


def form_set_of(unit: Unit) -> FormSet:
    return FormSet(unit.form_set)


def _legacy_after_cutover(unit: Unit, when: dt.date | dt.datetime | None) -> bool:
    if form_set_of(unit) is not FormSet.TT01_2018 or when is None:
        return False
    day = to_local(when).date() if isinstance(when, dt.datetime) else when
    return day >= TT03_2025_FROM


def form_label(form: str, unit: Unit, when: dt.date | dt.datetime | None = None) -> str:
    """'Mẫu số 01' etc., or '' when the unit's form set has no template for ``form``.

    A document dated ``when`` on or after 15/9/2025 printed in the legacy TT 01/2018
    layout claims no model number: TT 03/2025 governs it, and the layout is not its model.
    """
    if _legacy_after_cutover(unit, when):
        return ""
    number = FORM_NUMBERS[form][form_set_of(unit)]
    return f"Mẫu số {number}" if number else ""


def legal_basis_line(form: str, unit: Unit, when: dt.date | dt.datetime | None = None) -> str:
    """The footer naming the form's model; '' for a legacy-layout document after 15/9/2025."""
    if _legacy_after_cutover(unit, when):
        return ""
    fs = form_set_of(unit)
    label = form_label(form, unit)
    if not label:
        # TT 01/2018 has no stop notice; the layout follows the 2025 template.
        return f"Theo mẫu số 05 {LEGAL_BASIS[FormSet.TT03_2025]}"
    return f"{label} ban hành kèm theo {LEGAL_BASIS[fs]}"


def esc(text: object) -> str:
    """NFC + XML-escaped, ready to be embedded in Paragraph markup."""
    return escape(nfc(text))


# ---------------------------------------------------------------- dates
def date_words(value: dt.date | dt.datetime) -> str:
    """'ngày 22 tháng 11 năm 2026' (day and month zero-padded below 10 as in admin style)."""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def place_date(place: str, when: dt.date | dt.datetime) -> str:
    prefix = f"{nfc(place)}, " if place else ""
    return prefix + date_words(when)


def clock_date(value: dt.datetime) -> str:
    """'08 giờ 15 phút, ngày 22/11/2026'."""
    value = to_local(value)
    return f"{value.hour:02d} giờ {value.minute:02d} phút, ngày {value:%d/%m/%Y}"


def short_date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return f"{value:%d/%m/%Y}"


def short_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    value = to_local(value)
    return f"{value:%H:%M} {value:%d/%m/%Y}"


# ---------------------------------------------------------------- styles
@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    body_j: ParagraphStyle
    center: ParagraphStyle
    center_b: ParagraphStyle
    center_i: ParagraphStyle
    right_i: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    head_left: ParagraphStyle
    head_left_b: ParagraphStyle
    head_right_b: ParagraphStyle
    cell: ParagraphStyle
    cell_c: ParagraphStyle
    cell_head: ParagraphStyle
    small_i: ParagraphStyle
    list_item: ParagraphStyle


@lru_cache(maxsize=8)
def styles(size: float = 10.0) -> Styles:
    """Paragraph styles for a base font size (10 pt on A5 slips, 8 pt in the logbook)."""
    register_fonts()
    lead = size * 1.25
    base = ParagraphStyle("mc-body", fontName=SERIF, fontSize=size, leading=lead, alignment=TA_LEFT)

    def var(name: str, **kw: object) -> ParagraphStyle:
        return ParagraphStyle(f"mc-{name}-{size}", parent=base, **kw)

    head = size * 0.9
    return Styles(
        body=base,
        body_j=var("body_j", alignment=TA_JUSTIFY, firstLineIndent=size * 1.5, spaceBefore=size * 0.15),
        center=var("center", alignment=TA_CENTER),
        center_b=var("center_b", alignment=TA_CENTER, fontName=SERIF_BOLD),
        center_i=var("center_i", alignment=TA_CENTER, fontName=SERIF_ITALIC),
        right_i=var("right_i", alignment=TA_RIGHT, fontName=SERIF_ITALIC),
        title=var(
            "title",
            alignment=TA_CENTER,
            fontName=SERIF_BOLD,
            fontSize=size * 1.2,
            leading=size * 1.5,
            spaceBefore=size * 0.6,
        ),
        subtitle=var("subtitle", alignment=TA_CENTER, fontName=SERIF_ITALIC),
        head_left=var("head_left", alignment=TA_CENTER, fontSize=head, leading=head * 1.2),
        head_left_b=var(
            "head_left_b", alignment=TA_CENTER, fontName=SERIF_BOLD, fontSize=head, leading=head * 1.2
        ),
        head_right_b=var(
            "head_right_b", alignment=TA_CENTER, fontName=SERIF_BOLD, fontSize=head, leading=head * 1.2
        ),
        cell=var("cell", fontSize=size * 0.85, leading=size * 1.02),
        cell_c=var("cell_c", fontSize=size * 0.85, leading=size * 1.02, alignment=TA_CENTER),
        cell_head=var(
            "cell_head", fontName=SERIF_BOLD, fontSize=size * 0.85, leading=size * 1.02, alignment=TA_CENTER
        ),
        small_i=var("small_i", fontName=SERIF_ITALIC, fontSize=size * 0.8, leading=size),
        list_item=var("list_item", leftIndent=size * 1.6, firstLineIndent=-size * 1.1),
    )


def para(text_markup: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph from *markup* (callers escape values with ``esc``)."""
    return Paragraph(text_markup, style)


# ---------------------------------------------------------------- flowables
class CentredRule(Flowable):
    """A short horizontal line centred in the available width (under headers)."""

    def __init__(self, length: float, thickness: float = 0.6, space: float = 3.0) -> None:
        super().__init__()
        self.length = length
        self.thickness = thickness
        self.space = space
        self._avail = length

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: ARG002, N803 (reportlab API)
        self._avail = availWidth
        return availWidth, self.space * 2 + self.thickness

    def draw(self) -> None:
        x0 = (self._avail - self.length) / 2
        self.canv.setLineWidth(self.thickness)
        self.canv.line(x0, self.space, x0 + self.length, self.space)


def fitted(text: str, style: ParagraphStyle, width: float, min_size: float = 6.5) -> Paragraph:
    """A one-line Paragraph, shrunk (down to ``min_size``) to fit ``width``; wraps if still too long."""
    text = nfc(text)
    size = style.fontSize
    while stringWidth(text, style.fontName, size) > width and size > min_size:
        size -= 0.25
    if size != style.fontSize:
        style = _sized(style, size)
    return para(esc(text), style)


@lru_cache(maxsize=64)
def _sized(style: ParagraphStyle, size: float) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size * 1.2)


def header_block(
    unit: Unit,
    width: float,
    when: dt.date | dt.datetime | None,
    st: Styles,
    number_line: str = "",
    desk_line: bool = True,
) -> Table:
    """The administrative header.

    Left: parent authority (regular caps), the unit's name when it differs from its
    one-stop body, the body's name (bold caps, e.g. "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG
    XÃ …"), a short rule, optionally "Số: …". Right: Quốc hiệu (bold caps), tiêu ngữ
    (bold, underlined by a rule as long as the text), then the place and date in italics.
    """
    left_w = width * 0.43
    right_w = width - left_w
    left: list[Flowable] = []
    body = unit.one_stop_body
    if unit.parent_name:
        left.append(fitted(unit.parent_name.upper(), st.head_left, left_w - 2))
    if not desk_line or nfc(unit.name).casefold() != nfc(body).casefold():
        left.append(fitted(unit.name.upper(), st.head_left if desk_line else st.head_left_b, left_w - 2))
    if desk_line:
        left.append(fitted(body.upper(), st.head_left_b, left_w - 2))
    left.append(CentredRule(min(left_w * 0.4, 30 * mm)))
    if number_line:
        left.append(para(esc(number_line), st.head_left))

    # Quốc hiệu must stay on one line: shrink the font to the column if needed.
    qh = fitted(QUOC_HIEU, st.head_right_b, right_w - 2)
    tn_size = qh.style.fontSize + 1
    right: list[Flowable] = [
        qh,
        para(esc(TIEU_NGU), _sized(st.head_right_b, tn_size)),
        CentredRule(stringWidth(TIEU_NGU, SERIF_BOLD, tn_size)),
    ]
    if when is not None:
        right.append(Spacer(1, 2))
        right.append(para(esc(place_date(unit.place, when)), st.center_i))
    table = Table([[left, right]], colWidths=[left_w, right_w])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def title(text: str, st: Styles, width: float | None = None) -> Paragraph:
    """Bold centred upper-case title; a title too long for one line breaks into two balanced lines."""
    text = nfc(text).upper()
    font, size = st.title.fontName, st.title.fontSize
    if width is None or stringWidth(text, font, size) <= width:
        return para(esc(text), st.title)
    words = text.split()
    best = min(
        range(1, len(words)),
        key=lambda i: max(
            stringWidth(" ".join(words[:i]), font, size), stringWidth(" ".join(words[i:]), font, size)
        ),
    )
    return para(f"{esc(' '.join(words[:best]))}<br/>{esc(' '.join(words[best:]))}", st.title)


def field_line(label: str, value: str, st: Styles, bold_value: bool = True) -> Paragraph:
    """'Label: value' that wraps with a hanging indent; an empty value leaves dots to fill by hand."""
    shown = esc(value) if value else "…………………………"
    if bold_value and value:
        shown = f"<b>{shown}</b>"
    return para(f"{esc(label)}: {shown}", st.body)


def numbered(items: Sequence[str], st: Styles) -> list[Paragraph]:
    """Numbered list of markup strings with a hanging indent."""
    return [para(f"{i}. {text}", st.list_item) for i, text in enumerate(items, 1)]


def signature_blocks(
    blocks: Sequence[tuple[str, str, str]],
    width: float,
    st: Styles,
    space: float = 16 * mm,
    recipients: Sequence[str] | None = None,
) -> KeepTogether:
    """Side-by-side signature blocks: (TITLE, italic hint, printed name or '').

    Blocks share the width equally and are top-aligned so the titles line up;
    the name sits under a gap for the handwritten signature (and seal).
    """
    n = max(len(blocks), 1)
    row: list[list[Flowable]] = []
    if recipients is not None:
        # Letter style: "Nơi nhận:" on the left, the signer on the right half.
        n += 1
        row.append(
            [para("<b><i>Nơi nhận:</i></b>", st.small_i)]
            + [para(f"- {esc(r)}", st.small_i) for r in recipients]
        )
    for block_title, hint, name in blocks:
        cell: list[Flowable] = [para(esc(block_title.upper()), st.center_b)]
        if hint:
            cell.append(para(esc(hint), st.center_i))
        cell.append(Spacer(1, space))
        if name:
            cell.append(para(f"<b>{esc(name)}</b>", st.center))
        row.append(cell)
    table = Table([row], colWidths=[width / n] * n)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def grid_table(
    rows: list[list[object]], col_widths: Sequence[float], repeat_rows: int = 1, font_size: float = 8.0
) -> Table:
    """A ruled table with a bold repeated header row."""
    table = Table(rows, colWidths=list(col_widths), repeatRows=repeat_rows)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, repeat_rows - 1), "MIDDLE"),
                ("FONT", (0, 0), (-1, -1), SERIF, font_size, font_size * 1.2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


# ---------------------------------------------------------------- documents
PageDecorator = Callable[[Canvas, BaseDocTemplate], None]


def _decorations(form_label_text: str, footer: str) -> PageDecorator:
    def on_page(canv: Canvas, doc: BaseDocTemplate) -> None:
        width, height = canv._pagesize  # noqa: SLF001 (reportlab has no public getter)
        canv.saveState()
        if form_label_text:
            canv.setFont(SERIF_BOLD, 8)
            canv.drawRightString(width - doc.rightMargin, height - doc.topMargin + 4 * mm, form_label_text)
        if footer:
            canv.setFont(SERIF_ITALIC, 6.5)
            canv.drawCentredString(width / 2, 5 * mm, footer)
        canv.restoreState()

    return on_page


def make_numbered_canvas(total_pos: tuple[float, float] | None) -> type[Canvas]:
    """A canvas class that prints 'Trang x/y' once the page count is known.

    Pages are kept in memory until ``save`` so each can receive the total; this
    is reportlab's usual one-pass approach and costs far less than building twice.
    """

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, object]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                width, _height = self._pagesize
                x, y = total_pos if total_pos else (width / 2, 7 * mm)
                self.setFont(SERIF, 8)
                self.drawCentredString(x, y, f"Trang {self._pageNumber}/{total}")
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def build_pdf(
    story: list[Flowable],
    *,
    pagesize: tuple[float, float],
    form_label_text: str = "",
    footer: str = "",
    title_meta: str = "",
    margins: tuple[float, float, float, float] | None = None,
    page_numbers: bool = False,
    page_number_at: tuple[float, float] | None = None,
) -> bytes:
    """Lay ``story`` out on pages of ``pagesize`` and return the PDF bytes.

    ``page_number_at``: centre of "Trang x/y" (default: bottom centre, above the footer).
    """
    register_fonts()
    top, right, bottom, left = margins or (12 * mm, 11 * mm, 11 * mm, 13 * mm)
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=pagesize,
        topMargin=top,
        rightMargin=right,
        bottomMargin=bottom,
        leftMargin=left,
        title=nfc(title_meta),
        author="MotCua Desk",
        creator="MotCua Desk",
        pageCompression=1,
    )
    frame = Frame(
        left,
        bottom,
        pagesize[0] - left - right,
        pagesize[1] - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=_decorations(form_label_text, footer))]
    )
    canvasmaker = make_numbered_canvas(page_number_at) if page_numbers else Canvas
    doc.build(story, canvasmaker=canvasmaker)
    return buf.getvalue()


def frame_width(
    pagesize: tuple[float, float], margins: tuple[float, float, float, float] | None = None
) -> float:
    _top, right, _bottom, left = margins or (12 * mm, 11 * mm, 11 * mm, 13 * mm)
    return pagesize[0] - left - right
