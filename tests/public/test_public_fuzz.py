"""Fuzzing the public routes in process: no input makes them fail or tell dossiers apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central import service as svc
from central.public.router import RateLimiter
from tests.sync.conftest import LiveServer

UNIT = "000.21.31.H56"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "central.sqlite3"
    live = LiveServer(f"sqlite:///{path}")
    svc.add_unit(live.store, UNIT, "Trung tâm Phục vụ hành chính công xã Vĩnh Lương")
    live.app.state.public.limiter = RateLimiter(rate=1e6, burst=1e6)
    with httpx.Client(base_url=live.url, timeout=10) as http:
        yield http
    live.stop()


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# "." and ".." are dot segments: the client removes them from the path before sending.
@given(code=texts.filter(lambda t: t.strip("/") != "" and t not in (".", "..")), secret=texts)
def test_any_code_and_secret_get_the_uniform_answer(client: Any, code: str, secret: str) -> None:
    r = client.get(f"/tra-cuu/{quote(code, safe='')}", params={"k": secret})
    if r.status_code == 307:  # a trailing slash: redirected to the same path without it
        assert code.endswith("/") and "/tra-cuu/" in r.headers["location"]
        return
    assert r.status_code in (200, 404)  # 200 only for the form (no secret given)
    if r.status_code == 404:
        assert "Không tìm thấy hồ sơ phù hợp" in r.text
    else:
        assert not secret
    assert r.headers["cache-control"] == "no-store"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=texts, last4=texts, extra=st.dictionaries(st.text(max_size=20), texts, max_size=5))
def test_any_form_post_is_answered_calmly(client: Any, code: str, last4: str, extra: dict[str, str]) -> None:
    r = client.post("/tra-cuu", data={**extra, "code": code, "last4": last4})
    assert r.status_code in (404, 413)
    r = client.post(f"/tra-cuu/{quote(code or 'x', safe='')}/danh-gia", data={**extra, "k": last4})
    assert r.status_code in (404, 413)


def test_non_form_bodies_and_methods(client: Any) -> None:
    binary = client.post("/tra-cuu", content=b"\x00\xff" * 100, headers={"content-type": "text/plain"})
    assert binary.status_code == 404
    assert (
        client.post("/tra-cuu", content=b"{}", headers={"content-type": "application/json"}).status_code
        == 404
    )
    assert client.put("/tra-cuu").status_code == 404  # any other method or path: the same page
    assert "Không tìm thấy hồ sơ phù hợp" in client.delete("/tra-cuu/x/y/z").text
    assert client.get("/robots.txt").text.endswith("Disallow: /\n")
