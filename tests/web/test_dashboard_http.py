"""The dashboard over real HTTP: login, lock-out, CSRF, sessions, roles, personal data, audit, admin."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from central import service as svc
from central.public.router import RateLimiter
from central.web import accounts
from tests.helpers.fakes import sample_procedures
from tests.web.conftest import (
    APPLICANT,
    BASE,
    OTHER_UNIT,
    PASSWORD,
    UNIT,
    Office,
    add_staff,
    client,
    csrf_of,
    login,
)

FORBIDDEN_HEADING = "Không có quyền truy cập"


def audit_actions(store: Any) -> list[tuple[str, str, str, bool]]:
    rows = accounts.audit_rows(store)
    return [(r["username"], r["action"], r["target"], bool(r["ok"])) for r in rows][::-1]


def bare(live: Any) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=30, follow_redirects=False)


# ---------------------------------------------------------------- login, logout, session cookie
def test_login_sets_a_strict_http_only_session_and_logout_ends_it(staffed: Any) -> None:
    store = staffed.store
    with bare(staffed) as http:
        assert http.get(BASE).headers["location"] == f"{BASE}/dang-nhap"  # not signed in
        form = http.get(f"{BASE}/dang-nhap")
        assert form.status_code == 200 and "<script" not in form.text
        assert "default-src 'none'" in form.headers["content-security-policy"]
        r = http.post(
            f"{BASE}/dang-nhap", data={"username": "TINH", "password": PASSWORD, "csrf": csrf_of(form.text)}
        )
        assert r.status_code == 303 and r.headers["location"] == BASE
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("qt_phien="))
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=strict" in flags and f"path={BASE}" in flags
        assert "secure" not in flags  # plain http on 127.0.0.1; https turns it on
        token = cookie.split(";")[0].split("=", 1)[1]
        with store.read() as conn:
            stored = conn.execute(select(accounts.staff_sessions.c.id_hash)).scalars().all()
        assert stored == [accounts.sha256(token)]  # only the hash is kept
        page = http.get(BASE)
        assert page.status_code == 200 and "Lê Thị Tỉnh" in page.text
        out = http.post(f"{BASE}/dang-xuat", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
        http.cookies.set("qt_phien", token, path=BASE)  # a stolen copy of the cookie is dead too
        assert http.get(BASE).headers["location"] == f"{BASE}/dang-nhap"
    actions = [(who, what) for who, what, _t, _ok in audit_actions(store)]
    assert ("tinh", "login") in actions and ("tinh", "logout") in actions


def test_secure_cookie_when_forced_for_a_tls_proxy(staffed: Any) -> None:
    staffed.app.state.dashboard.force_secure = True
    with bare(staffed) as http:
        form = http.get(f"{BASE}/dang-nhap")
        login_cookie = next(h for h in form.headers.get_list("set-cookie") if h.startswith("qt_csrf="))
        assert "secure" in login_cookie.lower()
        # a Secure cookie is not sent back over http: hand it over as a TLS proxy's client would
        http.cookies.set("qt_csrf", login_cookie.split(";")[0].split("=", 1)[1], path=BASE)
        r = http.post(
            f"{BASE}/dang-nhap", data={"username": "tinh", "password": PASSWORD, "csrf": csrf_of(form.text)}
        )
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("qt_phien="))
    assert "secure" in cookie.lower()


def test_secure_cookie_behind_the_trusted_tls_proxy(staffed: Any) -> None:
    import ipaddress

    staffed.app.state.central.trusted_proxy = ipaddress.ip_address("127.0.0.1")
    with bare(staffed) as http:
        plain = http.get(f"{BASE}/dang-nhap").headers["set-cookie"]
        tls = http.get(f"{BASE}/dang-nhap", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert "secure" not in plain.lower() and "secure" in tls.lower()
    staffed.app.state.central.trusted_proxy = ipaddress.ip_address("10.0.0.1")
    with bare(staffed) as http:  # the header from anyone but the proxy is ignored
        tls = http.get(f"{BASE}/dang-nhap", headers={"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert "secure" not in tls.lower()


def test_production_password_hashes_are_argon2id(staffed: Any) -> None:
    from argon2 import PasswordHasher

    cheap = accounts.use_hasher(PasswordHasher())
    try:
        accounts.add_staff(staffed.store, "moi", "", PASSWORD, accounts.VIEWER, now=staffed.store.clock())
    finally:
        accounts.use_hasher(cheap)
    with staffed.store.read() as conn:
        stored = conn.execute(
            select(accounts.staff_users.c.password_hash).where(accounts.staff_users.c.username == "moi")
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and PASSWORD not in stored


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(staffed: Any) -> None:
    live = staffed
    with client(live) as http:
        for _ in range(5):
            r = login(http, "tinh", "sai-mat-khau-roi")
            assert r.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in r.text
        r = login(http, "tinh")  # the right password, but locked
        assert r.status_code == 401 and "tạm bị khóa" in r.text
        assert login(http, "xem").status_code == 200  # another account from the same address still works
    live.store.clock.advance(minutes=16)
    with client(live) as http:
        assert login(http, "tinh").status_code == 200
    actions = [(who, what, ok) for who, what, _t, ok in audit_actions(live.store)]
    assert actions.count(("tinh", "login_failed", False)) == 5
    assert ("tinh", "login_locked", False) in actions
    assert actions[-2:] == [("tinh", "login", True), ("tinh", "view_scorecard", True)]


def test_many_failures_from_one_address_lock_the_address(staffed: Any) -> None:
    site = staffed.app.state.dashboard
    site.limiter = RateLimiter(100, 100)  # this test is about the database's counter, not the bucket
    with client(staffed) as http:
        for n in range(site.policy.client_failures):
            assert login(http, f"khongco{n}", "doan-mo-mat-khau").status_code == 401
        r = login(http, "tinh")
        assert r.status_code == 401 and "tạm bị khóa" in r.text


def test_login_requests_are_rate_limited_per_address(staffed: Any) -> None:
    staffed.app.state.dashboard.limiter = RateLimiter(0.001, 2)
    with client(staffed) as http:
        assert login(http, "tinh", "sai-mat-khau-1").status_code == 401
        assert login(http, "tinh", "sai-mat-khau-2").status_code == 401
        r = login(http, "tinh")
        assert r.status_code == 429 and "Quá nhiều lần đăng nhập" in r.text


def test_disabled_account_cannot_log_in_and_its_sessions_end(staffed: Any) -> None:
    with client(staffed) as http:
        assert login(http, "xem").status_code == 200
        accounts.set_disabled(staffed.store, "xem")
        assert http.get(BASE).url.path == f"{BASE}/dang-nhap"
        assert login(http, "xem").status_code == 401


# ---------------------------------------------------------------- CSRF
def test_posts_without_the_csrf_token_are_refused(staffed: Any) -> None:
    store = staffed.store
    with client(staffed) as http:
        http.get(f"{BASE}/dang-nhap")
        r = http.post(f"{BASE}/dang-nhap", data={"username": "tinh", "password": PASSWORD})
        assert r.status_code == 403 and "hết hạn" in r.text
        assert login(http, "tinh").status_code == 200
        r = http.post(f"{BASE}/quan-ly/don-vi", data={"code": "000.99.31.H56", "name": "Giả mạo"})
        assert r.status_code == 403 and "hết hạn" in r.text
        r = http.post(
            f"{BASE}/quan-ly/don-vi", data={"code": "000.99.31.H56", "name": "Giả mạo", "csrf": "đoán-bừa"}
        )
        assert r.status_code == 403
        assert "000.99.31.H56" not in {u["code"] for u in svc.list_units(store)}
        r = http.post(f"{BASE}/dang-xuat", data={"csrf": "sai"})
        assert r.status_code == 403
        assert http.get(BASE).status_code == 200  # still signed in
        # the login form's token is bound to its cookie: another browser's token does not fit
        with client(staffed) as other:
            foreign = csrf_of(other.get(f"{BASE}/dang-nhap").text)
        http.cookies.delete("qt_csrf")
        http.cookies.set("qt_csrf", "mot-gia-tri-khac", path=BASE)
        r = http.post(f"{BASE}/dang-nhap", data={"username": "tinh", "password": PASSWORD, "csrf": foreign})
        assert r.status_code == 403


# ---------------------------------------------------------------- session expiry (the server's clock)
def test_session_ends_after_idle_time_and_after_its_absolute_lifetime(staffed: Any) -> None:
    live = staffed
    site = live.app.state.dashboard
    site.policy = accounts.Policy(idle=dt.timedelta(minutes=10), absolute=dt.timedelta(minutes=30))
    clock = live.store.clock
    with client(live) as http:
        assert login(http, "tinh").status_code == 200
        clock.advance(minutes=9)
        assert http.get(BASE).url.path == BASE  # active within the idle time
        clock.advance(minutes=11)
        assert http.get(BASE).url.path == f"{BASE}/dang-nhap"  # idle too long
        assert login(http, "tinh").status_code == 200
        for _ in range(3):
            clock.advance(minutes=9)
            assert http.get(BASE).url.path == BASE
        clock.advance(minutes=4)  # 31 minutes after login, never idle: still over
        assert http.get(BASE).url.path == f"{BASE}/dang-nhap"
        with client(staffed) as other:  # someone else's login sweeps dead sessions away
            assert login(other, "xem").status_code == 200
    with staffed.store.read() as conn:
        users = conn.execute(select(accounts.staff_sessions.c.username)).scalars().all()
    assert users == ["xem"]


def test_a_new_login_replaces_the_session_the_browser_had(staffed: Any) -> None:
    with client(staffed) as planted:
        login(planted, "xem")
        cookie = planted.cookies.get("qt_phien")
    assert cookie
    with client(staffed) as http:
        form = http.get(f"{BASE}/dang-nhap")
        http.cookies.set("qt_phien", cookie, domain="127.0.0.1", path=BASE)  # planted in the browser
        data = {"username": "tinh", "password": PASSWORD, "csrf": csrf_of(form.text)}
        assert http.post(f"{BASE}/dang-nhap", data=data).status_code == 200
        assert "Lê Thị Tỉnh" in http.get(BASE).text
    with staffed.store.read() as conn:
        users = conn.execute(select(accounts.staff_sessions.c.username)).scalars().all()
    assert users == ["tinh"]


# ---------------------------------------------------------------- roles and personal data
def test_unit_manager_sees_own_unit_with_names_and_is_refused_elsewhere(office: Office) -> None:
    with client(office.server) as http:
        login(http, "vinhluong")
        own = http.get(f"{BASE}/don-vi/{UNIT}/qua-han")
        assert own.status_code == 200 and office.overdue_code in own.text and APPLICANT in own.text
        late = http.get(f"{BASE}/don-vi/{UNIT}/so-lieu/late", params={"ky": "2026-11"})
        assert office.late_code in late.text and office.on_time_code not in late.text
        report = http.get(f"{BASE}/bao-cao")
        assert report.status_code == 200 and "Vĩnh Lương" in report.text
        assert '<option value="">Toàn tỉnh</option>' not in report.text
        for path in (
            f"{BASE}/don-vi/{OTHER_UNIT}/qua-han",
            f"{BASE}/don-vi/{OTHER_UNIT}/so-lieu/late?ky=2026-11",
            f"{BASE}/bao-cao?don-vi={OTHER_UNIT}",
            f"{BASE}/bao-cao/tai-ve.xlsx?don-vi={OTHER_UNIT}",
            f"{BASE}/quan-ly/don-vi",
            f"{BASE}/quan-ly/lich",
            f"{BASE}/quan-ly/danh-muc",
            f"{BASE}/quan-ly/nhat-ky",
        ):
            r = http.get(path)
            assert r.status_code == 403, path
            assert FORBIDDEN_HEADING in r.text and "không có quyền" in r.text
        assert http.get(f"{BASE}/quan-ly/thiet-bi").status_code == 200
    refusals = [t for who, what, t, ok in audit_actions(office.server.store) if what == "refused"]
    assert len(refusals) == 8 and all(APPLICANT not in t for t in refusals)


def test_viewer_sees_figures_and_lists_without_personal_data_and_no_admin(office: Office) -> None:
    with client(office.server) as http:
        login(http, "xem")
        score = http.get(BASE)
        assert score.status_code == 200 and "Toàn tỉnh" in score.text
        overdue = http.get(f"{BASE}/don-vi/{UNIT}/qua-han")
        assert overdue.status_code == 200 and office.overdue_code in overdue.text
        assert APPLICANT not in overdue.text and "Người nộp" not in overdue.text
        cell = http.get(f"{BASE}/don-vi/{UNIT}/so-lieu/received_total", params={"ky": "2026-11"})
        assert office.late_code in cell.text and APPLICANT not in cell.text
        assert http.get(f"{BASE}/bao-cao").status_code == 200  # the province's report
        for path in (f"{BASE}/quan-ly/thiet-bi", f"{BASE}/quan-ly/don-vi", f"{BASE}/quan-ly/nhat-ky"):
            assert http.get(path).status_code == 403, path
        r = http.post(f"{BASE}/quan-ly/don-vi", data={"code": "000.99.31.H56", "name": "X", "csrf": "x"})
        assert r.status_code == 403


def test_personal_data_never_in_links_query_strings_audit_or_logs(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []
    with client(office.server) as http:
        login(http, "tinh")
        pages.append(http.get(BASE).text)
        pages.append(http.get(f"{BASE}/don-vi/{UNIT}/qua-han").text)
        for cell in ("received_total", "resolved", "late", "in_progress"):
            pages.append(http.get(f"{BASE}/don-vi/{UNIT}/so-lieu/{cell}", params={"ky": "2026-11"}).text)
        pages.append(http.get(f"{BASE}/bao-cao", params={"ky": "2026-11", "don-vi": UNIT}).text)
    assert APPLICANT in pages[1]  # the admin sees the name in the list ...
    for html in pages:  # ... but no link carries it, nor the ID number or phone
        for link in re.findall(r'(?:href|action)="([^"]*)"', html):
            for secret in (APPLICANT, "056090001234", "0905123456", "Thôn Văn Đăng"):
                assert secret not in link
        for secret in ("056090001234", "0905123456", "Thôn Văn Đăng"):
            assert secret not in html
    for _who, _what, target, _ok in audit_actions(office.server.store):
        assert APPLICANT not in target
    assert APPLICANT not in caplog.text and "056090001234" not in caplog.text


def test_unknown_unit_or_cell_gets_a_vietnamese_404(office: Office) -> None:
    with client(office.server) as http:
        login(http, "tinh")
        r = http.get(f"{BASE}/don-vi/000.00.00.H00/qua-han")
        assert r.status_code == 404 and "Không tìm thấy" in r.text
        assert http.get(f"{BASE}/don-vi/{UNIT}/so-lieu/khong_co").status_code == 404
        r = http.get(f"{BASE}/khong-co-trang-nay")
        assert r.status_code == 404 and "Không tìm thấy trang" in r.text


def test_a_bad_period_key_falls_back_to_the_current_month(staffed: Any) -> None:
    with client(staffed) as http:
        login(http, "tinh")
        r = http.get(BASE, params={"ky": "2026-13"})
        assert r.status_code == 200 and "Tháng 11/2026" in r.text
        r = http.get(BASE, params={"ky": "2026-Q4"})
        assert "Bảng điểm các đơn vị — Quý IV/2026" in r.text


# ---------------------------------------------------------------- downloads
def test_report_downloads_excel_and_pdf_and_audits_them(office: Office) -> None:
    with client(office.server) as http:
        login(http, "tinh")
        xlsx = http.get(f"{BASE}/bao-cao/tai-ve.xlsx", params={"ky": "2026-11", "don-vi": UNIT})
        pdf = http.get(f"{BASE}/bao-cao/tai-ve.pdf", params={"ky": "2026-11"})
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == f'attachment; filename="bao-cao-{UNIT}-2026-11.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = [c.value for row in wb.worksheets[0].iter_rows() for c in row if c.value is not None]
    assert "Hộ tịch" in cells and any("Vĩnh Lương".upper() in str(v).upper() for v in cells)
    wb.close()
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="bao-cao-toan-tinh-2026-11.pdf"' in pdf.headers["content-disposition"]
    page_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "TOÀN TỈNH" in page_text.upper() and "Hộ tịch" in page_text
    downloads = [(w, t) for _u, w, t, _ok in audit_actions(office.server.store) if w.startswith("download")]
    assert downloads == [
        ("download_xlsx", f"unit={UNIT} period=2026-11"),
        ("download_pdf", "unit=* period=2026-11"),
    ]


# ---------------------------------------------------------------- admin tasks
def test_admin_adds_and_renames_a_unit(staffed: Any) -> None:
    with client(staffed) as http:
        login(http, "tinh")
        page = http.get(f"{BASE}/quan-ly/don-vi")
        r = http.post(
            f"{BASE}/quan-ly/don-vi",
            data={"code": "000.23.31.H56", "name": "UBND xã Vĩnh Ngọc", "csrf": csrf_of(page.text)},
        )
        assert r.status_code == 200 and "Đã lưu đơn vị 000.23.31.H56." in r.text
        r = http.post(
            f"{BASE}/quan-ly/don-vi",
            data={"code": "000.23.31.H56", "name": "Trung tâm PVHCC xã Vĩnh Ngọc", "csrf": csrf_of(r.text)},
        )
        bad = http.post(
            f"{BASE}/quan-ly/don-vi", data={"code": "sai mã", "name": "X", "csrf": csrf_of(r.text)}
        )
        assert bad.status_code == 400 and 'class="alert"' in bad.text
    names = {u["code"]: u["name"] for u in svc.list_units(staffed.store)}
    assert names["000.23.31.H56"] == "Trung tâm PVHCC xã Vĩnh Ngọc"
    actions = [(w, t) for _u, w, t, _ok in audit_actions(staffed.store) if w.startswith("unit_")]
    assert actions == [("unit_add", "unit=000.23.31.H56"), ("unit_rename", "unit=000.23.31.H56")]


def test_enrol_code_with_qr_and_revoke_limited_to_own_unit(office: Office) -> None:
    import zxingcpp
    from PIL import Image

    store = office.server.store
    [station_device] = svc.list_devices(store, UNIT)
    with client(office.server) as http:
        login(http, "vinhthai")  # the other unit's manager
        page = http.get(f"{BASE}/quan-ly/thiet-bi")
        assert station_device["id"] not in page.text  # only the own unit's devices are listed
        csrf = csrf_of(page.text)
        r = http.post(
            f"{BASE}/quan-ly/thiet-bi/thu-hoi", data={"device_id": station_device["id"], "csrf": csrf}
        )
        assert r.status_code == 403
        r = http.post(f"{BASE}/quan-ly/thiet-bi/dang-ky", data={"unit": UNIT, "csrf": csrf})
        assert r.status_code == 403
        r = http.post(f"{BASE}/quan-ly/thiet-bi/dang-ky", data={"unit": OTHER_UNIT, "csrf": csrf})
        assert r.status_code == 200
        code = re.search(r'id="enrol-code">([A-Z0-9-]+)<', r.text)
        assert code is not None
        svg = re.search(r"<svg.*?</svg>", r.text, re.S)
        assert svg is not None
    assert svc.list_devices(store, UNIT)[0]["revoked_at"] is None
    # the QR on the page holds the code: its squares drawn with Pillow and decoded
    png = _svg_to_png(svg.group(0))
    decoded = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [code.group(1)]
    token, device, _ = svc.enrol(store, code.group(1), "thiet-bi-moi-0001", "Máy tiếp nhận 2")
    assert token and device.unit_code == OTHER_UNIT

    with client(office.server) as http:
        login(http, "vinhluong")
        page = http.get(f"{BASE}/quan-ly/thiet-bi")
        assert station_device["id"] in page.text and "thiet-bi-moi-0001" not in page.text
        r = http.post(
            f"{BASE}/quan-ly/thiet-bi/thu-hoi",
            data={"device_id": station_device["id"], "reason": "máy hỏng", "csrf": csrf_of(page.text)},
        )
        assert r.status_code == 200 and "Đã thu hồi thiết bị" in r.text
    assert svc.list_devices(store, UNIT)[0]["revoke_reason"] == "máy hỏng"
    actions = [(u, w, t) for u, w, t, _ok in audit_actions(store) if w.startswith("device")]
    assert actions == [
        ("vinhthai", "device_enrol_code", f"unit={OTHER_UNIT}"),
        ("vinhluong", "device_revoke", f"device={station_device['id']}"),
    ]


def _svg_to_png(svg: str) -> bytes:
    """Rasterise the QR's SVG path (squares only) with Pillow."""
    from PIL import Image, ImageDraw

    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg)
    assert view is not None
    size = float(view.group(1))
    scale = 8
    image = Image.new("L", (int(size * scale), int(size * scale)), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r' d="([^"]+)"', svg)
    assert path is not None
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.group(1))
    assert squares
    for x, y, x2, y2 in squares:
        box = [float(x) * scale, float(y) * scale, float(x2) * scale - 1, float(y2) * scale - 1]
        draw.rectangle(box, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_calendar_decision_reaches_the_change_log(staffed: Any) -> None:
    store = staffed.store
    with client(staffed) as http:
        login(http, "tinh")
        page = http.get(f"{BASE}/quan-ly/lich")
        r = http.post(
            f"{BASE}/quan-ly/lich",
            data={
                "day": "2026-12-31",
                "kind": "off",
                "unit": "",
                "note": "Nghỉ bù",
                "decision": "Văn bản 12729/VPCP-KGVX ngày 25/12/2025",
                "csrf": csrf_of(page.text),
            },
        )
        assert r.status_code == 200 and "Đã thêm ngày nghỉ 31/12/2026 cho mọi đơn vị" in r.text
        csrf = csrf_of(r.text)
        bad = http.post(f"{BASE}/quan-ly/lich", data={"day": "31/12", "kind": "off", "csrf": csrf})
        assert bad.status_code == 400 and "Ngày không hợp lệ" in bad.text
        bad = http.post(f"{BASE}/quan-ly/lich", data={"day": "2026-12-31", "kind": "x", "csrf": csrf})
        assert bad.status_code == 400 and "Loại ngày" in bad.text
    with store.read() as conn:
        rows = conn.execute(text("SELECT unit_code, payload FROM changes WHERE kind = 'calendar'")).all()
    assert len(rows) == 1 and rows[0].unit_code == "" and '"2026-12-31"' in rows[0].payload


def test_catalogue_upload_through_the_desk_parser(staffed: Any, tmp_path: Path) -> None:
    from desk_app.formats.catalog_files import write_catalog_file

    good = tmp_path / "danh-muc.xlsx"
    write_catalog_file(sample_procedures(), good)
    store = staffed.store
    with client(staffed) as http:
        login(http, "tinh")
        page = http.get(f"{BASE}/quan-ly/danh-muc")
        files = {"file": ("danh-muc.xlsx", good.read_bytes(), "application/octet-stream")}
        r = http.post(f"{BASE}/quan-ly/danh-muc", data={"csrf": csrf_of(page.text)}, files=files)
        assert r.status_code == 200 and f"Đã nhập {len(sample_procedures())} thủ tục" in r.text
        broken = {"file": ("hong.csv", "Mã thủ tục,Tên thủ tục\n1.2.3,\n".encode(), "text/csv")}
        r = http.post(f"{BASE}/quan-ly/danh-muc", data={"csrf": csrf_of(page.text)}, files=broken)
        assert r.status_code == 400 and 'class="alert pre"' in r.text and "Traceback" not in r.text
        other = {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
        r = http.post(f"{BASE}/quan-ly/danh-muc", data={"csrf": csrf_of(page.text)}, files=other)
        assert r.status_code == 400 and "chỉ nhận .xlsx hoặc .csv" in r.text
    with store.read() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM changes WHERE kind = 'procedure'")).scalar()
    assert count == len(sample_procedures())


def test_audit_page_lists_actions_for_the_admin(staffed: Any) -> None:
    with client(staffed) as http:
        login(http, "xem", "sai-mat-khau-roi")
        login(http, "tinh")
        r = http.get(f"{BASE}/quan-ly/nhat-ky")
    assert r.status_code == 200 and "login_failed" in r.text and "xem" in r.text


# ---------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_accounts_sessions_and_lock_out_on_postgresql(pg_server: Any) -> None:
    server = pg_server
    add_staff(server)
    with client(server) as http:
        for _ in range(5):
            assert login(http, "vinhluong", "sai-mat-khau-roi").status_code == 401
        assert "tạm bị khóa" in login(http, "vinhluong").text
        assert login(http, "tinh").status_code == 200
        page = http.get(BASE)
        assert page.status_code == 200 and "Vĩnh Thái" in page.text
    actions = [(u, w) for u, w, _t, _ok in audit_actions(server.store)]
    assert actions.count(("vinhluong", "login_failed")) == 5 and ("vinhluong", "login_locked") in actions
    assert actions[-3:] == [("tinh", "login"), ("tinh", "view_scorecard"), ("tinh", "view_scorecard")]


# ---------------------------------------------------------------- the whole role matrix
ALL = {"tinh": 200, "vinhluong": 200, "vinhthai": 200, "xem": 200}
ADMIN_ONLY = {"tinh": 200, "vinhluong": 403, "vinhthai": 403, "xem": 403}
UNIT_ONLY = {"tinh": 200, "vinhluong": 200, "vinhthai": 403, "xem": 200}
OTHER_ONLY = {"tinh": 200, "vinhluong": 403, "vinhthai": 200, "xem": 200}
MATRIX = {
    BASE: ALL,
    f"{BASE}/bao-cao": ALL,
    f"{BASE}/don-vi/{UNIT}/qua-han": UNIT_ONLY,
    f"{BASE}/don-vi/{UNIT}/so-lieu/late?ky=2026-11": UNIT_ONLY,
    f"{BASE}/bao-cao?don-vi={UNIT}": UNIT_ONLY,
    f"{BASE}/bao-cao/tai-ve.xlsx?don-vi={UNIT}": UNIT_ONLY,
    f"{BASE}/bao-cao/tai-ve.pdf?don-vi={UNIT}": UNIT_ONLY,
    f"{BASE}/don-vi/{OTHER_UNIT}/qua-han": OTHER_ONLY,
    f"{BASE}/bao-cao?don-vi={OTHER_UNIT}": OTHER_ONLY,
    f"{BASE}/quan-ly/thiet-bi": {"tinh": 200, "vinhluong": 200, "vinhthai": 200, "xem": 403},
    f"{BASE}/quan-ly/don-vi": ADMIN_ONLY,
    f"{BASE}/quan-ly/lich": ADMIN_ONLY,
    f"{BASE}/quan-ly/danh-muc": ADMIN_ONLY,
    f"{BASE}/quan-ly/nhat-ky": ADMIN_ONLY,
}
SEES_NAMES = {"tinh": True, "vinhluong": True, "vinhthai": False, "xem": False}


@pytest.mark.parametrize("username", sorted(SEES_NAMES))
def test_every_page_for_every_role(office: Office, username: str) -> None:
    with client(office.server) as http:
        assert login(http, username).status_code == 200
        for path, expected in MATRIX.items():
            r = http.get(path)
            assert r.status_code == expected[username], (username, path)
            if r.status_code == 403:
                assert FORBIDDEN_HEADING in r.text
        cell = http.get(f"{BASE}/don-vi/{UNIT}/so-lieu/received_total?ky=2026-11")
        if cell.status_code == 200:
            assert (APPLICANT in cell.text) is SEES_NAMES[username]
        # nobody may post to an admin form of a role they do not have, even with a valid token
        score = http.get(BASE)
        r = http.post(
            f"{BASE}/quan-ly/lich", data={"day": "2026-12-31", "kind": "off", "csrf": csrf_of(score.text)}
        )
        assert r.status_code == ADMIN_ONLY[username]


@pytest.mark.expect_errors
def test_a_fault_gives_a_vietnamese_page_without_traceback(
    staffed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from central import reporting

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("sự cố giả lập")

    monkeypatch.setattr(reporting, "scorecards", broken)
    with client(staffed) as http:
        r = login(http, "tinh")
    assert r.status_code == 500 and "Máy chủ gặp lỗi" in r.text
    assert "Traceback" not in r.text and "RuntimeError" not in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


def test_penalty_preview_warns_with_advice_by_role(office: Office) -> None:
    from central import reporting

    items = reporting.at_risk(office.server.store, UNIT, office.server.store.clock())
    warned = {line.code: [w.code for w in ws] for line, ws in items}
    assert "overdue" in warned[office.overdue_code]  # the desk's penalty_preview, on the server
    assert office.on_time_code not in warned or "overdue" not in warned[office.on_time_code]
    with client(office.server) as http:
        login(http, "vinhluong")
        own = http.get(f"{BASE}/don-vi/{UNIT}/canh-bao")
        assert own.status_code == 200 and "Cảnh báo trước khi mất điểm" in own.text
        assert office.overdue_code in own.text and "Mẫu 04" in own.text and APPLICANT in own.text
        assert http.get(f"{BASE}/don-vi/{OTHER_UNIT}/canh-bao").status_code == 403
    with client(office.server) as http:
        login(http, "xem")
        seen = http.get(f"{BASE}/don-vi/{UNIT}/canh-bao")
        assert seen.status_code == 200 and office.overdue_code in seen.text and APPLICANT not in seen.text
        assert f"/don-vi/{UNIT}/canh-bao" in http.get(BASE).text  # linked from the scorecard
