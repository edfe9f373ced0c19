"""Scan → page → rate → figures, in Debian's Chromium driven by Playwright (issue 15).

Screenshots go to ``tmp_path``; with ``MOTCUA_SCREENSHOTS=docs/screenshots`` they are
also written there (that is how the README's pictures are made).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from desk_app.domain.lifecycle import EventKind
from desk_app.reports.periods import day_of
from desk_app.reports.query import ReportService
from printing.printouts import render_dossier_form
from tests.helpers.fakes import FakeClock, birth_request
from tests.printing.conftest import page_images
from tests.sync.conftest import enrol_station, sync

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    # Chromium's own timers under libfaketime's LD_PRELOAD never fire (page loads time
    # out); the page's dates come from the server's fixed clock, not the machine's.
    pytest.mark.no_faketime,
]


def shoot(page: Any, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    page.screenshot(path=str(out), full_page=True)
    target = os.environ.get("MOTCUA_SCREENSHOTS")
    if target:
        shutil.copy(out, Path(target) / name)
    return out


def test_scan_page_rate_and_the_rating_reaches_the_units_figures(
    server: Any, station_factory: Any, tmp_path: Path
) -> None:
    if "postgres" in server.db_url:
        pytest.skip("one browser run is enough (SQLite server)")
    from playwright.sync_api import sync_playwright

    server.app.state.public.clock = FakeClock(dt.datetime(2026, 11, 25, 10, 0))
    app = station_factory("a")
    enrol_station(app, server)
    dossier = app.intake.receive("canbo1", birth_request())
    app.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    app.workflow.act("canbo1", dossier.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    app.workflow.act("canbo1", dossier.code, EventKind.RETURNED, method="tai_quay")
    sync(app, server.url)

    # "scan": the QR decoded from the printed receipt
    image = page_images(render_dossier_form(app, "receipt", dossier.code, copies=1), tmp_path, dpi=200)[0]
    [url] = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert url.startswith(f"{server.url}/tra-cuu/{dossier.code}?k=")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            page = phone.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            response = page.goto(url)
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == f"Hồ sơ {dossier.code}"
            assert "Nguyễn V. D." in page.content()
            # no horizontal scrolling on a 390 px phone
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shoot(page, tmp_path, "tra-cuu-390.png")
            page.get_by_label("Hài lòng", exact=True).check()
            page.get_by_label("Phải chờ đợi lâu").check()
            page.fill("#comment", "Nhanh, đúng hẹn")
            page.get_by_role("button", name="Gửi đánh giá").click()
            page.wait_for_load_state()
            assert "Cảm ơn ông/bà đã đánh giá" in page.content()
            assert errors == []  # the CSP blocks nothing the page needs
            shoot(page, tmp_path, "tra-cuu-rated-390.png")

            desktop = browser.new_context(viewport={"width": 1366, "height": 768})
            big = desktop.new_page()
            big.goto(url)
            assert "Ông/bà đã đánh giá hồ sơ này" in big.content()
            shoot(big, tmp_path, "tra-cuu-1366.png")
            big.goto(f"{server.url}/tra-cuu")
            shoot(big, tmp_path, "tra-cuu-form-1366.png")
            # printable: the print stylesheet hides the form and keeps the facts
            big.emulate_media(media="print")
            big.goto(url)
            assert big.locator("form").count() == 0 or not big.locator("form").first.is_visible()
        finally:
            browser.close()

    sync(app, server.url)
    [rating] = app.ratings.of_dossier(dossier.code)
    assert rating.payload == {
        "level": "hai_long",
        "reasons": ["Phải chờ đợi lâu"],
        "comment": "Nhanh, đúng hẹn",
        "source": "web",
    }
    summary = ReportService(app.station).summary(day_of(dt.date(2026, 11, 25)))
    assert next(i for i in summary.indicators if i.code == "5.4").display == "100,00%"
