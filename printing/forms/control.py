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
from reportlab.platypus import Flowable, Spacer

from desk_app.domain.lifecycle import EventKind, timeliness
from printing.context import FormContext, parse_time
from printing.forms.common import code_row
from printing.layout import (
    A5_PORTRAIT,
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
DESK = "Bộ phận tiếp nhận và trả kết quả"


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
    holder_office, holder = DESK, ctx.officer_name(d.officer)
    received_seen = False
    for e in ctx.sorted_events:
        actor = ctx.officer_name(e.actor)
        p = e.payload
        if e.kind is EventKind.RECEIVED:
            received_seen = True
            due = parse_time(p.get("due_at")) or d.due_at
            rows.append(HandOver("Người nộp hồ sơ", d.applicant.full_name, DESK, actor, e.at, ""))
            holder_office, holder = DESK, actor
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
            rows.append(HandOver(holder_office, actor or holder, DESK, "", e.at, timeliness(due, e.at), note))
            holder_office, holder = DESK, ""
        elif e.kind is EventKind.RETURNED:
            by_post = p.get("method") == "buu_chinh"
            office = "Dịch vụ bưu chính công ích" if by_post else "Người nộp hồ sơ"
            receiver = str(p.get("receiver", "") or (d.applicant.full_name if not by_post else ""))
            tracking = str(p.get("tracking_number", "") or "")
            note = f"Số hiệu bưu gửi: {tracking}" if tracking else "Trả kết quả"
            rows.append(HandOver(DESK, actor, office, receiver, e.at, timeliness(due, e.at), note))
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
                "Người nộp hồ sơ", d.applicant.full_name, DESK, ctx.officer_name(d.officer), d.received_at, ""
            ),
        )
    return rows


def build(ctx: FormContext) -> bytes:
    st = styles(10.0)
    width = frame_width(A5_PORTRAIT)
    d = ctx.dossier
    lead = ctx.procedure.lead_agency if ctx.procedure and ctx.procedure.lead_agency else ""
    story: list[Flowable] = [
        header_block(ctx.unit, width, ctx.print_time, st),
        title(TITLE, st, width),
        Spacer(1, 1.5 * mm),
        code_row(ctx, width, st, with_qr=False),
        para("<i>(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)</i>", st.body),
        field_line("Người nộp hồ sơ", d.applicant.full_name, st),
        field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st),
        field_line("Cơ quan (bộ phận) giải quyết hồ sơ", lead, st),
        field_line("Thời hạn trả kết quả", clock_date(d.due_at), st),
        Spacer(1, 1.5 * mm),
    ]
    c = st.cell
    head = [
        para(h, st.cell_head)
        for h in (
            "STT",
            "Bên giao",
            "Bên nhận",
            "Thời gian giao, nhận",
            "Kết quả (Trước hạn/ Đúng hạn/ Quá hạn)",
            "Ghi chú",
        )
    ]
    rows: list[list[object]] = [head]
    items = hand_overs(ctx)
    for i, h in enumerate(items, 1):
        rows.append(
            [
                para(str(i), st.cell_c),
                [para(esc(h.giver_office), c), para(f"<b>{esc(h.giver)}</b>", c), Spacer(1, 4 * mm)],
                [para(esc(h.receiver_office), c), para(f"<b>{esc(h.receiver)}</b>", c), Spacer(1, 4 * mm)],
                para(esc(clock_date(h.at)), c),
                para(f"<b>{esc(h.outcome)}</b>", st.cell_c),
                para(esc(h.note), c),
            ]
        )
    for i in range(len(items) + 1, len(items) + 1 + max(0, 4 - len(items))):
        rows.append([para(str(i), st.cell_c), Spacer(1, 10 * mm), "", "", "", ""])
    story.append(grid_table(rows, [8 * mm, 27 * mm, 27 * mm, 24 * mm, 20 * mm, width - 106 * mm]))
    story.append(para("<i>Ghi chú: Bên giao, bên nhận ký và ghi rõ họ tên tại ô tương ứng.</i>", st.small_i))
    return build_pdf(
        story,
        pagesize=A5_PORTRAIT,
        form_label_text=form_label(FORM, ctx.unit),
        footer=legal_basis_line(FORM, ctx.unit),
        title_meta=f"{TITLE} – {d.code}",
    )


__all__ = ["HandOver", "build", "hand_overs"]
