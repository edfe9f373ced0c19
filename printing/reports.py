"""The periodic report and the 766 indicators as a PDF (A4 landscape, reportlab).

Renders ``desk_app.reports.periodic.PeriodicReport`` — the same object the
Excel writer renders — so both files always show the same numbers. Two charts
drawn with ``reportlab.graphics``: resolved dossiers per field split early /
on time / late, and the on-time share by month when the period spans months.

``register`` plugs the renderer into ``motcua report … --format pdf``: the
core (``desk_app``) may not import ``printing``, so the launcher lists this
module among its command modules and it injects itself.
"""

from __future__ import annotations

from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from desk_app.reports.indicators import Tally
from desk_app.reports.periodic import COLUMNS, GROUPS, TITLE, PeriodicReport, row_values
from printing.fonts import SANS, SERIF, SERIF_BOLD, nfc
from printing.layout import (
    A4_LANDSCAPE,
    QUOC_HIEU,
    TIEU_NGU,
    CentredRule,
    build_pdf,
    esc,
    fitted,
    para,
    styles,
)

MARGINS = (12 * mm, 10 * mm, 12 * mm, 10 * mm)
EARLY, ON_TIME, LATE = colors.HexColor("#2e7d32"), colors.HexColor("#1565c0"), colors.HexColor("#c62828")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _header(report: PeriodicReport, width: float) -> Table:
    st = styles(10.0)
    left_w = width * 0.45
    right_w = width - left_w
    left: list[Flowable] = []
    if report.parent_name:
        left.append(fitted(report.parent_name.upper(), st.head_left, left_w - 2))
    left.append(fitted(report.unit_name.upper(), st.head_left_b, left_w - 2))
    left.append(CentredRule(min(left_w * 0.4, 30 * mm)))
    right: list[Flowable] = [
        fitted(QUOC_HIEU, st.head_right_b, right_w - 2),
        para(esc(TIEU_NGU), st.head_right_b),
        CentredRule(40 * mm),
    ]
    table = Table([[left, right]], colWidths=[left_w, right_w])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _table(report: PeriodicReport, width: float) -> Table:
    st = styles(9.0)
    n = len(COLUMNS)
    head1: list[Any] = ["STT", "Lĩnh vực giải quyết"] + [""] * n
    head2: list[Any] = ["", ""] + [""] * n
    head3: list[Any] = ["", ""] + [""] * n
    spans = [("SPAN", (0, 0), (0, 2)), ("SPAN", (1, 0), (1, 2))]
    for group_title, first, last in GROUPS:
        c1, c2 = 2 + first, 2 + last
        head1[c1] = group_title
        head2[c1] = "Tổng số"
        head2[c1 + 1] = "Trong đó"
        for index in range(first + 1, last + 1):
            head3[2 + index] = COLUMNS[index][1]
        spans += [("SPAN", (c1, 0), (c2, 0)), ("SPAN", (c1, 1), (c1, 2)), ("SPAN", (c1 + 1, 1), (c2, 1))]
    drop = 2 + n - 1
    head1[drop] = COLUMNS[-1][1]
    spans.append(("SPAN", (drop, 0), (drop, 2)))
    numbers = [f"({i})" for i in range(1, n + 3)]
    heads = [[para(esc(c), st.cell_head) if c else "" for c in row] for row in (head1, head2, head3)]
    body: list[list[Any]] = []
    for index, (name, t) in enumerate(report.rows, start=1):
        body.append([str(index), para(esc(name), st.cell)] + [_number(v) for v in row_values(t)])
    body.append(["", para("<b>Tổng cộng</b>", st.cell)] + [_number(v) for v in row_values(report.total)])
    first_w = 11 * mm
    field_w = 50 * mm
    num_w = (width - first_w - field_w) / n
    table = Table([*heads, numbers, *body], colWidths=[first_w, field_w] + [num_w] * n, repeatRows=4)
    last = len(body) + 3
    table.setStyle(
        TableStyle(
            [
                *spans,
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONT", (0, 0), (-1, -1), SERIF, 8.5),
                ("FONT", (0, 3), (-1, 3), SERIF, 7.5),
                ("FONT", (0, last), (-1, last), SERIF_BOLD, 8.5),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (-1, 3), "CENTER"),
                ("ALIGN", (0, 4), (0, -1), "CENTER"),
                ("ALIGN", (2, 4), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 3), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return table


def _bar_chart(
    width: float, height: float, caption: str, labels: list[str], series: list[tuple[str, list[float], Any]]
) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(
        String(width / 2, height - 12, nfc(caption), fontName=SERIF_BOLD, fontSize=10, textAnchor="middle")
    )
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = width - 170, height - 70
    chart.data = [values for _, values, _ in series] or [[0]]
    chart.categoryAxis.categoryNames = [nfc(label)[:18] for label in labels] or [""]
    chart.categoryAxis.labels.fontName = SANS
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.valueAxis.labels.fontName = SANS
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for index, (_, _, color) in enumerate(series):
        chart.bars[index].fillColor = color
    if len(series) > 1:
        chart.categoryAxis.style = "stacked"
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 120, height - 40
    legend.fontName = SANS
    legend.fontSize = 8
    legend.colorNamePairs = [(color, nfc(name)) for name, _, color in series]
    drawing.add(legend)
    return drawing


def _charts(report: PeriodicReport, width: float) -> list[Flowable]:
    out: list[Flowable] = []
    half = width / 2 - 4
    rows = list(report.rows)
    by_field = _bar_chart(
        half,
        70 * mm,
        "Hồ sơ đã giải quyết theo lĩnh vực",
        [name for name, _ in rows],
        [
            ("Trước hạn", [t.early for _, t in rows], EARLY),
            ("Đúng hạn", [t.on_time for _, t in rows], ON_TIME),
            ("Quá hạn", [t.late for _, t in rows], LATE),
        ],
    )
    second: Flowable | str = ""
    if report.by_month:
        months: list[tuple[str, Tally]] = list(report.by_month)
        second = _bar_chart(
            half,
            70 * mm,
            "Tỷ lệ giải quyết đúng hạn theo tháng (%)",
            [label.replace("Tháng ", "") for label, _ in months],
            [("Đúng hạn (%)", [round(t.on_time_rate or 0.0, 1) for _, t in months], ON_TIME)],
        )
    else:
        overdue_rows = [(name, t) for name, t in rows if t.overdue]
        second = _bar_chart(
            half,
            70 * mm,
            "Hồ sơ đang giải quyết quá hạn theo lĩnh vực",
            [name for name, _ in overdue_rows],
            [("Đang quá hạn", [t.overdue for _, t in overdue_rows], LATE)],
        )
    table = Table([[by_field, second]], colWidths=[width / 2, width / 2])
    out.append(KeepTogether([Spacer(1, 4 * mm), table]))
    return out


def _indicators(report: PeriodicReport, width: float) -> Flowable:
    st = styles(9.0)
    rows: list[list[Any]] = [
        [
            para(f"<b>{h}</b>", st.cell_head)
            for h in ("Mã", "Chỉ số (Quyết định 766/QĐ-TTg)", "Giá trị", "Cách tính")
        ]
    ]
    for ind in report.indicators:
        rows.append([ind.code, para(esc(ind.name), st.cell), ind.display, para(esc(ind.formula), st.cell)])
    table = Table(rows, colWidths=[12 * mm, 90 * mm, 28 * mm, width - 130 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONT", (0, 0), (-1, -1), SERIF, 8.5),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (2, 1), (2, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    return KeepTogether([Spacer(1, 4 * mm), table])


def render_periodic_pdf(report: PeriodicReport) -> bytes:
    """PDF bytes of the periodic report: header, table by field, charts, indicators, signatures."""
    width = A4_LANDSCAPE[0] - MARGINS[1] - MARGINS[3]
    st = styles(10.0)
    story: list[Flowable] = [
        _header(report, width),
        Spacer(1, 4 * mm),
        para(f"<b>{esc(TITLE)}</b>", st.title),
    ]
    story.append(para(esc(report.period_line), st.center_i))
    if report.filter_line:
        story.append(para(esc(report.filter_line), st.center_i))
    story += [Spacer(1, 3 * mm), _table(report, width)]
    story += _charts(report, width)
    if report.indicators:
        story.append(_indicators(report, width))
    when = report.generated_at
    signatures = Table(
        [
            ["", para(esc(f"Ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"), st.center_i)],
            [para("<b>NGƯỜI LẬP BIỂU</b>", st.center), para("<b>THỦ TRƯỞNG ĐƠN VỊ</b>", st.center)],
        ],
        colWidths=[width / 2, width / 2],
    )
    story += [Spacer(1, 5 * mm), KeepTogether(signatures)]
    return build_pdf(
        story,
        pagesize=A4_LANDSCAPE,
        title_meta=f"{TITLE} — {report.period.label}",
        margins=MARGINS,
        page_numbers=True,
    )


def register(sub: Any) -> None:  # noqa: ARG001 (command-module interface; adds no command)
    """Give ``motcua report … --format pdf`` its renderer."""
    from desk_app.reports.cli import set_pdf_renderer

    set_pdf_renderer(render_periodic_pdf)
