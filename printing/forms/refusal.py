"""Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ — refusal with its reason."""

from __future__ import annotations

from reportlab.platypus import Flowable

from desk_app.domain.lifecycle import EventKind
from printing.context import FormContext
from printing.forms._letter import build_letter
from printing.forms.common import applicant_lines, code_row
from printing.layout import Styles, esc, field_line, para

FORM = "refusal"
TITLE = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"


def body(ctx: FormContext, st: Styles, width: float) -> list[Flowable]:
    d = ctx.dossier
    out: list[Flowable] = [code_row(ctx, width, st, with_qr=False)]
    out.append(para(f"{esc(ctx.unit.one_stop_body)} tiếp nhận hồ sơ của:", st.body))
    out += applicant_lines(ctx, st)
    out.append(field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st))
    out.append(
        para(
            "Qua xem xét, cơ quan, đơn vị từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
            st.body_j,
        )
    )
    reason = ctx.reason_for(EventKind.REFUSED)
    out.append(para(f"<b>{esc(reason)}</b>" if reason else "……………………………………………………………………", st.list_item))
    out.append(para("Xin thông báo để ông/bà được biết và thực hiện./.", st.body))
    return out


def build(ctx: FormContext) -> bytes:
    d = ctx.dossier
    return build_letter(
        ctx,
        FORM,
        TITLE,
        body,
        [
            ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", d.applicant.full_name),
            ("Người tiếp nhận hồ sơ", "(Ký và ghi rõ họ tên)", ctx.officer_name(d.officer)),
        ],
        number_suffix="/PTC",
    )
