"""The public look-up /tra-cuu on a live server (issue 15, items 1, 2 and 4)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest

from desk_app import lookup
from desk_app.domain.lifecycle import EventKind
from desk_app.reports.periods import day_of
from desk_app.reports.query import ReportService
from tests.helpers.fakes import FakeClock, birth_request
from tests.sync.conftest import enrol_station, sync

NOT_FOUND_TEXT = "Không tìm thấy hồ sơ phù hợp"


@pytest.fixture
def office(server: Any, station_factory: Any) -> Any:
    """An enrolled station with one synced dossier; the server's public clock is fixed."""
    server.app.state.public.clock = FakeClock(dt.datetime(2026, 11, 25, 9, 30))
    app = station_factory("a")
    enrol_station(app, server)
    dossier = app.intake.receive("canbo1", birth_request())
    sync(app, server.url)
    return app, dossier


def page_url(dossier: Any) -> str:
    return f"/tra-cuu/{dossier.code}?k={dossier.extra[lookup.SECRET_KEY]}"


def test_the_qr_page_shows_public_fields_only_with_strict_headers(server: Any, office: Any) -> None:
    app, dossier = office
    app.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    app.workflow.act("canbo1", dossier.code, EventKind.NOTE, note="Ghi chú nội bộ: gọi lại sau")
    sync(app, server.url)
    with httpx.Client(base_url=server.url) as http:
        r = http.get(page_url(dossier))
    assert r.status_code == 200
    html = r.text
    for shown in (
        dossier.code,
        "Đăng ký khai sinh",
        "Nguyễn V. D.",
        "Đã chuyển xử lý",
        "Hồ sơ đã được tiếp nhận",
        "Hồ sơ đã được chuyển đến bộ phận giải quyết",
        "09:00 ngày 25/11/2026",
        "Tại Bộ phận Một cửa",
    ):
        assert shown in html, shown
    for hidden in (
        "Nguyễn Văn Dũng",
        "056090001234",
        "0905123456",
        "Thôn Văn Đăng",
        "Ghi chú nội bộ",
        "Trần Văn Hộ",
        "Công chức Tư pháp",
        "<script",
    ):
        assert hidden not in html, hidden
    h = r.headers
    assert h["cache-control"] == "no-store"
    assert "default-src 'none'" in h["content-security-policy"]
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert "noindex" in h["x-robots-tag"] and '<meta name="robots" content="noindex, nofollow">' in html


def test_without_the_qr_code_plus_last4_of_phone_or_id(server: Any, office: Any) -> None:
    _app, dossier = office
    with httpx.Client(base_url=server.url) as http:
        form = http.get("/tra-cuu")
        assert form.status_code == 200 and "4 số cuối" in form.text
        for last4 in ("3456", "1234"):  # phone 0905123456, CCCD 056090001234
            r = http.post("/tra-cuu", data={"code": dossier.code, "last4": last4})
            assert r.status_code == 200 and "Nguyễn V. D." in r.text
            assert "danh-gia" not in r.text  # rating needs the QR secret
        wrong = http.post("/tra-cuu", data={"code": dossier.code, "last4": "9999"})
        assert wrong.status_code == 404 and NOT_FOUND_TEXT in wrong.text and "Nguyễn V. D." not in wrong.text


def test_wrong_code_and_wrong_secret_get_the_same_answer(server: Any, office: Any) -> None:
    _app, dossier = office
    secret = dossier.extra[lookup.SECRET_KEY]
    next_code = dossier.code[:-4] + f"{int(dossier.code[-4:]) + 1:04d}"
    with httpx.Client(base_url=server.url) as http:
        answers = [
            http.get(f"/tra-cuu/{dossier.code}?k={secret[:-1]}x"),
            http.get(f"/tra-cuu/{dossier.code}?k={secret}{secret}"),
            http.get(f"/tra-cuu/{next_code}?k={secret}"),
            http.get(f"/tra-cuu/KHONG-CO?k={secret}"),
            http.get(f"/tra-cuu/{'9' * 5000}?k={secret}"),
            http.get(f"/tra-cuu/{dossier.code}?k={'a' * 100_00}"),
        ]
    bodies = {(a.status_code, a.text) for a in answers}
    assert len(bodies) == 1, [a.status_code for a in answers]
    status, body = bodies.pop()
    assert status == 404 and NOT_FOUND_TEXT in body and dossier.code not in body
    assert all(a.headers["cache-control"] == "no-store" for a in answers)


def test_supplement_request_says_what_to_bring(server: Any, office: Any) -> None:
    app, dossier = office
    app.workflow.act(
        "canbo1",
        dossier.code,
        EventKind.SUPPLEMENT_REQUESTED,
        missing=[{"name": "Giấy chứng sinh", "note": "ảnh mờ"}],
        note="nội bộ: hỏi lại bệnh viện",
    )
    sync(app, server.url)
    with httpx.Client(base_url=server.url) as http:
        html = http.get(page_url(dossier)).text
    assert "Ông/bà cần bổ sung" in html and "Giấy chứng sinh" in html
    assert "hỏi lại bệnh viện" not in html


def test_rating_after_return_once_csrf_protected_and_pulled_by_the_station(server: Any, office: Any) -> None:
    app, dossier = office
    url = page_url(dossier)
    with httpx.Client(base_url=server.url) as http:
        assert 'name="level"' not in http.get(url).text  # not before the result is returned
        app.workflow.act("canbo1", dossier.code, EventKind.RESULT_READY, result="Giấy khai sinh")
        app.workflow.act("canbo1", dossier.code, EventKind.RETURNED, method="tai_quay")
        sync(app, server.url)
        page = http.get(url)
        assert 'name="level"' in page.text and "Đã trả kết quả" in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        form = {
            "k": dossier.extra[lookup.SECRET_KEY],
            "csrf": token.group(1),
            "level": "rat_hai_long",
            "reasons": [],
            "comment": "Cán bộ hướng dẫn tận tình",
        }
        # a cross-site post carries no cookie: refused
        forged = httpx.post(f"{server.url}/tra-cuu/{dossier.code}/danh-gia", data=form)
        assert forged.status_code == 403
        done = http.post(f"/tra-cuu/{dossier.code}/danh-gia", data=form)
        assert done.status_code == 303
        after = http.get(done.headers["location"])
        assert "Cảm ơn ông/bà đã đánh giá" in after.text and 'name="level"' not in after.text
        again = http.post(f"/tra-cuu/{dossier.code}/danh-gia", data={**form, "level": "khong_hai_long"})
        assert again.status_code in (403, 409)
    sync(app, server.url)
    ratings = app.ratings.of_dossier(dossier.code)
    assert [(r.payload["level"], r.payload["source"]) for r in ratings] == [("rat_hai_long", "web")]
    assert ratings[0].payload["comment"] == "Cán bộ hướng dẫn tận tình"
    _d, _events, state = app.workflow.state(dossier.code)
    assert state.status.value == "returned" and not state.conflicts
    indicator = next(
        i
        for i in ReportService(app.station).summary(day_of(dt.date(2026, 11, 25))).indicators
        if i.code == "5.4"
    )
    assert indicator.display == "100,00%"


def test_many_requests_from_one_address_are_slowed_down(server: Any, office: Any) -> None:
    _app, dossier = office
    with httpx.Client(base_url=server.url) as http:
        codes = [http.get(f"/tra-cuu/000.21.31.H56-261125-{n:04d}?k=abc").status_code for n in range(40)]
        assert codes[:20] == [404] * 20 and codes[-1] == 429
        blocked = http.get(page_url(dossier))  # even the right secret waits now
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
        assert "quá nhiều lần" in blocked.text


def test_huge_bodies_and_fields_are_refused_before_any_work(server: Any, office: Any) -> None:
    _app, dossier = office
    with httpx.Client(base_url=server.url) as http:
        big = http.post("/tra-cuu", data={"code": "x" * 20_000, "last4": "1234"})
        assert big.status_code == 413
        long_code = http.post("/tra-cuu", data={"code": "x" * 2000, "last4": "1234"})
        assert long_code.status_code == 404 and NOT_FOUND_TEXT in long_code.text
        rate = http.post(f"/tra-cuu/{dossier.code}/danh-gia", data={"k": "a" * 7000, "comment": "b"})
        assert rate.status_code == 404


def test_behind_the_trusted_proxy_each_citizen_has_its_own_budget(db_url: str) -> None:
    if "postgres" in db_url:
        pytest.skip("the address logic does not depend on the database")
    from tests.sync.conftest import LiveServer

    live = LiveServer(db_url, trusted_proxy="127.0.0.1")
    try:
        with httpx.Client(base_url=live.url) as http:
            first = [
                http.get("/tra-cuu/x?k=y", headers={"X-Forwarded-For": "203.0.113.7"}) for _ in range(25)
            ]
            other = http.get("/tra-cuu/x?k=y", headers={"X-Forwarded-For": "203.0.113.8"})
            # a client cannot pick its address: only the proxy's last hop counts
            spoofed = http.get("/tra-cuu/x?k=y", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
    finally:
        live.stop()
    assert first[-1].status_code == 429 and other.status_code == 404 and spoofed.status_code == 429
