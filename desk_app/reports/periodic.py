"""The periodic report (báo cáo tình hình, kết quả giải quyết TTHC) as plain data.

One row per field (lĩnh vực) with the columns provinces publish from form
06a/VPCP/KSTT of Thông tư 01/2020/TT-VPCP (the form's own text was not found;
see ``indicators`` for the sources), plus one column the form lacks,
"rút hồ sơ, dừng giải quyết", so that every row adds up:
received (total = online + direct and post + carried over) = resolved
(early + on time + late) + in progress (within time + overdue) + withdrawn or
stopped. The Excel writer (``excel``) and the PDF (``printing.reports``) both
render this object, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desk_app.reports.indicators import Indicator, ReportFilter, Tally
from desk_app.reports.periods import Period

# (key, header) of the numeric columns, in order; totals are formulas in Excel.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("received_total", "Tổng số"),
    ("received_online", "Trực tuyến"),
    ("received_direct_post", "Trực tiếp và dịch vụ bưu chính"),
    ("carried_over", "Từ kỳ trước chuyển qua"),
    ("resolved", "Tổng số"),
    ("early", "Trước hạn"),
    ("on_time", "Đúng hạn"),
    ("late", "Quá hạn"),
    ("in_progress", "Tổng số"),
    ("in_time", "Trong hạn"),
    ("overdue", "Quá hạn"),
    ("dropped", "Rút hồ sơ, dừng giải quyết"),
)

# Group headers: (title, first column index, last column index) over COLUMNS.
GROUPS: tuple[tuple[str, int, int], ...] = (
    ("Số hồ sơ nhận giải quyết", 0, 3),
    ("Số hồ sơ đã giải quyết", 4, 7),
    ("Số hồ sơ đang giải quyết", 8, 10),
)

TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"


@dataclass(frozen=True)
class PeriodicReport:
    unit_name: str
    parent_name: str
    period: Period
    as_of: dt.datetime
    generated_at: dt.datetime
    rows: Sequence[tuple[str, Tally]]  # (field, numbers), sorted by field
    total: Tally
    indicators: Sequence[Indicator] = ()
    by_month: Sequence[tuple[str, Tally]] = ()
    filter: ReportFilter = ReportFilter()
    queue: Mapping[str, Any] | None = None  # queue figures of the period, when the station runs a queue

    @property
    def queue_lines(self) -> list[str]:
        """The queue figures in Vietnamese, or "chưa có dữ liệu"."""
        q = self.queue
        if not q:
            return ["Xếp hàng, lấy số: chưa có dữ liệu"]

        def minutes(seconds: object) -> str:
            return (
                "—"
                if not isinstance(seconds, int | float)
                else f"{seconds / 60:.1f}".replace(".", ",") + " phút"
            )

        level = q.get("service_level")
        level_text = "—" if level is None else f"{100 * level:.1f}".replace(".", ",") + "%"
        return [
            f"Số lượt lấy số: {q['issued']}; được gọi: {q['called']}; đã phục vụ: {q['served']}; "
            f"vắng mặt: {q['no_show']}",
            f"Thời gian chờ trung bình: {minutes(q.get('avg_wait_s'))}; "
            f"thời gian phục vụ trung bình: {minutes(q.get('avg_service_s'))}",
            f"Tỷ lệ được gọi trong {q['threshold_min']} phút: {level_text}",
        ]

    @property
    def period_line(self) -> str:
        at = self.as_of
        if at >= self.period.end:
            return f"Kỳ báo cáo: {self.period.label} (số liệu tính đến hết ngày {self.period.last:%d/%m/%Y})"
        return f"Kỳ báo cáo: {self.period.label} (số liệu tính đến {at:%H:%M} ngày {at:%d/%m/%Y})"

    @property
    def filter_line(self) -> str:
        f = self.filter
        parts = [
            f"lĩnh vực {f.field}" if f.field else "",
            f"thủ tục {f.procedure_code}" if f.procedure_code else "",
            f"cán bộ {f.officer}" if f.officer else "",
            f"kênh {f.channel}" if f.channel else "",
            f"đơn vị giải quyết {f.unit}" if f.unit else "",
        ]
        chosen = [p for p in parts if p]
        return "Lọc theo: " + "; ".join(chosen) if chosen else ""


def row_values(t: Tally) -> list[int]:
    data = t.as_dict()
    return [int(data[key]) for key, _ in COLUMNS]
