"""Mẫu 04: apology for a late result and the new appointment.

TT 03/2025: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết";
TT 01/2018: "Phiếu xin lỗi và hẹn lại ngày trả kết quả". Same facts, different
title and wording.
"""

from __future__ import annotations

from reportlab.platypus import Flowable

from desk_app.domain.errors import DomainError
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import FormSet
from printing.context import FormContext
from printing.forms._letter import build_letter
from printing.forms.common import code_row
from printing.layout import Styles, clock_date, date_words, esc, para

FORM = "apology"
TITLES = {
    # The title as Phụ lục I of TT 03/2025 lists it (no trailing "hồ sơ").
    FormSet.TT03_2025: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
    FormSet.TT01_2018: "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
}


def body(ctx: FormContext, st: Styles, width: float) -> list[Flowable]:
    d = ctx.dossier
    unit = esc(ctx.unit.name)
    new_due, previous, reason = ctx.extension()
    previous_text = esc(clock_date(previous)) if previous else "……"
    legacy = FormSet(ctx.unit.form_set) is FormSet.TT01_2018
    out: list[Flowable] = [
        para(f"Kính gửi: Ông/bà <b>{esc(d.applicant.full_name)}</b>", st.center),
        para(f"Địa chỉ: {esc(str(d.applicant.address))}", st.center),
        code_row(ctx, width, st, with_qr=False),
        para(
            f"Ngày {esc(date_words(d.received_at)[5:])}, {unit} tiếp nhận giải quyết hồ sơ của ông/bà "
            "về việc "
            f"<b>{esc(d.procedure_name)}</b>, mã hồ sơ <b>{esc(d.code)}</b>; thời hạn trả kết quả giải quyết "
            f"hồ sơ là {previous_text}.",
            st.body_j,
        ),
        para(
            f"Tuy nhiên, đến nay {unit} chưa trả kết quả giải quyết hồ sơ của ông/bà đúng hạn ghi trên "
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
            st.body_j,
        ),
        para(f"Lý do: <b>{esc(reason)}</b>" if reason else "Lý do: ……………………………………………………", st.body_j),
        para("Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của ông/bà.", st.body_j),
    ]
    if legacy:
        out.append(
            para(
                f"{unit} xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào "
                f"<b>{esc(clock_date(new_due))}</b>.",
                st.body_j,
            )
        )
    else:
        out.append(
            para(
                f"{unit} trân trọng xin lỗi ông/bà và đề nghị gia hạn thời gian giải quyết hồ sơ; "
                f"thời gian trả kết quả mới là <b>{esc(clock_date(new_due))}</b>.",
                st.body_j,
            )
        )
    out.append(para("Rất mong nhận được sự thông cảm của ông/bà vì sự chậm trễ này./.", st.body_j))
    return out


def build(ctx: FormContext) -> bytes:
    """Raises DomainError without an extension (the event, or a new date to preview one):
    a letter that says "chưa trả kết quả đúng hạn" and repeats the old deadline as the
    new one must not exist (the rule itself: ``lifecycle.decide_extension``)."""
    new_due, previous, _reason = ctx.extension()
    if ctx.last_event(EventKind.EXTENDED) is None and ctx.new_due_at is None:
        raise DomainError(
            "Chưa có đề nghị gia hạn cho hồ sơ này: văn bản xin lỗi (Mẫu 04) chỉ lập cho hồ sơ "
            "quá hạn hoặc sắp đến hạn, kèm thời gian trả kết quả mới."
        )
    if previous is not None and new_due <= previous:
        raise DomainError("Thời gian trả kết quả mới phải sau thời hạn cũ.")
    fs = FormSet(ctx.unit.form_set)
    return build_letter(
        ctx,
        FORM,
        TITLES[fs],
        body,
        [("Thủ trưởng cơ quan, đơn vị", "(Ký, ghi rõ họ tên và đóng dấu)", "")],
        number_suffix="/XL",
    )
