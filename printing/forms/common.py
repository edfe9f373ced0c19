"""Pieces several forms share: applicant lines, document lists, the copy (Liên) loop."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table, TableStyle

from desk_app.domain.model import Dossier, ReceivedComponent, ReturnMethod
from printing.barcodes import Code128Flowable, QRFlowable
from printing.context import FormContext
from printing.layout import Styles, esc, field_line, para

COPY_LABELS = ("Liên 1: Lưu", "Liên 2: Giao người nộp hồ sơ")


def received_counts(rc: ReceivedComponent) -> str:
    parts = []
    if rc.originals:
        parts.append(f"{rc.originals} bản chính")
    if rc.certified_copies:
        parts.append(f"{rc.certified_copies} bản sao chứng thực")
    if rc.photocopies:
        parts.append(f"{rc.photocopies} bản photo")
    return ", ".join(parts) or "xuất trình"


def return_method_label(dossier: Dossier) -> str:
    try:
        method: ReturnMethod | None = ReturnMethod(dossier.return_method)
    except ValueError:
        method = None
    label = method.label if method else str(dossier.return_method)
    if dossier.return_address and method is ReturnMethod.POST:
        label += f" – địa chỉ nhận: {dossier.return_address}"
    return label


def applicant_lines(ctx: FormContext, st: Styles, with_contacts: bool = True) -> list[Flowable]:
    a = ctx.dossier.applicant
    out: list[Flowable] = [
        field_line("Ông/bà", a.full_name, st),
        field_line("Địa chỉ", str(a.address), st, bold_value=False),
    ]
    if with_contacts:
        out.append(
            para(
                f"Số điện thoại: {esc(a.phone) or '…………'}&nbsp;&nbsp;&nbsp; Email: {esc(a.email) or '…………'}",
                st.body,
            )
        )
    return out


def code_row(ctx: FormContext, width: float, st: Styles, with_qr: bool = True) -> Table:
    """'Mã hồ sơ: …' with its Code 128 on the left and the look-up QR on the right."""
    code = ctx.dossier.code
    qr_size = 21 * mm
    left: list[Flowable] = [
        para(f"Mã hồ sơ: <b>{esc(code)}</b>", st.body),
        Spacer(1, 1.5 * mm),
        Code128Flowable(code),
    ]
    cells: list[object] = [left]
    widths = [width]
    if with_qr and ctx.lookup_url:  # no QR before the station knows its look-up address
        cells.append([QRFlowable(ctx.lookup_url, size=qr_size), para("Tra cứu hồ sơ", st.small_i)])
        widths = [width - qr_size - 4 * mm, qr_size + 4 * mm]
    table = Table([cells], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, 0), "LEFT"),
                ("ALIGN", (-1, 0), (-1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


def procedure_time_label(ctx: FormContext) -> str:
    return ctx.procedure.time.label if ctx.procedure else ""


def with_copies(ctx: FormContext, make_copy: Callable[[str], list[Flowable]]) -> list[Flowable]:
    """One story per copy, each starting on a new page; one copy has no Liên line."""
    if ctx.copies < 2:
        return make_copy("")
    story: list[Flowable] = []
    for i, label in enumerate(COPY_LABELS[: ctx.copies]):
        if i:
            story.append(PageBreak())
        story.extend(make_copy(label))
    return story
