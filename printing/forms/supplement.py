"""Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — everything missing, listed once."""

from __future__ import annotations

from reportlab.platypus import Flowable

from printing.context import FormContext
from printing.forms._letter import build_letter
from printing.forms.common import applicant_lines, code_row
from printing.layout import Styles, date_words, esc, field_line, para

FORM = "supplement"
TITLE = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"


def body(ctx: FormContext, st: Styles, width: float) -> list[Flowable]:
    d = ctx.dossier
    out: list[Flowable] = [code_row(ctx, width, st, with_qr=False)]
    out.append(para(f"{esc(ctx.unit.one_stop_body)} tiếp nhận hồ sơ của:", st.body))
    out += applicant_lines(ctx, st)
    out.append(field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st))
    out.append(para(f"Ngày tiếp nhận: {esc(date_words(d.received_at))}.", st.body))
    out.append(
        para(
            "Yêu cầu ông/bà bổ sung, hoàn thiện hồ sơ gồm những giấy tờ, nội dung sau "
            "(mỗi giấy tờ kèm lý do):",
            st.body,
        )
    )
    items = ctx.missing_items()
    if items:
        for i, item in enumerate(items, 1):
            # Each missing or faulty paper with its own reason, as the model asks.
            reason = esc(item.note) if item.note else "……………………………………"
            out.append(para(f"{i}. <b>{esc(item.name)}</b>. Lý do: {reason}", st.list_item))
    else:
        out += [para(f"{i}. ……………………………… Lý do: ………………………", st.list_item) for i in (1, 2, 3)]
    note = ctx.supplement_note()
    if note:
        out.append(para(f"<i>Ghi chú: {esc(note)}</i>", st.body))
    officer = ctx.officer_name(d.officer) or "……………………"
    phone = ctx.unit.phone or "……………"
    out.append(
        para(
            "Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ với "
            f"<b>{esc(officer)}</b>, số điện thoại <b>{esc(phone)}</b> để được hướng dẫn.",
            st.body_j,
        )
    )
    return out


def build(ctx: FormContext) -> bytes:
    d = ctx.dossier
    return build_letter(
        ctx,
        FORM,
        TITLE,
        body,
        [("Người hướng dẫn", "(Ký và ghi rõ họ tên)", ctx.officer_name(d.officer))],
        number_suffix="/PYCBS",
        recipients=None,
    )
