"""``motcua report summary|periodic|indicators|preview``.

PDF export: ``desk_app`` may not import ``printing``, so the PDF renderer is
injected: ``printing.reports`` (listed with the command modules) calls
``set_pdf_renderer`` when the CLI is assembled. Without it ``--format pdf``
says so in Vietnamese instead of failing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desk_app.config import default_db_path
from desk_app.domain.errors import DomainError, ValidationError
from desk_app.domain.model import Channel
from desk_app.reports.indicators import CELLS, ReportFilter, Tally
from desk_app.reports.periodic import COLUMNS, PeriodicReport, row_values
from desk_app.reports.periods import Period, custom, month_of, parse_period

PdfRenderer = Callable[[PeriodicReport], bytes]
_pdf_renderer: list[PdfRenderer] = []


def set_pdf_renderer(renderer: PdfRenderer) -> None:
    """Install the function that turns a periodic report into PDF bytes (from ``printing``)."""
    _pdf_renderer[:] = [renderer]


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValidationError("date", f"Ngày “{text}” không hợp lệ: dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY.")


def period_from_args(args: argparse.Namespace, today: dt.date) -> Period:
    if args.period:
        try:
            return parse_period(args.period)
        except ValueError as exc:
            raise ValidationError("period", str(exc)) from None
    if args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise ValidationError("date", "Cần cả --from và --to (YYYY-MM-DD).")
        first, last = _date(args.date_from), _date(args.date_to)
        if last < first:
            raise ValidationError("date", "Ngày kết thúc (--to) phải sau ngày bắt đầu (--from).")
        return custom(first, last)
    return month_of(today.year, today.month)


def filter_from_args(args: argparse.Namespace) -> ReportFilter:
    return ReportFilter(
        field=args.field or "",
        procedure_code=args.procedure or "",
        officer=args.officer or "",
        channel=args.channel or "",
        unit=args.unit or "",
    )


def _tally_lines(t: Tally) -> list[str]:
    data = t.as_dict()
    return [f"  {label:<40} {_number(data[key]):>8}" for key, (label, _) in CELLS.items()]


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # Vietnamese thousands separator


def _table(kind: str, report: PeriodicReport) -> str:
    lines = [report.unit_name, report.period_line]
    if report.filter_line:
        lines.append(report.filter_line)
    if kind in ("summary", "periodic"):
        if kind == "summary":
            lines.append("Tổng hợp:")
            lines.extend(_tally_lines(report.total))
        else:
            heads = ["Lĩnh vực"] + [h for _, h in COLUMNS]
            short = [h if len(h) <= 10 else h[:9] + "…" for h in heads[1:]]
            lines.append(f"{heads[0]:<28}" + "".join(f"{h:>11}" for h in short))
            for name, t in [*report.rows, ("Tổng cộng", report.total)]:
                lines.append(f"{name[:27]:<28}" + "".join(f"{v:>11}" for v in row_values(t)))
    if kind in ("summary", "indicators"):
        lines.append("Chỉ số theo Quyết định 766/QĐ-TTg:")
        for ind in report.indicators:
            lines.append(f"  {ind.code:<5} {ind.name:<72} {ind.display:>16}")
    if kind == "summary":
        lines.append("Xếp hàng, lấy số:")
        lines.extend(f"  {line}" for line in report.queue_lines)
    if kind == "summary" and report.by_month:
        lines.append("Tỷ lệ giải quyết đúng hạn theo tháng:")
        for label, t in report.by_month:
            rate = "—" if t.on_time_rate is None else f"{t.on_time_rate:.1f}%".replace(".", ",")
            lines.append(f"  {label:<16} {rate:>8}  (đã giải quyết {t.resolved}, đang quá hạn {t.overdue})")
    return "\n".join(lines)


def _json(kind: str, report: PeriodicReport) -> str:
    out: dict[str, Any] = {
        "unit": report.unit_name,
        "period": {
            "label": report.period.label,
            "from": str(report.period.first),
            "to": str(report.period.last),
        },
        "as_of": report.as_of.isoformat(),
    }
    if kind in ("summary", "periodic"):
        out["total"] = report.total.as_dict()
        out["by_field"] = {name: t.as_dict() for name, t in report.rows}
    if kind in ("summary", "indicators"):
        out["indicators"] = [i.as_dict() for i in report.indicators]
    if kind == "summary":
        out["queue"] = dict(report.queue) if report.queue else None
        out["by_month"] = [{"month": label, **t.as_dict()} for label, t in report.by_month]
    return json.dumps(out, ensure_ascii=False, indent=2)


def _write(path: str | None, data: bytes) -> None:
    if not path:
        raise ValidationError("out", "Xuất tệp cần --out TỆP.")
    out = Path(path)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise DomainError(f"Không ghi được tệp “{out}”: {exc.strerror}.") from None
    print(f"Đã ghi {out} ({_number(len(data))} byte).")


def cmd_report(args: argparse.Namespace) -> int:
    from desk_app.bootstrap import open_station
    from desk_app.reports.query import ReportService

    app = open_station(args.db)
    try:
        service = ReportService(app.station)
        period = period_from_args(args, app.station.now().date())
        report = service.periodic(period, filter_from_args(args))
    finally:
        app.close()
    kind = args.report_command
    if args.format == "table":
        print(_table(kind, report))
    elif args.format == "json":
        print(_json(kind, report))
    elif args.format == "xlsx":
        from desk_app.reports.excel import periodic_xlsx

        _write(args.out, periodic_xlsx(report))
    else:
        if not _pdf_renderer:
            raise DomainError(
                "Bản cài đặt này không có phần in PDF (gói printing); hãy xuất Excel (--format xlsx)."
            )
        _write(args.out, _pdf_renderer[0](report))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from desk_app.bootstrap import open_station
    from desk_app.reports.query import ReportService

    app = open_station(args.db)
    try:
        service = ReportService(app.station)
        if args.dossier:
            found = [(args.dossier.strip(), service.preview(args.dossier.strip()))]
        else:
            found = [(record.code, warnings) for record, warnings in service.at_risk()]
    finally:
        app.close()
    if not any(warnings for _, warnings in found):
        print(
            "Không có hồ sơ nào có nguy cơ bị trừ điểm."
            if not args.dossier
            else "Hồ sơ chưa có nguy cơ bị trừ điểm."
        )
    for code, warnings in found:
        for w in warnings:
            prefix = "" if args.dossier else f"{code} "
            print(f"{prefix}[{w.indicator}] {w.message}\n      → {w.advice}")
    return 0


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})"
    )


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="thống kê, báo cáo định kỳ, chỉ số 766")
    rsub = p.add_subparsers(dest="report_command", metavar="LOẠI")
    for name, help_text in (
        ("summary", "số liệu tổng hợp của kỳ, chỉ số 766 và tỷ lệ đúng hạn theo tháng"),
        ("periodic", "báo cáo tình hình, kết quả giải quyết TTHC theo lĩnh vực"),
        ("indicators", "các chỉ số theo Quyết định 766/QĐ-TTg"),
    ):
        q = rsub.add_parser(name, help=help_text)
        q.add_argument(
            "--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})"
        )
        q.add_argument("--period", help="kỳ: 2026-11-25, 2026-W48, 2026-11, 2026-Q4, 2026-H2, 2026")
        q.add_argument("--from", dest="date_from", help="từ ngày (YYYY-MM-DD)")
        q.add_argument("--to", dest="date_to", help="đến ngày (YYYY-MM-DD)")
        q.add_argument("--field", help="lĩnh vực, ví dụ “Hộ tịch”")
        q.add_argument("--procedure", help="mã thủ tục")
        q.add_argument("--officer", help="tên đăng nhập của cán bộ tiếp nhận")
        q.add_argument("--channel", choices=[c.value for c in Channel], help="kênh tiếp nhận")
        q.add_argument("--unit", help="mã đơn vị giải quyết (hồ sơ phi địa giới)")
        q.add_argument("--format", choices=("table", "json", "xlsx", "pdf"), default="table")
        q.add_argument("--out", help="tệp kết quả cho xlsx / pdf")
        q.set_defaults(func=cmd_report)
    q = rsub.add_parser("preview", help="cảnh báo trước khi hồ sơ bị trừ điểm (một hồ sơ hoặc tất cả)")
    _add_db(q)
    q.add_argument("dossier", nargs="?", default="", help="mã hồ sơ (bỏ trống: mọi hồ sơ đang có nguy cơ)")
    q.set_defaults(func=cmd_preview)
    p.set_defaults(func=lambda _args: (p.print_help(sys.stderr), 2)[1])
