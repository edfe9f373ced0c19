"""Routes of the province's dashboard (``/quan-tri``): server-rendered Jinja2, no script.

Every figure comes from ``central.reporting``; this layer picks the period,
checks who may see what, renders and audits. Personal data (applicants' names)
reaches only the roles that need it and never a URL, a query string or a log:
links carry unit codes, period keys and cell names.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from central import reporting
from central import service as svc
from central.public.router import RateLimiter
from central.web import accounts as acc
from central.web import downloads
from central.web.qr import qr_svg
from desk_app.reports.indicators import CELLS, NO_DATA, Indicator
from desk_app.reports.periodic import COLUMNS, GROUPS, row_values
from desk_app.reports.periods import Period, half_of, month_of, parse_period, quarter_of, year_of
from desk_app.workcalendar import VN_TZ

log = logging.getLogger("central.web")

BASE = "/quan-tri"
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "qt_phien"
LOGIN_CSRF_COOKIE = "qt_csrf"
STALE_AFTER = dt.timedelta(hours=48)
MAX_UPLOAD = 20 * 2**20 + 64 * 1024  # the catalogue parser's own cap plus the form's envelope

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
LOCKED = (
    "Đăng nhập tạm bị khóa do nhập sai nhiều lần. Vui lòng thử lại sau 15 phút "
    "hoặc liên hệ quản trị cấp tỉnh."
)
TOO_FAST = "Quá nhiều lần đăng nhập trong thời gian ngắn. Vui lòng thử lại sau ít phút."
EXPIRED_FORM = "Phiên làm việc của biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại."
FORBIDDEN = "Tài khoản của ông/bà không có quyền xem hoặc thực hiện chức năng này."

# The scorecard's indicator columns (codes of ``indicators_766``) with short headers, in order.
SCORE_INDICATORS: dict[str, str] = {
    "2.1": "Đúng hạn (2.1)",
    "2.x": "Tỷ lệ quá hạn",
    "4.x": "Trực tuyến",
    "4.2": "Số hóa (4.2)",
    "5.4": "Hài lòng (5.4)",
}
OUTCOME_LABEL = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
    "in_time": "Trong hạn",
    "overdue": "Đang quá hạn",
    "dropped": "Rút, dừng",
    "none": "",
}


class Refused(Exception):
    """The signed-in role may not do this (answered with a 403 page)."""


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class PeriodChoice:
    key: str
    label: str
    group: str


def period_choices(today: dt.date) -> list[PeriodChoice]:
    """The periods offered in the picker: 12 months, 4 quarters, 2 halves, 3 years back from today."""
    out: list[PeriodChoice] = []
    y, mo = today.year, today.month
    for _ in range(12):
        out.append(PeriodChoice(f"{y}-{mo:02d}", month_of(y, mo).label, "Tháng"))
        y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
    y, q = today.year, (today.month - 1) // 3 + 1
    for _ in range(4):
        out.append(PeriodChoice(f"{y}-Q{q}", quarter_of(y, q).label, "Quý"))
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    y, h = today.year, 1 if today.month <= 6 else 2
    for _ in range(2):
        out.append(PeriodChoice(f"{y}-H{h}", half_of(y, h).label, "6 tháng"))
        y, h = (y, 1) if h == 2 else (y - 1, 2)
    for k in range(3):
        out.append(PeriodChoice(f"{today.year - k}", year_of(today.year - k).label, "Năm"))
    return out


def column_labels() -> list[str]:
    """Each column of the periodic table with its group ("Số hồ sơ đã giải quyết – Trước hạn"):
    a phone shows one cell per line, away from the two-row header."""
    out = []
    for index, (_key, head) in enumerate(COLUMNS):
        group = next((title for title, first, last in GROUPS if first <= index <= last), "")
        out.append(f"{group} – {head}" if group else head)
    return out


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _percent(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f}".replace(".", ",") + "%"


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(VN_TZ) if value.tzinfo else value
    return f"{local:%H:%M} {local:%d/%m/%Y}"


def _iso_when(value: str | None) -> str:
    """A stored ISO time (devices' enrolment, audit) in Vietnam time."""
    try:
        return _when(dt.datetime.fromisoformat(value)) if value else ""
    except ValueError:
        return value or ""


def _day(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(VN_TZ) if value.tzinfo else value
    return f"{local:%d/%m/%Y}"


class Dashboard:
    """State of the dashboard: the store, its clock, the login rate limiter and the templates."""

    def __init__(
        self,
        store: svc.Store,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        policy: acc.Policy = acc.DEFAULT_POLICY,
        secure_cookies: bool | None = None,
        login_rate: float = 0.5,
        login_burst: float = 20,
    ):
        self.store = store
        self.clock = clock or store.clock
        self.policy = policy
        # Secure cookies always, whatever the request says (MOTCUA_SECURE_COOKIES=1); see ``secure``.
        self.force_secure = (
            secure_cookies if secure_cookies is not None else os.environ.get("MOTCUA_SECURE_COOKIES") == "1"
        )
        self.limiter = RateLimiter(login_rate, login_burst)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
        )
        self.env.globals.update(
            base=BASE,
            number=_number,
            percent=_percent,
            when=_when,
            iso_when=_iso_when,
            day=_day,
            no_data=NO_DATA,
        )
        self.css = (HERE / "static" / "dash.css").read_bytes()

    def now(self) -> dt.datetime:
        return self.clock().astimezone(VN_TZ)

    # ------------------------------------------------------------ rendering
    def page(
        self, template: str, status: int = 200, session: acc.Session | None = None, **context: Any
    ) -> HTMLResponse:
        html = self.env.get_template(template).render(
            static_url=f"{BASE}/static/dash.css",
            me=session.staff if session else None,
            csrf=session.csrf if session else "",
            now=self.now(),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def secure(self, request: Request) -> bool:
        """Secure cookies over HTTPS: the request's own scheme, the trusted TLS proxy's
        ``X-Forwarded-Proto`` (the last hop, as for ``X-Forwarded-For``), or forced."""
        if self.force_secure or request.url.scheme == "https":
            return True
        central = getattr(request.app.state, "central", None)
        trusted = getattr(central, "trusted_proxy", None)
        peer = request.client.host if request.client else ""
        if trusted is None or peer != str(trusted):
            return False
        forwarded = request.headers.getlist("x-forwarded-proto")
        return bool(forwarded) and forwarded[-1].split(",")[-1].strip().lower() == "https"

    def audit(self, request: Request, who: str, action: str, target: str = "", ok: bool = True) -> None:
        acc.audit(self.store, self.now(), who, action, target, _client(request), ok)
        log.info("dashboard", extra={"user": who, "action": action, "target": target, "ok": ok})


def _client(request: Request) -> str:
    from central.app import _client as client_address

    return client_address(request)


def _redirect(target: str, headers: dict[str, str] | None = None) -> RedirectResponse:
    return RedirectResponse(target, status_code=303, headers={**SECURITY_HEADERS, **(headers or {})})


def install(app: FastAPI, site: Dashboard) -> None:
    """Mount the dashboard on ``app`` with its own 403/404 pages under ``BASE``."""
    from starlette.exceptions import HTTPException as StarletteHTTPException

    app.state.dashboard = site
    app.include_router(dashboard_router(site))
    previous = app.exception_handlers.get(StarletteHTTPException)

    async def not_found_under_base(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(BASE) and getattr(exc, "status_code", 0) in (404, 405):
            return site.page(
                "message.html", 404, heading="Không tìm thấy trang", message="Trang này không tồn tại."
            )
        assert previous is not None
        answer = previous(request, exc)
        return answer if isinstance(answer, Response) else await answer

    if previous is not None:
        app.add_exception_handler(StarletteHTTPException, not_found_under_base)

    async def fault_under_base(request: Request, _exc: Exception) -> Response:
        """A fault on a dashboard page: a Vietnamese page, no traceback (Starlette logs the error)."""
        if request.url.path.startswith(BASE):
            return site.page(
                "message.html",
                500,
                heading="Máy chủ gặp lỗi",
                message="Không hiển thị được trang này do lỗi của máy chủ. Vui lòng thử lại sau; "
                "nếu vẫn lỗi, báo quản trị hệ thống (thời điểm lỗi đã được ghi lại).",
            )
        return PlainTextResponse("Internal Server Error", status_code=500)

    app.add_exception_handler(Exception, fault_under_base)


def dashboard_router(site: Dashboard) -> APIRouter:  # noqa: C901 - one closure per page
    router = APIRouter(include_in_schema=False)
    store = site.store

    # ------------------------------------------------------------ helpers
    def session_of(request: Request) -> acc.Session | None:
        return acc.session_of(store, request.cookies.get(SESSION_COOKIE, ""), site.now(), site.policy)

    def to_login() -> RedirectResponse:
        return _redirect(f"{BASE}/dang-nhap")

    def refused(request: Request, session: acc.Session, what: str) -> HTMLResponse:
        site.audit(request, session.staff.username, "refused", what, ok=False)
        return site.page("message.html", 403, session, heading="Không có quyền truy cập", message=FORBIDDEN)

    def csrf_ok(session: acc.Session, token: str) -> bool:
        return bool(token) and secrets.compare_digest(session.csrf.encode(), token.encode())

    def expired_form(session: acc.Session) -> HTMLResponse:
        return site.page("message.html", 403, session, heading="Không thực hiện được", message=EXPIRED_FORM)

    def units() -> dict[str, str]:
        return {u["code"]: u["name"] for u in svc.list_units(store)}

    def period_of(key: str | None) -> tuple[Period, str]:
        if key:
            try:
                return parse_period(key), key
            except ValueError:
                pass
        today = site.now().date()
        return month_of(today.year, today.month), f"{today.year}-{today.month:02d}"

    def unit_or_404(code: str) -> str:
        if code not in units():
            raise NotFound(code)
        return code

    def not_found(session: acc.Session | None) -> HTMLResponse:
        return site.page(
            "message.html",
            404,
            session,
            heading="Không tìm thấy",
            message="Không có đơn vị hoặc số liệu này.",
        )

    # ------------------------------------------------------------ static
    @router.get(f"{BASE}/static/dash.css")
    def css() -> Response:
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
        return Response(site.css, media_type="text/css", headers=headers)

    # ------------------------------------------------------------ login / logout
    @router.get(f"{BASE}/dang-nhap")
    def login_form(request: Request) -> Response:
        if session_of(request) is not None:
            return _redirect(BASE)
        return login_page(request, "", "")

    def login_page(request: Request, username: str, message: str, status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        response = site.page("login.html", status, login_csrf=token, username=username, message=message)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=site.secure(request),
            path=BASE,
            max_age=3600,
        )
        return response

    @router.post(f"{BASE}/dang-nhap")
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=100)] = "",
        password: Annotated[str, Form(max_length=acc.MAX_PASSWORD)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        client = _client(request)
        name = username.strip().lower()[:64]
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not (cookie and csrf and secrets.compare_digest(cookie.encode(), csrf.encode())):
            site.audit(request, name, "login_csrf_refused", ok=False)
            return login_page(request, name, EXPIRED_FORM, 403)
        if not site.limiter.allow(client):
            site.audit(request, name, "login_rate_limited", ok=False)
            return login_page(request, name, TOO_FAST, 429)
        result = acc.login(store, name, password, client, site.now(), site.policy)
        if result.staff is None:
            site.audit(
                request, name, "login_locked" if result.outcome == "locked" else "login_failed", ok=False
            )
            return login_page(request, name, LOCKED if result.outcome == "locked" else BAD_LOGIN, 401)
        stale = request.cookies.get(SESSION_COOKIE, "")
        if stale:  # a new login never keeps the session the browser had (fixation)
            acc.end_session(store, stale)
        token, _csrf = acc.new_session(store, result.staff.username, site.now(), site.policy)
        site.audit(request, result.staff.username, "login")
        response = _redirect(BASE)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=site.secure(request),
            path=BASE,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=BASE)
        return response

    @router.post(f"{BASE}/dang-xuat")
    def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
        session = session_of(request)
        if session is None:
            return to_login()
        if not csrf_ok(session, csrf):
            return expired_form(session)
        acc.end_session(store, request.cookies.get(SESSION_COOKIE, ""))
        site.audit(request, session.staff.username, "logout")
        response = to_login()
        response.delete_cookie(SESSION_COOKIE, path=BASE)
        return response

    # ------------------------------------------------------------ scorecard
    @router.get(BASE)
    def scorecard(request: Request, ky: str | None = None) -> Response:
        session = session_of(request)
        if session is None:
            return to_login()
        period, key = period_of(ky)
        now = site.now()
        cards = reporting.scorecards(store, period, now)
        province = reporting.periodic(store, period, now) if session.staff.may_see_province() else None
        rows = []
        for c in cards:
            by_code = {i.code: i for i in c.indicators}
            stale = c.last_change_at is None or now - c.last_change_at > STALE_AFTER
            rows.append(
                {
                    "card": c,
                    "indicators": [by_code.get(code) for code in SCORE_INDICATORS],
                    "stale": stale,
                    "may_open": session.staff.may_see_unit(c.unit_code),
                }
            )
        total_indicators: list[Indicator | None] = []
        if province is not None:
            by_code = {i.code: i for i in province.indicators}
            total_indicators = [by_code.get(code) for code in SCORE_INDICATORS]
        site.audit(request, session.staff.username, "view_scorecard", f"period={key}")
        return site.page(
            "scorecard.html",
            session=session,
            period=period,
            key=key,
            choices=period_choices(now.date()),
            rows=rows,
            province=province,
            province_overdue_now=sum(c.overdue_now for c in cards),
            total_indicators=total_indicators,
            indicator_codes=list(SCORE_INDICATORS),
            indicator_heads=SCORE_INDICATORS,
            indicator_names={i.code: i.name for i in (cards[0].indicators if cards else [])},
            stale_hours=int(STALE_AFTER.total_seconds() // 3600),
        )

    # ------------------------------------------------------------ drill-down
    def dossier_list(
        request: Request,
        session: acc.Session,
        unit: str,
        title: str,
        lines: list[reporting.DossierLine],
        target: str,
        period: Period | None,
        key: str,
    ) -> Response:
        names = session.staff.sees_personal_data(unit)
        site.audit(request, session.staff.username, "view_dossiers", target)
        return site.page(
            "dossiers.html",
            session=session,
            unit_code=unit,
            unit_name=units().get(unit, unit),
            title=title,
            lines=lines,
            show_names=names,
            outcome_label=OUTCOME_LABEL,
            period=period,
            key=key,
        )

    def unit_session(request: Request, unit: str, target: str, found: bool = True) -> acc.Session | Response:
        """The session of a page about one unit, or the answer instead of it: the login page,
        a 404 (unknown unit, or ``found`` false) or a refusal (another unit's manager)."""
        session = session_of(request)
        if session is None:
            return to_login()
        if unit not in units() or not found:
            return not_found(session)
        if not session.staff.may_see_unit(unit):
            return refused(request, session, target)
        return session

    @router.get(BASE + "/don-vi/{unit}/qua-han")
    def overdue(request: Request, unit: str) -> Response:
        session = unit_session(request, unit, f"overdue unit={unit}")
        if not isinstance(session, acc.Session):
            return session
        lines = reporting.overdue_dossiers(store, unit, site.now())
        return dossier_list(
            request, session, unit, "Hồ sơ đang quá hạn", lines, f"overdue unit={unit}", None, ""
        )

    @router.get(BASE + "/don-vi/{unit}/canh-bao")
    def warnings(request: Request, unit: str) -> Response:
        """The penalty preview: dossiers that would cost the unit points, and what avoids it."""
        session = unit_session(request, unit, f"warnings unit={unit}")
        if not isinstance(session, acc.Session):
            return session
        items = reporting.at_risk(store, unit, site.now())
        site.audit(request, session.staff.username, "view_warnings", f"warnings unit={unit}")
        return site.page(
            "warnings.html",
            session=session,
            unit_code=unit,
            unit_name=units().get(unit, unit),
            items=items,
            show_names=session.staff.sees_personal_data(unit),
        )

    @router.get(BASE + "/don-vi/{unit}/so-lieu/{cell}")
    def cell(request: Request, unit: str, cell: str, ky: str | None = None) -> Response:
        session = unit_session(request, unit, f"cell unit={unit} cell={cell}", cell in CELLS)
        if not isinstance(session, acc.Session):
            return session
        period, key = period_of(ky)
        lines = reporting.cell_dossiers(store, period, site.now(), unit, cell)
        title = f"{CELLS[cell][0]} — {period.label}"
        return dossier_list(
            request, session, unit, title, lines, f"cell unit={unit} cell={cell} period={key}", period, key
        )

    # ------------------------------------------------------------ periodic report
    def report_of(
        request: Request, session: acc.Session, unit: str, ky: str | None
    ) -> tuple[Any, Period, str] | Response:
        if unit:
            try:
                unit_or_404(unit)
            except NotFound:
                return not_found(session)
            if not session.staff.may_see_unit(unit):
                return refused(request, session, f"report unit={unit}")
        elif not session.staff.may_see_province():
            return refused(request, session, "report province")
        period, key = period_of(ky)
        return reporting.periodic(store, period, site.now(), unit or None), period, key

    @router.get(BASE + "/bao-cao")
    def report(
        request: Request,
        ky: str | None = None,
        don_vi: Annotated[str, Query(alias="don-vi", max_length=40)] = "",
    ) -> Response:
        session = session_of(request)
        if session is None:
            return to_login()
        unit = don_vi.strip()
        if not unit and session.staff.role == acc.UNIT_MANAGER:
            unit = session.staff.unit_code
        got = report_of(request, session, unit, ky)
        if isinstance(got, Response):
            return got
        rep, period, key = got
        site.audit(request, session.staff.username, "view_report", f"unit={unit or '*'} period={key}")
        query = urlencode({"ky": key, **({"don-vi": unit} if unit else {})})
        all_units = units()
        return site.page(
            "report.html",
            session=session,
            report=rep,
            period=period,
            key=key,
            unit=unit,
            units=[(c, n) for c, n in all_units.items() if session.staff.may_see_unit(c)],
            choices=period_choices(site.now().date()),
            columns=COLUMNS,
            column_labels=column_labels(),
            groups=GROUPS,
            values=row_values,
            query=query,
        )

    def download(request: Request, ky: str | None, unit: str, kind: str) -> Response:
        session = session_of(request)
        if session is None:
            return to_login()
        unit = unit.strip()
        if not unit and session.staff.role == acc.UNIT_MANAGER:
            unit = session.staff.unit_code
        got = report_of(request, session, unit, ky)
        if isinstance(got, Response):
            return got
        rep, _period, key = got
        if kind == "xlsx":
            data, media = downloads.xlsx_bytes(rep), downloads.XLSX_TYPE
        else:
            data, media = downloads.pdf_bytes(rep), "application/pdf"
        name = downloads.file_name(unit, key, kind)
        site.audit(request, session.staff.username, f"download_{kind}", f"unit={unit or '*'} period={key}")
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type=media, headers=headers)

    @router.get(BASE + "/bao-cao/tai-ve.xlsx")
    def report_xlsx(
        request: Request,
        ky: str | None = None,
        don_vi: Annotated[str, Query(alias="don-vi", max_length=40)] = "",
    ) -> Response:
        return download(request, ky, don_vi, "xlsx")

    @router.get(BASE + "/bao-cao/tai-ve.pdf")
    def report_pdf(
        request: Request,
        ky: str | None = None,
        don_vi: Annotated[str, Query(alias="don-vi", max_length=40)] = "",
    ) -> Response:
        return download(request, ky, don_vi, "pdf")

    # ------------------------------------------------------------ admin: units
    def admin_session(request: Request, what: str) -> acc.Session | Response:
        session = session_of(request)
        if session is None:
            return to_login()
        if not session.staff.is_admin:
            return refused(request, session, what)
        return session

    @router.get(BASE + "/quan-ly/don-vi")
    def units_page(request: Request) -> Response:
        got = admin_session(request, "units")
        if isinstance(got, Response):
            return got
        return site.page("units.html", session=got, units=svc.list_units(store), message="", error="")

    @router.post(BASE + "/quan-ly/don-vi")
    def units_save(
        request: Request,
        code: Annotated[str, Form(max_length=40)] = "",
        name: Annotated[str, Form(max_length=300)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        got = admin_session(request, "unit_save")
        if isinstance(got, Response):
            return got
        if not csrf_ok(got, csrf):
            return expired_form(got)
        message, error, status = "", "", 200
        code, name = code.strip(), name.strip()
        try:
            if not name:
                raise svc.AdminError("Cần nhập tên đơn vị.")
            existed = code in units()
            svc.add_unit(store, code, name)
            site.audit(request, got.staff.username, "unit_rename" if existed else "unit_add", f"unit={code}")
            message = f"Đã lưu đơn vị {code}."
        except svc.AdminError as exc:
            error, status = str(exc), 400
        return site.page(
            "units.html", status, session=got, units=svc.list_units(store), message=message, error=error
        )

    # ------------------------------------------------------------ admin: devices
    def devices_page_for(
        session: acc.Session, status: int = 200, message: str = "", error: str = "", enrolled: Any = None
    ) -> HTMLResponse:
        staff = session.staff
        mine = None if staff.is_admin else staff.unit_code
        names = units()
        return site.page(
            "devices.html",
            status,
            session=session,
            devices=svc.list_devices(store, mine) if mine != "" else [],
            units=[(c, n) for c, n in names.items() if staff.may_manage_devices(c)],
            unit_names=names,
            message=message,
            error=error,
            enrolled=enrolled,
            enrol_days=svc.ENROL_CODE_DAYS,
        )

    def device_session(request: Request, what: str) -> acc.Session | Response:
        session = session_of(request)
        if session is None:
            return to_login()
        if not session.staff.may_manage_devices():
            return refused(request, session, what)
        return session

    @router.get(BASE + "/quan-ly/thiet-bi")
    def devices(request: Request) -> Response:
        got = device_session(request, "devices")
        if isinstance(got, Response):
            return got
        return devices_page_for(got)

    @router.post(BASE + "/quan-ly/thiet-bi/dang-ky")
    def device_enrol(
        request: Request,
        unit: Annotated[str, Form(max_length=40)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        got = device_session(request, "device_enrol")
        if isinstance(got, Response):
            return got
        if not csrf_ok(got, csrf):
            return expired_form(got)
        if not got.staff.may_manage_devices(unit):
            return refused(request, got, f"device_enrol unit={unit}")
        try:
            code = svc.new_enrol_code(store, unit)
        except svc.AdminError as exc:
            return devices_page_for(got, 400, error=str(exc))
        site.audit(request, got.staff.username, "device_enrol_code", f"unit={unit}")
        enrolled = {"unit": unit, "code": code, "qr": qr_svg(code)}
        return devices_page_for(got, enrolled=enrolled)

    @router.post(BASE + "/quan-ly/thiet-bi/thu-hoi")
    def device_revoke(
        request: Request,
        device_id: Annotated[str, Form(max_length=64)] = "",
        reason: Annotated[str, Form(max_length=300)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        got = device_session(request, "device_revoke")
        if isinstance(got, Response):
            return got
        if not csrf_ok(got, csrf):
            return expired_form(got)
        found = [d for d in svc.list_devices(store) if d["id"] == device_id]
        if not found:
            return devices_page_for(got, 404, error="Không có thiết bị này.")
        if not got.staff.may_manage_devices(found[0]["unit_code"]):
            return refused(request, got, f"device_revoke device={device_id}")
        svc.revoke(store, device_id, reason.strip())
        site.audit(request, got.staff.username, "device_revoke", f"device={device_id}")
        return devices_page_for(got, message="Đã thu hồi thiết bị; thiết bị không đồng bộ được nữa.")

    # ------------------------------------------------------------ admin: calendar
    def calendar_page_for(
        session: acc.Session, status: int = 200, message: str = "", error: str = ""
    ) -> Response:
        return site.page(
            "calendar.html",
            status,
            session=session,
            units=list(units().items()),
            message=message,
            error=error,
        )

    @router.get(BASE + "/quan-ly/lich")
    def calendar(request: Request) -> Response:
        got = admin_session(request, "calendar")
        if isinstance(got, Response):
            return got
        return calendar_page_for(got)

    @router.post(BASE + "/quan-ly/lich")
    def calendar_save(
        request: Request,
        day: Annotated[str, Form(max_length=20)] = "",
        kind: Annotated[str, Form(max_length=10)] = "",
        unit: Annotated[str, Form(max_length=40)] = "",
        note: Annotated[str, Form(max_length=300)] = "",
        decision: Annotated[str, Form(max_length=300)] = "",
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        got = admin_session(request, "calendar_save")
        if isinstance(got, Response):
            return got
        if not csrf_ok(got, csrf):
            return expired_form(got)
        try:
            when = dt.date.fromisoformat(day.strip())
        except ValueError:
            return calendar_page_for(got, 400, error="Ngày không hợp lệ: chọn ngày trên lịch (YYYY-MM-DD).")
        try:
            svc.add_calendar_override(
                store, when, kind, unit.strip(), note.strip(), decision=decision.strip()
            )
        except svc.AdminError as exc:
            return calendar_page_for(got, 400, error=str(exc))
        site.audit(request, got.staff.username, "calendar", f"day={when} kind={kind} unit={unit or '*'}")
        label = {"off": "ngày nghỉ", "work": "ngày làm việc bù", "clear": "bỏ điều chỉnh"}.get(kind, kind)
        scope = f"đơn vị {unit}" if unit else "mọi đơn vị"
        return calendar_page_for(
            got, message=f"Đã thêm {label} {when:%d/%m/%Y} cho {scope}; các trạm nhận khi đồng bộ."
        )

    # ------------------------------------------------------------ admin: catalogue
    @router.get(BASE + "/quan-ly/danh-muc")
    def catalogue(request: Request) -> Response:
        got = admin_session(request, "catalogue")
        if isinstance(got, Response):
            return got
        return site.page("catalogue.html", session=got, message="", error="")

    @router.post(BASE + "/quan-ly/danh-muc")
    def catalogue_import(
        request: Request,
        file: Annotated[UploadFile | None, File()] = None,
        csrf: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        got = admin_session(request, "catalogue_import")
        if isinstance(got, Response):
            return got
        if not csrf_ok(got, csrf):
            return expired_form(got)
        from desk_app.formats.catalog_files import CatalogImportError, parse_catalog_file

        def answer(status: int, message: str = "", error: str = "") -> Response:
            return site.page("catalogue.html", status, session=got, message=message, error=error)

        if file is None or not file.filename:
            return answer(400, error="Chưa chọn tệp danh mục (.xlsx hoặc .csv).")
        suffix = Path(file.filename).suffix.lower()
        if suffix not in (".xlsx", ".csv"):
            return answer(
                400, error=f"Không hỗ trợ loại tệp “{suffix or '(không có đuôi)'}”: chỉ nhận .xlsx hoặc .csv."
            )
        with tempfile.TemporaryDirectory(prefix="motcua-catalog-") as folder:
            path = Path(folder) / f"danh-muc{suffix}"
            with path.open("wb") as out:
                size = 0
                while chunk := file.file.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_UPLOAD:
                        return answer(413, error="Tệp quá lớn cho một danh mục thủ tục (tối đa 20 MB).")
                    out.write(chunk)
            try:
                procedures = parse_catalog_file(path)
            except CatalogImportError as exc:
                site.audit(request, got.staff.username, "catalogue_import", "refused", ok=False)
                return answer(400, error=str(exc))
        count = svc.import_procedures(store, procedures)
        site.audit(request, got.staff.username, "catalogue_import", f"procedures={count}")
        return answer(200, message=f"Đã nhập {count} thủ tục; các trạm nhận khi đồng bộ.")

    # ------------------------------------------------------------ admin: audit log
    @router.get(BASE + "/quan-ly/nhat-ky")
    def audit_page(request: Request) -> Response:
        got = admin_session(request, "audit")
        if isinstance(got, Response):
            return got
        return site.page("audit.html", session=got, rows=acc.audit_rows(store, 300))

    return router
