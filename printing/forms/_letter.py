"""Builder shared by the one-page letter-style slips (Mẫu 02, 03, 04, 05)."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from printing.context import FormContext
from printing.layout import (
    A5_PORTRAIT,
    Styles,
    build_pdf,
    form_label,
    frame_width,
    header_block,
    legal_basis_line,
    signature_blocks,
    styles,
    title,
)

Body = Callable[[FormContext, Styles, float], list[Flowable]]


def build_letter(
    ctx: FormContext,
    form: str,
    title_text: str,
    body: Body,
    signatures: list[tuple[str, str, str]],
    number_suffix: str = "",
    recipients: list[str] | None | bool = True,
) -> bytes:
    """``recipients`` True: the "Nơi nhận" list of a one-signature letter; None: none."""
    st = styles(10.0)
    width = frame_width(A5_PORTRAIT)
    number = f"Số: {ctx.document_number or '……'}{number_suffix}" if number_suffix else ""
    story: list[Flowable] = [
        header_block(ctx.unit, width, ctx.print_time, st, number_line=number),
        title(title_text, st, width),
        Spacer(1, 2 * mm),
    ]
    story += body(ctx, st, width)
    places = ["Như trên;", "Lưu: VT."] if recipients is True and len(signatures) == 1 else None
    if isinstance(recipients, list):
        places = recipients
    if places is None and len(signatures) == 1:
        # a lone signer sits on the right half, as on the models
        story.append(signature_blocks([("", "", ""), *signatures], width, st, space=15 * mm))
    else:
        story.append(signature_blocks(signatures, width, st, space=15 * mm, recipients=places))
    return build_pdf(
        story,
        pagesize=A5_PORTRAIT,
        form_label_text=form_label(form, ctx.unit, ctx.print_time),
        footer=legal_basis_line(form, ctx.unit, ctx.print_time),
        title_meta=f"{title_text} – {ctx.dossier.code}",
    )
