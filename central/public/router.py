"""Routes of the public look-up (``/tra-cuu``): server-rendered Jinja2, no script."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from central import models as m
from central import service as svc
from central.public.view import (
    PublicView,
    build_view,
    dossier_secret,
    event_from_wire,
    last4_candidates,
    received_snapshot,
)
from desk_app import lookup
from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import RATING_REASONS, DossierEvent, EventKind, RatingLevel
from desk_app.domain.ratings import CITIZEN_ACTOR, rating_payload
from desk_app.hlc import HybridLogicalClock

BASE = lookup.PUBLIC_PATH
HERE = Path(__file__).resolve().parent
MAX_CODE = 40
MAX_FORM_BODY = 8 * 1024
CSRF_COOKIE = "tc_csrf"
SERVER_DEVICE = "central-public"  # the device id written on ratings taken by the public page
# A fixed namespace: the web rating of a dossier has one possible id, so "once per dossier"
# holds even when two submissions race (the change log's change_id is unique).
RATING_NAMESPACE = uuid.UUID("6f1c2d4e-8a5b-4c3d-9e7f-15a0b1c2d3e4")

NOT_FOUND = (
    "Không tìm thấy hồ sơ phù hợp. Hãy kiểm tra lại mã hồ sơ và 4 số cuối, "
    "hoặc quét lại mã QR trên giấy tiếp nhận."
)
TOO_MANY = "Ông/bà đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau ít phút."
TOO_LARGE = "Dữ liệu gửi lên quá lớn."

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _vn_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=7)))


class RateLimiter:
    """Token bucket per client address; bounded memory (least recently seen evicted)."""

    def __init__(self, rate: float, burst: float, max_clients: int = 100_000):
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, cost: float = 1.0) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= cost
            if ok:
                tokens -= cost
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return ok


class PublicSite:
    """State of the public face: the store, a clock, the rate limiter, the templates."""

    def __init__(
        self,
        store: svc.Store,
        *,
        clock: Callable[[], dt.datetime] = _vn_now,
        rate_per_second: float | None = None,
        burst: float | None = None,
    ):
        self.store = store
        self.clock = clock
        # Per client address: 20 look-ups at once, then one every 2 s (MOTCUA_PUBLIC_RATE / _BURST).
        rate = (
            rate_per_second
            if rate_per_second is not None
            else float(os.environ.get("MOTCUA_PUBLIC_RATE", 0.5))
        )
        size = burst if burst is not None else float(os.environ.get("MOTCUA_PUBLIC_BURST", 20))
        self.limiter = RateLimiter(rate, size)
        self.hlc = HybridLogicalClock(SERVER_DEVICE, lambda: int(self.clock().timestamp() * 1000))
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        self.css = (HERE / "static" / "site.css").read_bytes()

    # ------------------------------------------------------------ reads
    def load(self, code: str) -> tuple[list[DossierEvent], str]:
        """The dossier's events and its unit's name; ([], "") when the code is unknown."""
        with self.store.read() as conn:
            ids = [r[0] for r in conn.execute(select(m.dossiers.c.id).where(m.dossiers.c.code == code))]
            if not ids:
                return [], ""
            rows = conn.execute(
                select(m.changes.c.payload).where(
                    m.changes.c.dossier_id == ids[0], m.changes.c.kind == "event"
                )
            ).all()
            events: list[DossierEvent] = []
            for (raw,) in rows:
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    continue
                event = event_from_wire(parsed) if isinstance(parsed, dict) else None
                if event is not None:
                    events.append(event)
            unit_code = ""
            for e in events:
                if e.kind is EventKind.RECEIVED:
                    unit_code = str((e.payload.get("dossier") or {}).get("unit_code", ""))
            name = conn.execute(select(m.units.c.name).where(m.units.c.code == unit_code)).scalar()
        return events, str(name or "")

    def by_secret(self, code: str, secret: str) -> tuple[PublicView | None, list[DossierEvent]]:
        events, unit_name = self.load(code)
        dossier, _ = received_snapshot(events)
        expected = dossier_secret(dossier) if dossier else ""
        # compare even when nothing was found, so both answers cost the same
        ok = lookup.secret_matches(expected or "x" * 22, secret) and bool(expected)
        return (build_view(events, unit_name) if ok else None), events

    def by_last4(self, code: str, last4: str) -> PublicView | None:
        events, unit_name = self.load(code)
        _, applicant = received_snapshot(events)
        ok = lookup.last4_matches(last4_candidates(applicant), last4) if applicant else False
        return build_view(events, unit_name) if ok else None

    # ------------------------------------------------------------ writes
    def rate(self, view: PublicView, events: list[DossierEvent], form: dict[str, Any]) -> bool:
        """Store the web rating as a RATED event; False when the dossier has one already."""
        payload = rating_payload(
            str(form.get("level", "")),
            [str(r) for r in form.get("reasons", [])][:20],
            str(form.get("comment", ""))[:5000],
            source="web",
        )
        event_id = str(uuid.uuid5(RATING_NAMESPACE, view.dossier_id))
        for e in events:
            self.hlc.observe(e.hlc)  # after everything the page showed
        now = self.clock()
        event = {
            "id": event_id,
            "dossier_id": view.dossier_id,
            "kind": EventKind.RATED.value,
            "at": now.isoformat(),
            "actor": CITIZEN_ACTOR,
            "device_id": SERVER_DEVICE,
            "hlc": self.hlc.now(),
            "payload": payload,
        }
        dossier, _ = received_snapshot(events)
        target = str(dossier.get("target_unit_code") or "")
        row = svc._row(
            event_id, "event", view.unit_code, target, view.dossier_id, "", event, svc.now_iso(self.store)
        )
        with self.store.write() as conn:
            inserted = svc.append_changes(self.store, conn, [row])
            heads = dict(conn.info.pop("central_heads", {}))
        if self.store.on_heads is not None and heads:
            self.store.on_heads(heads)
        return event_id in inserted

    # ------------------------------------------------------------ rendering
    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            base=BASE, static_url=f"{BASE}/static/site.css", fmt=_fmt, now=self.clock(), **context
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def dossier_page(
        self, view: PublicView, secret: str = "", status: int = 200, thanks: str = "", message: str = ""
    ) -> HTMLResponse:
        csrf = secrets.token_urlsafe(16) if secret and view.can_rate else ""
        response = self.page(
            "dossier.html",
            status,
            v=view,
            k=secret,
            csrf=csrf,
            rate_action=f"{BASE}/{quote(view.code, safe='')}/danh-gia" if secret else "",
            levels=[(lv.value, lv.label) for lv in RatingLevel],
            reasons=RATING_REASONS,
            thanks=thanks,
            message=message,
        )
        if csrf:
            response.set_cookie(
                CSRF_COOKIE, csrf, httponly=True, samesite="strict", path=BASE, secure=False, max_age=3600
            )
        return response


def _fmt(value: dt.datetime | None) -> str:
    return "" if value is None else f"{value:%H:%M} ngày {value:%d/%m/%Y}"


def _client(request: Request) -> str:
    """The citizen's address as the device API sees it (X-Forwarded-For only from the trusted proxy)."""
    from central.app import _client as client_address

    return client_address(request)


def _plausible(code: str, secret: str = "") -> bool:
    return 0 < len(code) <= MAX_CODE and len(secret) <= lookup.MAX_SECRET_LEN


async def _small_form(request: Request) -> dict[str, Any] | None:
    """The posted form, or None when it is larger than a look-up or rating can be."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM_BODY:
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BODY:
        return None
    form = await request.form(max_files=0, max_fields=40, max_part_size=MAX_FORM_BODY)
    out: dict[str, Any] = {"reasons": [str(v) for v in form.getlist("reasons")]}
    for key in ("code", "last4", "k", "csrf", "level", "comment"):
        value = form.get(key)
        out[key] = value if isinstance(value, str) else ""
    return out


def install(app: FastAPI, site: PublicSite) -> None:
    """Mount the public face on ``app``: its router, and its own page for paths no route matches."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.state.public = site
    app.include_router(public_router(site))
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def not_found_under_base(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(BASE) and getattr(exc, "status_code", 0) in (404, 405):
            if not site.limiter.allow(_client(request)):
                return site.page("message.html", 429, heading="Tạm dừng tra cứu", message=TOO_MANY)
            return site.page("message.html", 404, heading="Không tìm thấy hồ sơ", message=NOT_FOUND)
        if previous is not None:
            answer = previous(request, exc)
            return answer if isinstance(answer, Response) else await answer
        from fastapi.exception_handlers import http_exception_handler

        assert isinstance(exc, StarletteHTTPException)
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found_under_base)


def public_router(site: PublicSite) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def limited(request: Request, cost: float = 1.0) -> HTMLResponse | None:
        if site.limiter.allow(_client(request), cost):
            return None
        response = site.page("message.html", 429, heading="Tạm dừng tra cứu", message=TOO_MANY)
        response.headers["Retry-After"] = "60"
        return response

    def not_found() -> HTMLResponse:
        return site.page("message.html", 404, heading="Không tìm thấy hồ sơ", message=NOT_FOUND)

    @router.get(f"{BASE}/static/site.css")
    async def css() -> Response:
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
        return Response(site.css, media_type="text/css", headers=headers)

    @router.get("/favicon.ico")
    async def favicon() -> Response:  # browsers ask for it; nothing to show
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    @router.get("/robots.txt")
    async def robots() -> Response:
        return Response("User-agent: *\nDisallow: /\n", media_type="text/plain")

    @router.get(BASE)
    async def form_page(request: Request) -> Response:
        return limited(request) or site.page("form.html", code="", message="")

    @router.post(BASE)
    async def form_lookup(request: Request) -> Response:
        if (blocked := limited(request)) is not None:
            return blocked
        form = await _small_form(request)
        if form is None:
            return site.page("message.html", 413, heading="Không tra cứu được", message=TOO_LARGE)
        code, last4 = form["code"].strip(), form["last4"].strip()
        view = await run_in_threadpool(site.by_last4, code, last4) if _plausible(code, last4) else None
        if view is None:
            return site.page("form.html", 404, code=code[:MAX_CODE], message=NOT_FOUND)
        return site.dossier_page(view)

    @router.get(BASE + "/{code}")
    async def dossier(request: Request, code: str, k: str = "") -> Response:
        if (blocked := limited(request)) is not None:
            return blocked
        if not k:  # a QR of an older receipt without a secret: ask for the last 4 digits
            return site.page("form.html", code=code[:MAX_CODE] if _plausible(code) else "", message="")
        if not _plausible(code, k):
            return not_found()
        view, _ = await run_in_threadpool(site.by_secret, code, k)
        if view is None:
            return not_found()
        thanks = (
            "Cảm ơn ông/bà đã đánh giá!" if view.rated and request.query_params.get("da-danh-gia") else ""
        )
        return site.dossier_page(view, k, thanks=thanks)

    @router.post(BASE + "/{code}/danh-gia")
    async def rate(request: Request, code: str) -> Response:
        if (blocked := limited(request, 2.0)) is not None:
            return blocked
        form = await _small_form(request)
        if form is None:
            return site.page("message.html", 413, heading="Không gửi được đánh giá", message=TOO_LARGE)
        secret = form["k"]
        if not _plausible(code, secret):
            return not_found()
        view, events = await run_in_threadpool(site.by_secret, code, secret)
        if view is None:
            return not_found()
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not (cookie and form["csrf"] and secrets.compare_digest(cookie, form["csrf"])):
            return site.dossier_page(
                view, secret, 403, message="Phiên đánh giá đã hết hạn. Vui lòng mở lại trang và gửi lại."
            )
        if not view.can_rate:
            message = (
                "Hồ sơ này đã được đánh giá." if view.rated else "Chỉ đánh giá được sau khi đã nhận kết quả."
            )
            return site.dossier_page(view, secret, 409, message=message)
        try:
            stored = await run_in_threadpool(site.rate, view, events, form)
        except InputErrors as exc:
            return site.dossier_page(view, secret, 400, message=" ".join(exc.errors.values()))
        if not stored:
            return site.dossier_page(view, secret, 409, message="Hồ sơ này đã được đánh giá.")
        target = f"{BASE}/{quote(code, safe='')}?k={quote(secret, safe='')}&da-danh-gia=1"
        response = RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(CSRF_COOKIE, path=BASE)
        return response

    return router
