"""Sổ theo dõi hồ sơ (Mẫu 07 in TT 03/2025, Mẫu 06 in TT 01/2018): A4 landscape.

Any date range, any number of pages: one ``LongTable`` whose header row repeats
on every page, and "Trang x/y" in the footer. Only columns that can run long
(procedure, applicant, address, agency, remarks) are Paragraphs; short cells are
plain strings. Body cells are plain strings wrapped with ``simpleSplit`` (a
width measurement per word) instead of Paragraphs: same line breaks for plain
text at a fraction of the cost, which keeps a 1,000-row book well under two
seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Flowable, LongTable, Spacer, TableStyle

from desk_app.domain.lifecycle import DossierEvent, EventKind, Status
from desk_app.domain.model import Dossier, Procedure, Unit
from desk_app.workcalendar import now_vn
from printing.context import to_local
from printing.fonts import SERIF, nfc
from printing.layout import (
    A4_LANDSCAPE,
    build_pdf,
    esc,
    form_label,
    frame_width,
    header_block,
    legal_basis_line,
    para,
    short_date,
    styles,
    title,
)

FORM = "logbook"
TITLE = "Sổ theo dõi hồ sơ"
MARGINS = (11 * mm, 9 * mm, 13 * mm, 9 * mm)

HEADERS = (
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Số bộ",
    "Người nộp hồ sơ",
    "Địa chỉ, số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Ngày, giờ nhận hồ sơ",
    "Ngày hẹn trả kết quả",
    "Chuyển hồ sơ đến cơ quan giải quyết",
    "Nhận kết quả từ cơ quan giải quyết",
    "Trả kết quả cho cá nhân, tổ chức",
    "Ký nhận",
    "Ghi chú",
)
# widths in mm; the remark column takes what is left of the frame
WIDTHS_MM = (7, 30, 38, 8, 26, 40, 28, 14, 14, 14, 14, 14, 13)
FONT_SIZE = 6.8
PAD = 1.5


def _wrap(text: str, width: float) -> str:
    """Plain-text cell content broken into lines that fit ``width`` points."""
    if not text:
        return ""
    lines: list[str] = []
    for part in nfc(text).split("\n"):
        lines.extend(simpleSplit(part, SERIF, FONT_SIZE, width - 2 * PAD - 0.5) or [""])
    return "\n".join(lines)


def _first(events: Iterable[DossierEvent], kind: EventKind) -> DossierEvent | None:
    found = [e for e in events if e.kind is kind]
    return min(found, key=lambda e: (e.hlc, e.at)) if found else None


def _last(events: Iterable[DossierEvent], kind: EventKind) -> DossierEvent | None:
    found = [e for e in events if e.kind is kind]
    return max(found, key=lambda e: (e.hlc, e.at)) if found else None


def _remarks(d: Dossier, events: Sequence[DossierEvent], now: dt.datetime) -> str:
    notes: list[str] = []
    try:
        status: Status | None = Status(d.status)
    except ValueError:
        status = None
    if status in (
        Status.REFUSED,
        Status.STOPPED,
        Status.WITHDRAWN,
        Status.SUPPLEMENT_REQUESTED,
        Status.AWAITING_FEES,
    ):
        notes.append(status.label)
    if any(e.kind is EventKind.EXTENDED for e in events):
        notes.append("Đã xin lỗi, gia hạn")
    returned = _last(events, EventKind.RETURNED)
    result = _last(events, EventKind.RESULT_READY)
    done = result.at if result else None
    if done is not None and done > d.due_at:
        notes.append("Quá hạn")
    elif done is None and status is not None and status.clock_running and now > d.due_at:
        notes.append("Quá hạn")
    if returned is not None:
        tracking = str(returned.payload.get("tracking_number", "") or "")
        if tracking:
            notes.append(f"Bưu gửi {tracking}")
    if d.target_unit_code:
        notes.append(f"Phi địa giới: {d.target_unit_code}")
    return "; ".join(notes)


def build_logbook(
    unit: Unit,
    dossiers: Iterable[Dossier],
    date_from: dt.date,
    date_to: dt.date,
    *,
    events: Mapping[str, Sequence[DossierEvent]] | None = None,
    procedures: Mapping[str, Procedure] | None = None,
    printed_at: dt.datetime | None = None,
    volume: str = "",
) -> bytes:
    """The logbook of dossiers received from ``date_from`` to ``date_to`` (inclusive, Vietnam time).

    Args:
        events: dossier id -> its events, for the transferred / result / returned columns.
        procedures: procedure code -> Procedure, for the lead agency (falls back to the unit).
    """
    events = events or {}
    procedures = procedures or {}
    now = to_local(printed_at or now_vn())
    st = styles(8.0)
    big = styles(11.0)
    cell = st.cell_c
    width = frame_width(A4_LANDSCAPE, MARGINS)
    widths = [w * mm for w in WIDTHS_MM]
    widths.append(width - sum(widths))

    chosen = sorted(
        (d for d in dossiers if date_from <= to_local(d.received_at).date() <= date_to),
        key=lambda d: (d.received_at, d.code),
    )
    rows: list[list[object]] = [[para(h, st.cell_head) for h in HEADERS]]
    for i, d in enumerate(chosen, 1):
        evs = events.get(d.id, ())
        proc = procedures.get(d.procedure_code)
        transferred = _first(evs, EventKind.TRANSFERRED)
        lead = (
            (proc.lead_agency if proc and proc.lead_agency else "")
            or (str(transferred.payload.get("to", "")) if transferred else "")
            or unit.name
        )
        result = _last(evs, EventKind.RESULT_READY)
        returned = _last(evs, EventKind.RETURNED)
        a = d.applicant
        contact = str(a.address) + (f"\nĐT: {a.phone}" if a.phone else "")
        received = to_local(d.received_at)
        rows.append(
            [
                str(i),
                _wrap(d.code, widths[1]),
                _wrap(d.procedure_name, widths[2]),
                str(d.sets),
                _wrap(a.full_name, widths[4]),
                _wrap(contact, widths[5]),
                _wrap(lead, widths[6]),
                f"{received:%H:%M}\n{received:%d/%m/%Y}",
                short_date(d.due_at),
                short_date(transferred.at) if transferred else "",
                short_date(result.at) if result else "",
                short_date(returned.at) if returned else "",
                "",
                _wrap(_remarks(d, evs, now), widths[13]),
            ]
        )
    if len(rows) == 1:
        rows.append(["", para("<i>Không có hồ sơ trong khoảng thời gian này.</i>", cell)] + [""] * 12)

    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                ("FONT", (0, 0), (-1, -1), SERIF, FONT_SIZE, FONT_SIZE * 1.2),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("VALIGN", (0, 1), (-1, -1), "TOP"),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (3, 1), (3, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
                ("BACKGROUND", (0, 0), (-1, 0), (0.92, 0.92, 0.92)),
            ]
        )
    )
    period = f"Từ ngày {date_from:%d/%m/%Y} đến ngày {date_to:%d/%m/%Y}"
    if volume:
        period += f" – Quyển số: {volume}"
    story: list[Flowable] = [
        header_block(unit, width * 0.8, now, big),
        title(TITLE, big, width),
        para(esc(period), big.subtitle),
        Spacer(1, 2.5 * mm),
        table,
    ]
    return build_pdf(
        story,
        pagesize=A4_LANDSCAPE,
        form_label_text=form_label(FORM, unit),
        footer=legal_basis_line(FORM, unit),
        title_meta=f"{TITLE} {period}",
        margins=MARGINS,
        page_numbers=True,
        # Bottom right, level with the centred legal-basis footer and well clear of it.
        page_number_at=(A4_LANDSCAPE[0] - MARGINS[1] - 12 * mm, 5 * mm),
    )
