"""Mẫu 05 (TT 03/2025): Thông báo dừng giải quyết hồ sơ.

TT 01/2018 has no stop-notice template; for units on the legacy set the same
layout prints without a "Mẫu số" label and with a footer naming the 2025 model.
"""

from __future__ import annotations

from reportlab.platypus import Flowable

from desk_app.domain.lifecycle import EventKind
from printing.context import FormContext
from printing.forms._letter import build_letter
from printing.forms.common import code_row
from printing.layout import Styles, date_words, esc, para

FORM = "stop"
TITLE = "Thông báo dừng giải quyết hồ sơ"


def body(ctx: FormContext, st: Styles, width: float) -> list[Flowable]:
    d = ctx.dossier
    unit = esc(ctx.unit.name)
    reason = ctx.reason_for(EventKind.STOPPED)
    return [
        para(f"Kính gửi: Ông/bà <b>{esc(d.applicant.full_name)}</b>", st.center),
        para(f"Địa chỉ: {esc(str(d.applicant.address))}", st.center),
        code_row(ctx, width, st, with_qr=False),
        para(
            f"Ngày {esc(date_words(d.received_at)[5:])}, {unit} tiếp nhận hồ sơ của ông/bà về việc "
            f"<b>{esc(d.procedure_name)}</b>, mã hồ sơ <b>{esc(d.code)}</b>.",
            st.body_j,
        ),
        para(f"{unit} thông báo dừng giải quyết hồ sơ nêu trên.", st.body_j),
        para(f"Lý do: <b>{esc(reason)}</b>" if reason else "Lý do: ……………………………………………………", st.body_j),
        para(
            f"Ông/bà liên hệ {esc(ctx.unit.one_stop_body)} để nhận lại hồ sơ và được hướng dẫn./.",
            st.body_j,
        ),
    ]


def build(ctx: FormContext) -> bytes:
    return build_letter(
        ctx,
        FORM,
        TITLE,
        body,
        [("Thủ trưởng cơ quan, đơn vị", "(Ký, ghi rõ họ tên và đóng dấu)", "")],
        number_suffix="/TB",
    )
