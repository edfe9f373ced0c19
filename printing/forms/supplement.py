"""Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — everything missing, listed once."""

from __future__ import annotations

from reportlab.platypus import Flowable

from desk_app.domain.model import FormSet
from printing.context import FormContext
from printing.forms._letter import build_letter
from printing.forms.common import applicant_lines, code_row
from printing.layout import RECEPTION_DESK, Styles, date_words, esc, field_line, para

FORM = "supplement"
TITLE = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"


def body(ctx: FormContext, st: Styles, width: float) -> list[Flowable]:
    d = ctx.dossier
    out: list[Flowable] = [code_row(ctx, width, st, with_qr=False)]
    out.append(
        para(f"{esc(RECEPTION_DESK.capitalize())} – {esc(ctx.unit.name)} tiếp nhận hồ sơ của:", st.body)
    )
    out += applicant_lines(ctx, st)
    out.append(field_line("Nội dung yêu cầu giải quyết", d.procedure_name, st))
    out.append(para(f"Ngày tiếp nhận: {esc(date_words(d.received_at))}.", st.body))
    out.append(para("Yêu cầu ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:", st.body))
    items = ctx.missing_items()
    if items:
        for i, item in enumerate(items, 1):
            note = f" <i>({esc(item.note)})</i>" if item.note else ""
            out.append(para(f"{i}. {esc(item.name)}{note}", st.list_item))
    else:
        out += [para(f"{i}. ……………………………………………………", st.list_item) for i in (1, 2, 3)]
    note = ctx.supplement_note()
    if note:
        out.append(para(f"<i>Ghi chú: {esc(note)}</i>", st.body))
    legacy = FormSet(ctx.unit.form_set) is FormSet.TT01_2018
    reason = (
        "" if legacy else " Trường hợp cần thiết, liên hệ số điện thoại " + esc(ctx.unit.phone or "……") + "."
    )
    out.append(
        para(
            "Lý do: hồ sơ chưa đầy đủ, hợp lệ theo quy định. Trong quá trình hoàn thiện hồ sơ, "
            "nếu có vướng mắc, ông/bà liên hệ với Bộ phận tiếp nhận và trả kết quả để được hướng dẫn."
            + reason,
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
        [
            ("Người nộp hồ sơ", "(Ký và ghi rõ họ tên)", d.applicant.full_name),
            ("Người hướng dẫn", "(Ký và ghi rõ họ tên)", ctx.officer_name(d.officer)),
        ],
        number_suffix="/PYCBS",
    )
