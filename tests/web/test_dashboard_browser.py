"""The province's dashboard in Debian's Chromium driven by Playwright (issue 14, part 4).

Log in, see the scorecard, drill down, download the Excel and read it back, be
refused where the role does not allow. Screenshots at 1366×768 and 390×844 go to
``tmp_path`` and, with ``MOTCUA_SCREENSHOTS=docs``, to the docs folder (that is how
``docs/dashboard-*.png`` are made).
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from central import reporting
from desk_app.reports.periodic import COLUMNS, row_values
from desk_app.reports.periods import month_of
from tests.web.conftest import APPLICANT, BASE, OTHER_UNIT, PASSWORD, UNIT, Office

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    # Chromium's own timers under libfaketime's LD_PRELOAD never fire (page loads time
    # out); the pages' dates come from the server's fixed clock, not the machine's.
    pytest.mark.no_faketime,
]


def shoot(page: Any, tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    page.screenshot(path=str(out), full_page=True)
    target = os.environ.get("MOTCUA_SCREENSHOTS")
    if target:
        shutil.copy(out, Path(target) / name)
    return out


def sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}{BASE}")
    assert page.url.endswith(f"{BASE}/dang-nhap")  # not signed in: the login page
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_log_in_scorecard_drill_down_excel_and_refusals(office: Office, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = office.server.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            desk = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
            page = desk.new_page()
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(f"{url}{BASE}/dang-nhap")
            shoot(page, tmp_path, "dashboard-login-1366.png")
            sign_in(page, url, "tinh")
            assert page.locator("h1").inner_text() == "Bảng điểm các đơn vị — Tháng 11/2026"
            row = page.locator("tbody tr", has_text="Vĩnh Lương")
            assert "cập nhật lúc" in row.inner_text()
            assert "50,0%" in row.inner_text()  # 2.1: one late, one on time
            assert "dữ liệu cũ" in page.locator("tbody tr", has_text="Vĩnh Thái").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            shoot(page, tmp_path, "dashboard-1366.png")

            # drill down: the unit's overdue dossiers, then the list behind "late"
            row.locator("td[data-label='Quá hạn hiện tại'] a").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Hồ sơ đang quá hạn"
            assert office.overdue_code in page.content() and APPLICANT in page.content()
            assert APPLICANT not in page.url
            shoot(page, tmp_path, "dashboard-overdue-1366.png")
            page.go_back()
            page.locator("tbody tr", has_text="Vĩnh Lương").locator(
                "td[data-label='Giải quyết quá hạn'] a"
            ).click()
            page.wait_for_load_state()
            assert office.late_code in page.content() and office.on_time_code not in page.content()

            # the penalty preview: what would cost points, and what avoids it
            page.goto(f"{url}{BASE}")
            page.locator("tbody tr", has_text="Vĩnh Lương").get_by_role(
                "link", name="Cảnh báo mất điểm"
            ).click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Cảnh báo trước khi mất điểm"
            assert office.overdue_code in page.content() and "Mẫu 04" in page.content()
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            shoot(page, tmp_path, "dashboard-warnings-1366.png")

            # the unit's periodic report, and its Excel read back cell by cell
            page.goto(f"{url}{BASE}")
            page.get_by_role("link", name="Trung tâm Phục vụ hành chính công xã Vĩnh Lương").click()
            page.wait_for_load_state()
            assert "Tình hình, kết quả giải quyết TTHC" in page.locator("h1").inner_text()
            shoot(page, tmp_path, "dashboard-report-1366.png")
            with page.expect_download() as info:
                page.get_by_role("link", name="Tải Excel (.xlsx)").click()
            download = info.value
            assert download.suggested_filename == f"bao-cao-{UNIT}-2026-11.xlsx"
            data = Path(download.path()).read_bytes()

            # an admin task: a one-time enrolment code with its QR, no script needed
            page.get_by_role("link", name="Thiết bị").click()
            page.wait_for_load_state()
            page.get_by_label("Đơn vị").select_option(OTHER_UNIT)
            page.get_by_role("button", name="Tạo mã đăng ký").click()
            page.wait_for_load_state()
            code = page.locator("#enrol-code").inner_text()
            assert len(code) == 14 and page.locator(".qr svg").is_visible()
            shoot(page, tmp_path, "dashboard-enrol-1366.png")
            assert errors == []
        finally:
            browser.close()

        expected = reporting.periodic(
            office.server.store, month_of(2026, 11), office.server.store.clock(), UNIT
        )
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb.worksheets[0]
        [field_row] = [r for r in ws.iter_rows() if r[1].value == "Hộ tịch"]
        numbers = [c.value for c in field_row[2 : 2 + len(COLUMNS)]]
        want = row_values(dict(expected.rows)["Hộ tịch"])
        for (key, _), got, value in zip(COLUMNS, numbers, want, strict=True):
            if isinstance(got, str) and got.startswith("="):
                continue  # totals are formulas
            assert got == value, key
        assert dict(zip([k for k, _ in COLUMNS], want, strict=True))["late"] == 1
        wb.close()

        # phone: a viewer sees figures, no names, and no admin page
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            page = phone.new_page()
            sign_in(page, url, "xem")
            assert page.locator("h1").inner_text().startswith("Bảng điểm các đơn vị")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shoot(page, tmp_path, "dashboard-phone.png")
            page.locator("tbody tr", has_text="Vĩnh Lương").locator(
                "td[data-label='Quá hạn hiện tại'] a"
            ).click()
            page.wait_for_load_state()
            assert office.overdue_code in page.content()
            assert APPLICANT not in page.content()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shoot(page, tmp_path, "dashboard-overdue-phone.png")
            page.get_by_role("link", name="Báo cáo").click()
            page.wait_for_load_state()
            assert "Toàn tỉnh" in page.content()
            shoot(page, tmp_path, "dashboard-report-phone.png")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            response = page.goto(f"{url}{BASE}/quan-ly/don-vi")
            assert response is not None and response.status == 403
            assert page.locator("h1").inner_text() == "Không có quyền truy cập"
            shoot(page, tmp_path, "dashboard-refused-phone.png")

            # a unit manager on a phone: the own unit's devices, revocable
            manager = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            page = manager.new_page()
            sign_in(page, url, "vinhluong")
            page.get_by_role("link", name="Thiết bị").click()
            page.wait_for_load_state()
            assert page.get_by_role("button", name="Thu hồi").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            shoot(page, tmp_path, "dashboard-devices-phone.png")
        finally:
            browser.close()
