"""Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (the receipt), both sets."""

from __future__ import annotations

import datetime as dt

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import ReturnMethod, format_vnd
from printing.context import FormContext
from printing.forms.common import (
    applicant_lines,
    code_row,
    procedure_time_label,
    received_counts,
    with_copies,
)
from printing.layout import (
    A5_PORTRAIT,
    build_pdf,
    clock_date,
    esc,
    field_line,
    form_label,
    frame_width,
    header_block,
    legal_basis_line,
    para,
    signature_blocks,
    styles,
    title,
)

FORM = "receipt"
TITLE = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
# Settled on the spot ("Giải quyết ngay"): no appointment, the result went home with the citizen.
SETTLED_TITLE = "Giấy tiếp nhận hồ sơ và trả kết quả"


def settled_at(ctx: FormContext) -> dt.datetime | None:
    """When the dossier was returned on the spot, or None."""
    for event in ctx.events or ():
        if event.kind is EventKind.RETURNED and event.payload.get("on_the_spot"):
            return event.at
    return None


def result_place(ctx: FormContext) -> str:
    """Where the citizen registered to receive the result ("Đăng ký nhận kết quả tại:")."""
    d = ctx.dossier
    try:
        method: ReturnMethod | None = ReturnMethod(d.return_method)
    except ValueError:
        method = None
    if method is ReturnMethod.POST:
        where = "Qua dịch vụ bưu chính công ích"
        return f"{where} – địa chỉ nhận: {d.return_address}" if d.return_address else where
    if method is ReturnMethod.ONLINE:
        return "Trực tuyến (Cổng Dịch vụ công)"
    return ctx.unit.one_stop_body


def story(ctx: FormContext, width: float) -> list[Flowable]:
    st = styles(10.0)
    d = ctx.dossier
    unit = ctx.unit

    settled = settled_at(ctx)

    def one_copy(copy_label: str) -> list[Flowable]:
        out: list[Flowable] = [
            header_block(unit, width, ctx.print_time, st),
            title(SETTLED_TITLE if settled else TITLE, st, width),
        ]
        if copy_label:
            out.append(para(f"({esc(copy_label)})", st.subtitle))
        out += [Spacer(1, 1.5 * mm), code_row(ctx, width, st), Spacer(1, 1.5 * mm)]
        out.append(para(f"{esc(unit.one_stop_body)} tiếp nhận hồ sơ của:", st.body))
        out += applicant_lines(ctx, st)
        out.append(field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st))
        out.append(para("1. Thành phần hồ sơ nộp gồm:", st.body))
        if d.components:
            for i, rc in enumerate(d.components, 1):
                out.append(para(f"{i}) {esc(rc.name)} <i>({esc(received_counts(rc))})</i>", st.list_item))
        else:
            out.append(para("…………………………………………", st.list_item))
        out.append(para(f"2. Số lượng hồ sơ: <b>{d.sets:02d}</b> (bộ)", st.body))
        out.append(
            para(
                "3. Thời gian giải quyết hồ sơ theo quy định: "
                f"<b>{esc(procedure_time_label(ctx)) or '……'}</b>",
                st.body,
            )
        )
        out.append(para(f"4. Thời gian nhận hồ sơ: {esc(clock_date(d.received_at))}", st.body))
        if settled:
            out.append(
                para(f"5. Đã giải quyết và trả kết quả tại quầy: <b>{esc(clock_date(settled))}</b>", st.body)
            )
            out.append(para("6. Người nộp hồ sơ đã nhận kết quả.", st.body))
        else:
            out.append(
                para(
                    f"5. Thời gian trả kết quả giải quyết hồ sơ: <b>{esc(clock_date(d.due_at))}</b>", st.body
                )
            )
            out.append(para(f"6. Đăng ký nhận kết quả tại: {esc(result_place(ctx))}", st.body))
        fee = format_vnd(d.fee) if d.fee else "Không thu"
        if settled and d.fee:
            fee = f"{fee} (đã thu)"
        fee_rule = f" <i>({esc(ctx.procedure.fee.label)})</i>" if ctx.procedure and d.fee else ""
        out.append(para(f"7. Phí, lệ phí: <b>{esc(fee)}</b>{fee_rule}", st.body))
        volume = esc(d.logbook_volume) or "……"
        number = f"{d.logbook_number}" if d.logbook_number else "……"
        out.append(
            para(f"Vào Sổ theo dõi hồ sơ, Quyển số: <b>{volume}</b>, Số thứ tự: <b>{number}</b>", st.body)
        )
        out.append(
            signature_blocks(
                [
                    (
                        "Người nhận kết quả" if settled else "Người nộp hồ sơ",
                        "(Ký và ghi rõ họ tên)",
                        d.applicant.full_name,
                    ),
                    (
                        "Người trả kết quả" if settled else "Người tiếp nhận hồ sơ",
                        "(Ký và ghi rõ họ tên)",
                        ctx.officer_name(d.officer),
                    ),
                ],
                width,
                st,
                space=14 * mm,
            )
        )
        return out

    return with_copies(ctx, one_copy)


def build(ctx: FormContext) -> bytes:
    return build_pdf(
        story(ctx, frame_width(A5_PORTRAIT)),
        pagesize=A5_PORTRAIT,
        form_label_text=form_label(FORM, ctx.unit, ctx.print_time),
        footer=legal_basis_line(FORM, ctx.unit, ctx.print_time),
        title_meta=f"{SETTLED_TITLE if settled_at(ctx) else TITLE} – {ctx.dossier.code}",
    )
