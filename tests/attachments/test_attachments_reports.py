"""The reports count what the real AttachmentService records (766: 4.2, signed e-results, reuse)."""

from __future__ import annotations

import datetime as dt
import json

from desk_app.attachments.model import ROLE_RESULT
from desk_app.attachments.pdf import PageImage, images_to_pdf
from desk_app.domain.lifecycle import EventKind
from desk_app.reports.periods import day_of
from desk_app.reports.query import ReportService
from tests.attachments.scans import a4_page
from tests.helpers.fakes import birth_request

TODAY = day_of(dt.date(2026, 11, 25))  # the clock fixture's day


def test_report_counts_digitised_reused_and_signed_results(app, clock, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    files, workflow = app.attachments, app.workflow
    # 1: components and result scanned, then a wrong component scan detached again.
    one = app.intake.receive("canbo1", birth_request()).code
    files.attach_file("canbo1", one, a4_page(1, dpi=60), component_key="giay_to_tuy_than")
    wrong = files.attach_file("canbo1", one, a4_page(2, dpi=60), component_key="to_khai")
    files.detach("canbo1", one, wrong.attachment_id, reason="Quét nhầm")
    workflow.act("canbo1", one, EventKind.RESULT_READY, result="Giấy khai sinh")
    files.attach_file("canbo1", one, a4_page(3, dpi=60), role=ROLE_RESULT)
    clock.advance(minutes=30)
    # 2: the same applicant's identity paper reused, the result issued as a signed e-result.
    two = app.intake.receive("canbo1", birth_request()).code
    [offer] = files.reusable(two)
    files.reuse("canbo1", two, offer, component_key="giay_to_tuy_than")
    workflow.act("canbo1", two, EventKind.RESULT_READY, result="Giấy khai sinh")
    signed_pdf = images_to_pdf([PageImage(a4_page(4, dpi=60))])
    files.record_signed_result(
        "canbo1", two, signed_pdf, result_code="12/GKS", signer={"subject": "UBND xã"}, method="pkcs12"
    )
    # 3: resolved without any file; 4: in progress with a component file (not judged for 4.2).
    three = app.intake.receive("canbo1", birth_request()).code
    workflow.act("canbo1", three, EventKind.RESULT_READY, result="Giấy khai sinh")
    four = app.intake.receive("canbo1", birth_request()).code
    files.attach_file("canbo1", four, a4_page(5, dpi=60), component_key="to_khai")
    clock.advance(minutes=30)

    service = ReportService(app.station)
    summary = service.summary(TODAY)
    t = summary.total
    assert (t.resolved, t.digitised, t.results_digitised, t.results_signed) == (3, 2, 2, 1)
    assert (t.components_digitised, t.components_reused) == (3, 1)
    ind = {i.code: i for i in summary.indicators}
    assert (ind["4.2"].numerator, ind["4.2"].denominator, ind["4.2"].display) == (2, 3, "66,67%")
    assert (ind["4.2.1"].numerator, ind["4.2.1"].denominator) == (1, 3)
    assert (ind["4.2.2"].numerator, ind["4.2.2"].denominator) == (1, 3)
    # The warning follows the real files: only the result without a file is flagged.
    risks = {r.code: [w.code for w in warnings] for r, warnings in service.at_risk()}
    assert "no_result_file" in risks[three]
    assert all("no_result_file" not in risks.get(code, []) for code in (one, two, four))
    assert [w.code for w in service.preview(two)] == []

    # The CLI shows the same rows.
    import desk_app.bootstrap as bootstrap
    from desk_app.cli import main

    db = str(app.db.path)
    real_open = bootstrap.open_station
    monkeypatch.setattr(bootstrap, "open_station", lambda path: real_open(path, clock=clock))
    capsys.readouterr()
    assert main(["report", "indicators", "--db", db, "--period", "2026-11-25", "--format", "json"]) == 0
    rows = {i["code"]: i for i in json.loads(capsys.readouterr().out)["indicators"]}
    assert rows["4.2"]["display"] == "66,67%" and rows["4.2.1"]["display"] == "33,33%"
    assert main(["report", "indicators", "--db", db, "--period", "2026-11-25"]) == 0
    text = capsys.readouterr().out
    assert "Tỷ lệ kết quả điện tử có ký số" in text and "tái sử dụng" in text
