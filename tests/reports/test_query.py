"""The station's report reader: its pruned read gives the same numbers as reading everything."""

from __future__ import annotations

import datetime as dt

from desk_app.reports.facts import period_facts
from desk_app.reports.indicators import ReportFilter, tally
from desk_app.reports.periods import custom, day_of, month_of, quarter_of, week_of, year_of
from desk_app.reports.query import ReportService
from tests.reports.conftest import all_records

PERIODS = [
    month_of(2026, 10),
    month_of(2026, 11),
    quarter_of(2026, 3),
    quarter_of(2026, 4),
    week_of(dt.date(2026, 11, 16)),
    day_of(dt.date(2026, 11, 25)),
    year_of(2026),
    custom(dt.date(2026, 9, 15), dt.date(2026, 10, 14)),
]


FILTERS = [
    ReportFilter(),
    ReportFilter(field="Hộ tịch"),
    ReportFilter(channel="buu_chinh"),
    ReportFilter(officer="canbo1"),
    ReportFilter(unit="000.21.31.H56", procedure_code="1.001193.000.00.00.H56"),
]


def test_pruned_read_equals_reading_every_dossier(history_app) -> None:  # type: ignore[no-untyped-def]
    service = ReportService(history_app.station)
    everything = all_records(history_app)
    now = history_app.station.now()
    for period in PERIODS:
        for flt in FILTERS:
            expected = tally(period_facts(everything, period.start, period.end, now), flt)
            got = tally(service.facts(period, flt), flt)
            assert got == expected, (period.label, flt)
    nov = tally(service.facts(month_of(2026, 11)))
    assert nov.received_new > 50 and nov.carried_over > 0 and nov.resolved > 0 and nov.refusals >= 1


def test_hand_made_dossiers_are_counted_by_the_rules(history_app) -> None:  # type: ignore[no-untyped-def]
    service = ReportService(history_app.station)
    today = day_of(dt.date(2026, 11, 25))
    online = tally(service.facts(today, ReportFilter(channel="truc_tuyen")))
    assert online.received_online == 1 and online.overdue == 1  # two supplement requests: overdue
    assert online.supplement_requests == 2
    summary = service.summary(today)
    assert summary.total.refusals >= 1 and summary.indicators[0].code == "2.1"


def test_penalty_preview_reads_the_dossier(history_app) -> None:  # type: ignore[no-untyped-def]
    from desk_app.services.queries import DossierFilter

    service = ReportService(history_app.station)
    row = history_app.queries.page(DossierFilter(search="Nguyễn Văn Dũng"), limit=2)[-1]
    codes = [w.code for w in service.preview(row.code)]
    assert "already_late" in codes  # the online dossier asked twice for a supplement


def test_queue_figures_come_from_the_queue_statistics(history_app) -> None:  # type: ignore[no-untyped-def]
    service = ReportService(history_app.station)
    report = service.periodic(day_of(dt.date(2026, 11, 25)))
    q = report.queue
    assert q is not None and (q["issued"], q["called"], q["served"], q["called_within"]) == (2, 2, 1, 1)
    assert q["avg_service_s"] == 360 and q["service_level"] == 0.5
    assert (
        report.queue_lines[1] == "Thời gian chờ trung bình: 17,5 phút; thời gian phục vụ trung bình: 6,0 phút"
    )
    assert report.queue_lines[2] == "Tỷ lệ được gọi trong 15 phút: 50,0%"
    empty = service.periodic(day_of(dt.date(2026, 11, 24)))
    assert empty.queue is None and empty.queue_lines == ["Xếp hàng, lấy số: chưa có dữ liệu"]


def test_dossiers_at_risk_now(history_app, clock) -> None:  # type: ignore[no-untyped-def]
    from desk_app.attachments.model import ROLE_RESULT
    from desk_app.domain.lifecycle import EventKind
    from tests.attachments.scans import a4_page
    from tests.helpers.fakes import birth_request

    service = ReportService(history_app.station)
    ready = history_app.intake.receive("canbo1", birth_request()).code
    history_app.workflow.act("canbo1", ready, EventKind.RESULT_READY, result="Giấy khai sinh")
    with_file = history_app.intake.receive("canbo1", birth_request()).code
    history_app.workflow.act("canbo1", with_file, EventKind.RESULT_READY, result="Giấy khai sinh")
    history_app.attachments.attach_file("canbo1", with_file, a4_page(1, dpi=60), role=ROLE_RESULT)
    risks = {r.code: [w.code for w in warnings] for r, warnings in service.at_risk()}
    assert "no_result_file" in risks[ready] and with_file not in risks
    assert any(codes == ["already_late"] for codes in risks.values())  # the online dossier
    # Same answers as the one-dossier preview (full events from the repository).
    for code, codes in list(risks.items())[:20]:
        assert [w.code for w in service.preview(code)] == codes, code
