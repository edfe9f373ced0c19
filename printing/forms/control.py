"""Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 06 in TT 03/2025, Mẫu 05 in TT 01/2018).

One row per hand-over of the paper dossier, derived from the events:
received (citizen -> desk), transferred (desk -> processing section),
result ready (section -> desk), refused / stopped / withdrawn (back to the desk),
returned (desk -> citizen or postal service). Each row says whether the step
finished before, on or after the appointment in force at that moment. Blank rows
follow for the hand-overs that are still to come and are filled in by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from desk_app.domain.lifecycle import EventKind, timeliness
from printing.context import FormContext, parse_time
from printing.forms.common import code_row
from printing.forms.receipt import SETTLED_TITLE, settled_at
from printing.forms.receipt import TITLE as RECEIPT_TITLE
from printing.layout import (
    A5_PORTRAIT,
    Styles,
    build_pdf,
    clock_date,
    esc,
    field_line,
    form_label,
    frame_width,
    grid_table,
    header_block,
    legal_basis_line,
    para,
    styles,
    title,
)

FORM = "control"
TITLE = "Phiếu kiểm soát quá trình giải quyết hồ sơ"


@dataclass(frozen=True)
class HandOver:
    giver_office: str
    giver: str
    receiver_office: str
    receiver: str
    at: dt.datetime
    outcome: str  # Trước hạn / Đúng hạn / Quá hạn, or '' for the reception itself
    note: str = ""


def hand_overs(ctx: FormContext) -> list[HandOver]:
    """The dossier's hand-overs in order, with the timeliness of each step."""
    d = ctx.dossier
    rows: list[HandOver] = []
    due: dt.datetime | None = d.due_at
    desk = ctx.unit.one_stop_body  # the unit's reception body, as NĐ 118/2025 names it
    holder_office, holder = desk, ctx.officer_name(d.officer)
    received_seen = False
    for e in ctx.sorted_events:
        actor = ctx.officer_name(e.actor)
        p = e.payload
        if e.kind is EventKind.RECEIVED:
            received_seen = True
            due = parse_time(p.get("due_at")) or d.due_at
            rows.append(HandOver("Người nộp hồ sơ", d.applicant.full_name, desk, actor, e.at, ""))
            holder_office, holder = desk, actor
        elif e.kind is EventKind.EXTENDED:
            due = parse_time(p.get("due_at")) or due
        elif e.kind is EventKind.TRANSFERRED:
            office = str(p.get("to", "") or "")
            person = str(p.get("to_person", "") or "")
            rows.append(HandOver(holder_office, actor, office, person, e.at, timeliness(due, e.at)))
            holder_office, holder = office, person
        elif e.kind in (EventKind.RESULT_READY, EventKind.REFUSED, EventKind.STOPPED):
            note = {
                EventKind.RESULT_READY: "Đã có kết quả",
                EventKind.REFUSED: "Từ chối giải quyết",
                EventKind.STOPPED: "Dừng giải quyết",
            }[e.kind]
            rows.append(HandOver(holder_office, actor or holder, desk, "", e.at, timeliness(due, e.at), note))
            holder_office, holder = desk, ""
        elif e.kind is EventKind.RETURNED:
            by_post = p.get("method") == "buu_chinh"
            office = "Dịch vụ bưu chính công ích" if by_post else "Người nộp hồ sơ"
            receiver = str(p.get("receiver", "") or (d.applicant.full_name if not by_post else ""))
            tracking = str(p.get("tracking_number", "") or "")
            note = f"Số hiệu bưu gửi: {tracking}" if tracking else "Trả kết quả"
            rows.append(HandOver(desk, actor, office, receiver, e.at, timeliness(due, e.at), note))
        elif e.kind is EventKind.WITHDRAWN:
            rows.append(
                HandOver(
                    holder_office,
                    actor or holder,
                    "Người nộp hồ sơ",
                    d.applicant.full_name,
                    e.at,
                    "",
                    "Công dân rút hồ sơ",
                )
            )
    if not received_seen:
        rows.insert(
            0,
            HandOver(
                "Người nộp hồ sơ", d.applicant.full_name, desk, ctx.officer_name(d.officer), d.received_at, ""
            ),
        )
    return rows


def _signatures(h: HandOver | None, st: Styles, width: float) -> Table:
    """The time of the hand-over above two signature cells, "Người giao" and "Người nhận"."""
    c = st.cell_c
    when = esc(clock_date(h.at)) if h else "…… giờ …… phút, ngày ……/……/……"
    table = Table(
        [
            [para(when, c), ""],
            [para("<b>Người giao</b>", c), para("<b>Người nhận</b>", c)],
            [Spacer(1, 7 * mm), ""],
            [para(esc(h.giver if h else ""), c), para(esc(h.receiver if h else ""), c)],
        ],
        colWidths=[width / 2, width / 2],
    )
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("LINEBELOW", (0, 0), (1, 0), 0.4, (0, 0, 0)),
                ("LINEAFTER", (0, 1), (0, 3), 0.4, (0, 0, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def _offices(h: HandOver | None, st: Styles) -> list[Flowable]:
    giver = esc(h.giver_office) if h else "……………………"
    receiver = esc(h.receiver_office) if h else "……………………"
    return [para(f"1. Giao: {giver}", st.cell), Spacer(1, 2 * mm), para(f"2. Nhận: {receiver}", st.cell)]


def receipt_title(ctx: FormContext) -> str:
    """The receipt this sheet goes with: no appointment when settled on the spot."""
    return SETTLED_TITLE if settled_at(ctx) else RECEIPT_TITLE


def build(ctx: FormContext) -> bytes:
    """Laid out as the model reproduced by provincial systems: columns TÊN CƠ QUAN |
    THỜI GIAN GIAO, NHẬN HỒ SƠ | KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/đúng hạn/quá hạn) |
    GHI CHÚ; each row "1. Giao: … 2. Nhận: …" with the time and the two signature cells."""
    st = styles(10.0)
    width = frame_width(A5_PORTRAIT)
    d = ctx.dossier
    lead = ctx.procedure.lead_agency if ctx.procedure and ctx.procedure.lead_agency else ""
    story: list[Flowable] = [
        header_block(ctx.unit, width, ctx.print_time, st),
        title(TITLE, st, width),
        Spacer(1, 1.5 * mm),
        code_row(ctx, width, st, with_qr=False),
        para(f"<i>(Kèm theo {receipt_title(ctx)})</i>", st.body),
        field_line("Người nộp hồ sơ", d.applicant.full_name, st),
        field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st),
        field_line("Cơ quan (bộ phận) giải quyết hồ sơ", lead, st),
        field_line("Cơ quan phối hợp giải quyết hồ sơ", "", st),
        field_line("Thời hạn trả kết quả", clock_date(d.due_at), st),
        Spacer(1, 1.5 * mm),
    ]
    widths = [36 * mm, 42 * mm, 22 * mm, width - 100 * mm]
    head = [
        para(h, st.cell_head)
        for h in (
            "TÊN CƠ QUAN",
            "THỜI GIAN GIAO, NHẬN HỒ SƠ",
            "KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/ đúng hạn/ quá hạn)",
            "GHI CHÚ",
        )
    ]
    rows: list[list[object]] = [head]
    items = hand_overs(ctx)
    for h in items:
        rows.append(
            [
                _offices(h, st),
                _signatures(h, st, widths[1] - 4),
                para(f"<b>{esc(h.outcome)}</b>", st.cell_c),
                para(esc(h.note), st.cell),
            ]
        )
    for _ in range(max(0, 4 - len(items))):  # hand-overs still to come, filled in by hand
        rows.append([_offices(None, st), _signatures(None, st, widths[1] - 4), "", ""])
    table = grid_table(rows, widths)
    table.setStyle(TableStyle([("LEFTPADDING", (1, 1), (1, -1), 1), ("RIGHTPADDING", (1, 1), (1, -1), 1)]))
    story.append(table)
    return build_pdf(
        story,
        pagesize=A5_PORTRAIT,
        form_label_text=form_label(FORM, ctx.unit, ctx.print_time),
        footer=legal_basis_line(FORM, ctx.unit, ctx.print_time),
        title_meta=f"{TITLE} – {d.code}",
    )


__all__ = ["HandOver", "build", "hand_overs"]
