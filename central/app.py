"""The central server's HTTP API (FastAPI).

Endpoints (all under ``/v1`` need ``Authorization: Bearer <device token>``
except enrolment):

* ``GET  /health`` — liveness and database kind.
* ``POST /v1/enrol`` — spend a one-time enrolment code, get a device token and fallback slot.
* ``GET  /v1/me`` — who the token belongs to.
* ``POST /v1/changes`` — push a batch of outbox changes; per-change results after commit.
* ``GET  /v1/changes?after=N&limit=L`` — pull changes of the device's scope after cursor N.
* ``POST /v1/leases`` — a block of the unit's dossier numbers for a day.
* ``GET  /v1/conflicts`` — the unit's dossiers whose merged history holds conflicts.

See ``central/README.md`` for the protocol.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator
from pydantic_core import from_json

from central import service as svc
from central.db import make_engine, migrate
from desk_app.domain import wire
from desk_app.domain.errors import CodeSpaceExhausted

log = logging.getLogger("central.api")

MAX_BODY = 32 * 1024 * 1024
MAX_SMALL_BODY = 64 * 1024  # every body but a push (enrolment, leases) or a file chunk
MAX_FILE_CHUNK = 8 * 1024 * 1024  # one chunk of a dossier file (central/files.py)
MAX_BATCH = 2000
MAX_UPLOAD_PATH = "/quan-tri/quan-ly/danh-muc"  # the dashboard's catalogue upload (central/web)
MAX_CATALOGUE_UPLOAD = 20 * 1024 * 1024 + 64 * 1024  # the catalogue parser's cap plus the form's envelope
RATE_TABLE_SIZE = 10_000  # buckets kept per limiter; the least recently used go first


def _encodable(value: str) -> str:
    """Refuse lone surrogates (valid JSON escapes, but no text): they break hashing and storage."""
    value.encode("utf-8")
    return value


CleanStr = Annotated[str, AfterValidator(_encodable)]


# ---------------------------------------------------------------- wire schemas
class EnrolRequest(BaseModel):
    code: CleanStr = Field(min_length=4, max_length=64)
    device_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    name: CleanStr = Field(default="", max_length=200)
    local_high: dict[str, int] = Field(
        default_factory=dict, description="yymmdd -> highest number used locally"
    )

    @field_validator("local_high")
    @classmethod
    def _days(cls, value: dict[str, int]) -> dict[str, int]:
        for day, high in value.items():
            if not re.fullmatch(r"[0-9]{6}", day) or not 0 <= high <= 9999:
                raise ValueError("local_high: khóa dạng yymmdd, giá trị 0..9999")
        return value


class EnrolResponse(BaseModel):
    token: str
    device_id: str
    unit_code: str
    unit_name: str
    slot: int


PushChange = wire.WireChange


class PushRequest(BaseModel):
    changes: list[wire.WireChange] = Field(max_length=MAX_BATCH)


class LeanChange:
    """A pushed change that passed the envelope check (the fast path of ``parse_push_body``)."""

    __slots__ = ("id", "kind", "entity_id", "payload")

    def __init__(self, id: str, kind: str, entity_id: str, payload: Any):  # noqa: A002
        self.id, self.kind, self.entity_id, self.payload = id, kind, entity_id, payload


_dump_answer = json.JSONEncoder(ensure_ascii=False).encode


def parse_push_body(raw: bytes) -> list[Any]:
    """The changes of a push body, checked like ``PushRequest`` but without building one
    pydantic model per change (that cost more than the database work of a batch).

    The common, well-formed case is checked by hand; anything else goes through
    ``PushRequest`` itself so a malformed body gets pydantic's exact 422 errors.
    Per-change content is checked with the wire schema by ``svc.push``. The JSON parser
    (pydantic's) refuses invalid UTF-8, lone surrogates and nesting deeper than 200.
    """
    try:
        data = from_json(raw)
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {exc}", "input": {}}]
        ) from None
    changes = data.get("changes") if type(data) is dict else None
    if type(changes) is list and len(changes) <= MAX_BATCH:
        out: list[Any] = []
        for ch in changes:
            if type(ch) is not dict:
                break
            cid, kind, entity = ch.get("id"), ch.get("kind"), ch.get("entity_id", "")
            if (
                type(cid) is not str
                or type(kind) is not str
                or type(entity) is not str
                or len(cid) > 200
                or len(kind) > 200
                or len(entity) > 200
            ):
                break
            out.append(LeanChange(cid, kind, entity, ch.get("payload")))
        else:
            return out
    try:
        return list(PushRequest.model_validate(data).changes)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


class ChangeResultModel(BaseModel):
    id: str
    status: str = Field(description="ok | duplicate | rejected")
    reason: str = ""


class PushResponse(BaseModel):
    results: list[ChangeResultModel]
    accepted: int
    duplicates: int
    rejected: int


class PulledChange(BaseModel):
    seq: int
    kind: str
    payload: dict[str, Any]


class PullResponse(BaseModel):
    changes: list[PulledChange]
    next: int = Field(description="the cursor to store after applying these changes")
    more: bool
    head: int


class LeaseRequest(BaseModel):
    id: str = Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9-]+$",
        description="client request id; a retry returns the same block",
    )
    day: str = Field(pattern=r"^\d{6}$", description="yymmdd")
    size: int = Field(default=20, ge=1, le=svc.MAX_LEASE_SIZE)

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        dt.datetime.strptime(value, "%y%m%d")
        return value


class LeaseResponse(BaseModel):
    id: str
    day: str
    start: int
    end: int


class DeviceResponse(BaseModel):
    device_id: str
    unit_code: str
    slot: int
    name: str


# ---------------------------------------------------------------- rate limit and caches
class TokenBucket:
    """Token buckets per key, at most ``max_keys`` of them (least recently used evicted), so a
    stream of made-up keys (spoofed addresses) cannot grow the table without bound."""

    def __init__(self, rate: float, burst: float, max_keys: int = RATE_TABLE_SIZE):
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._state)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._state[key] = (tokens - 1 if allowed else tokens, now)
            while len(self._state) > self.max_keys:
                self._state.popitem(last=False)
            return allowed


class Central:
    """Per-process state of the server: store, auth cache, heads cache, rate limiter."""

    def __init__(
        self,
        store: svc.Store,
        auth_ttl: float,
        head_ttl: float,
        rate: float,
        burst: float,
        *,
        trusted_proxy: str | None = None,
        max_body: int = MAX_BODY,
        enrol_rate: float = 5.0,
        enrol_burst: float = 20.0,
    ):
        self.store = store
        self.auth_ttl = auth_ttl
        self.head_ttl = head_ttl
        self.bucket = TokenBucket(rate, burst)
        # enrolment: per client address, and all addresses together (spoofing cannot multiply it)
        self.enrol_bucket = TokenBucket(enrol_rate, enrol_burst)
        self.enrol_total = TokenBucket(enrol_rate * 10, enrol_burst * 10)
        self.trusted_proxy = ipaddress.ip_address(trusted_proxy) if trusted_proxy else None
        self.max_body = max_body
        self._auth: dict[str, tuple[svc.DeviceInfo | None, float]] = {}
        self.heads: dict[str, int] = {}
        self.heads_at = -1e9
        self._heads_lock = threading.Lock()
        self._refresh_lock = asyncio.Lock()
        self._refresh_task: asyncio.Future[None] | None = None
        self._rechecking: set[str] = set()
        store.on_heads = self.merge_heads

    def merge_heads(self, heads: dict[str, int]) -> None:
        with self._heads_lock:
            for unit, seq in heads.items():
                if seq > self.heads.get(unit, 0):
                    self.heads[unit] = seq

    def refresh_heads(self) -> None:
        started = time.monotonic()
        fresh = svc.read_heads(self.store)
        self.merge_heads(fresh)
        self.heads_at = started

    def refresh_soon(self) -> None:
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.get_running_loop().create_task(run_in_threadpool(self.refresh_heads))

    def recheck_soon(self, token: str) -> None:
        if token in self._rechecking or len(self._rechecking) > 64:
            return
        self._rechecking.add(token)

        async def recheck() -> None:
            try:
                await self.device(token, force=True)
            finally:
                self._rechecking.discard(token)

        asyncio.get_running_loop().create_task(recheck())

    async def device(self, token: str, force: bool = False) -> svc.DeviceInfo | None:
        """The device of a token, cached for ``auth_ttl`` (each entry with ±25 % jitter so
        that a thousand devices' entries don't all expire in the same instant)."""
        now = time.monotonic()
        hit = self._auth.get(token)
        if hit is not None and now < hit[1] and not force:
            return hit[0]
        info = await run_in_threadpool(svc.device_by_token, self.store, token)
        if len(self._auth) > 100_000:
            self._auth.clear()
        self._auth[token] = (info, now + self.auth_ttl * (0.75 + random.random() / 2))
        return info


_NOTHING_HEADERS = [(b"content-type", b"application/json")]
_TOO_LARGE = b'{"detail":"Y\xc3\xaau c\xe1\xba\xa7u qu\xc3\xa1 l\xe1\xbb\x9bn."}'


class EdgeMiddleware:
    """Pure ASGI front door: refuses oversized bodies, and answers the commonest
    request — a device polling "anything after my cursor?" when nothing is new —
    from memory (cached token, in-memory latest seq per unit) without entering
    FastAPI or the database. Anything else goes on to the app unchanged.
    """

    def __init__(self, app: Any, central: Central):
        self.app = app
        self.central = central

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        limit = self.central.max_body if scope["path"] == "/v1/changes" else MAX_SMALL_BODY
        if scope["path"].startswith("/v1/files/"):
            limit = MAX_FILE_CHUNK
        elif scope["path"] == MAX_UPLOAD_PATH:
            limit = MAX_CATALOGUE_UPLOAD
        for name, value in headers:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _send(send, 413, _TOO_LARGE, close=True)
                return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            receive = _counting(receive, limit)
        if (
            scope["method"] == "GET"
            and scope["path"] == "/v1/changes"
            and await self._nothing_new(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _nothing_new(self, scope: dict[str, Any], send: Any) -> bool:
        central = self.central
        now = time.monotonic()
        if central.head_ttl <= 0:
            return False
        age = now - central.heads_at
        if age >= central.head_ttl:
            central.refresh_soon()  # in the background; meanwhile the slightly older view serves
            if age >= 2 * central.head_ttl:
                return False
        token = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = value
        if not token[:7].lower() == b"bearer ":
            return False
        raw = token[7:].strip().decode("latin-1")
        hit = central._auth.get(raw)
        if hit is None or hit[0] is None or hit[0].revoked_reason is not None:
            return False
        if now >= hit[1]:  # expired: look it up again in the background, serve briefly from the old entry
            central.recheck_soon(raw)
            if now >= hit[1] + central.auth_ttl / 2:
                return False
        device = hit[0]
        after = None
        for part in scope["query_string"].split(b"&"):
            key, _, value = part.partition(b"=")
            if key == b"after":
                after = int(value) if value.isdigit() and len(value) < 19 else None
            elif key == b"limit" and not (value.isdigit() and 1 <= int(value) <= 5000):
                return False
        if after is None:
            return False
        top = max(central.heads.get(device.unit_code, 0), central.heads.get("", 0))
        if after < top or not central.bucket.allow(device.id):
            return False
        await _send(send, 200, b'{"changes":[],"next":%d,"more":false,"head":%d}' % (after, after))
        return True


class BodyTooLarge(HTTPException):
    """Raised while a body streams in, as soon as it passes the limit (an HTTPException, so
    FastAPI's own body parsing passes it through unchanged)."""

    def __init__(self) -> None:
        # "Connection: close": the server stops reading the rest of the body at once
        super().__init__(413, "Yêu cầu quá lớn.", headers={"Connection": "close"})


def _counting(receive: Any, limit: int) -> Any:
    """``receive`` that counts body bytes as they arrive and stops at ``limit`` (with or
    without Content-Length, chunked or not): nothing past the limit is ever buffered."""
    seen = 0

    async def counted() -> dict[str, Any]:
        nonlocal seen
        message: dict[str, Any] = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return counted


async def _send(send: Any, status: int, body: bytes, close: bool = False) -> None:
    headers = [*_NOTHING_HEADERS, (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _state(request: Request) -> Central:
    state: Central = request.app.state.central
    return state


async def authenticate(request: Request) -> svc.DeviceInfo:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401,
            "Thiếu mã xác thực thiết bị (Authorization: Bearer …).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    central = _state(request)
    too_fast = HTTPException(
        429, "Thiết bị gửi yêu cầu quá nhanh; hãy thử lại sau giây lát.", headers={"Retry-After": "1"}
    )
    # A device known from an earlier request is rate-limited before the database look-up
    # (a flood must not reach the database); the look-up itself is never skipped.
    known = central._auth.get(token.strip())
    known_device = known[0] if known is not None else None
    limited = known_device is not None
    if known_device is not None and not central.bucket.allow(known_device.id):
        raise too_fast
    # Always from the database: a revocation takes effect on the very next request.
    device = await central.device(token.strip(), force=True)
    if device is None:
        log.warning("auth refused", extra={"reason": "unknown token", "client": _client(request)})
        raise HTTPException(
            401,
            "Mã xác thực thiết bị không đúng hoặc thiết bị chưa đăng ký.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if device.revoked_reason is not None:
        log.warning("auth refused", extra={"reason": "revoked", "device": device.id})
        raise HTTPException(403, f"Thiết bị đã bị thu hồi quyền đồng bộ: {device.revoked_reason}")
    if not limited and not central.bucket.allow(device.id):
        raise too_fast
    return device


def _client(request: Request) -> str:
    """The client's address: the TCP peer, or, only when the peer is the configured reverse
    proxy, the last hop of ``X-Forwarded-For`` (the address that proxy saw; anything to its
    left was written by the client and is ignored)."""
    peer = request.client.host if request.client else ""
    trusted = _state(request).trusted_proxy
    if trusted is None or not peer:
        return peer
    try:
        if ipaddress.ip_address(peer) != trusted:
            return peer
    except ValueError:
        return peer
    forwarded = request.headers.getlist("x-forwarded-for")
    last = forwarded[-1].split(",")[-1].strip() if forwarded else ""
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return peer


# ---------------------------------------------------------------- the app
def create_app(
    db_url: str | None = None,
    *,
    auth_cache_ttl: float = 5.0,
    head_cache_ttl: float = 0.5,
    rate_per_second: float = 50.0,
    rate_burst: float = 200.0,
    run_migrations: bool = True,
    clock: Callable[[], dt.datetime] | None = None,
    trusted_proxy: str | None = None,
    max_body: int = MAX_BODY,
    enrol_rate: float = 5.0,
    enrol_burst: float = 20.0,
    lease_numbers_per_day: int = svc.LEASE_NUMBERS_PER_DEVICE_DAY,
) -> FastAPI:
    """Build the API over ``db_url`` (default: ``MOTCUA_CENTRAL_DB`` or an SQLite file).

    ``auth_cache_ttl``: seconds a token lookup may answer an empty poll from memory
    (every other request checks the token in the database, so a revocation takes
    effect on the next one). ``head_cache_ttl``: seconds the in-memory "latest seq
    per unit" is trusted to answer "nothing new" without the database. ``clock``:
    the server's wall clock (hybrid-logical-clock stamps further ahead of it than
    ``desk_app.hlc.MAX_AHEAD_MS`` are refused). ``trusted_proxy``: the address of the
    reverse proxy whose ``X-Forwarded-For`` last hop is believed (none: the header is
    ignored). ``lease_numbers_per_day``: dossier numbers one device may lease per day.
    No interactive docs (``/docs``, ``/redoc``): they would load scripts from a CDN;
    ``/openapi.json`` stays.
    """
    from central.db import default_db_url

    engine = make_engine(db_url or default_db_url())
    if run_migrations:
        migrate(engine)
    store = svc.Store(engine, clock=clock)
    store.lease_numbers_per_day = lease_numbers_per_day
    central = Central(
        store,
        auth_cache_ttl,
        head_cache_ttl,
        rate_per_second,
        rate_burst,
        trusted_proxy=trusted_proxy,
        max_body=max_body,
        enrol_rate=enrol_rate,
        enrol_burst=enrol_burst,
    )

    app = FastAPI(
        title="MotCua Central",
        version="1.0",
        description="Máy chủ trung tâm của MotCua Desk: đăng ký thiết bị, đồng bộ hồ sơ, cấp số hồ sơ.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.central = central
    from central.files import router as files_router  # noqa: E402 - imports authenticate from here

    app.include_router(files_router)

    app.add_middleware(EdgeMiddleware, central=central)

    # The public face (/tra-cuu, no login): its own router, state and tests (central/public).
    from central import public

    public.install(app, public.PublicSite(store))

    # The province's dashboard (/quan-tri, staff login): its own router and tests (central/web).
    from central import web

    web.install(app, web.Dashboard(store))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()[:20]
        ]
        return JSONResponse({"detail": "Dữ liệu gửi lên không hợp lệ.", "errors": errors}, status_code=422)

    @app.exception_handler(svc.AdminError)
    async def _admin(_request: Request, exc: svc.AdminError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(CodeSpaceExhausted)
    async def _exhausted(_request: Request, exc: CodeSpaceExhausted) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, Any]:
        return {"status": "ok", "database": engine.dialect.name}

    @app.post("/v1/enrol", response_model=EnrolResponse, tags=["devices"])
    def enrol(body: EnrolRequest, request: Request) -> EnrolResponse:
        if not central.enrol_bucket.allow(_client(request)) or not central.enrol_total.allow(""):
            raise HTTPException(429, "Quá nhiều lần đăng ký; hãy thử lại sau.", headers={"Retry-After": "1"})
        try:
            token, device, unit_name = svc.enrol(store, body.code, body.device_id, body.name, body.local_high)
        except svc.AdminError as exc:
            log.warning("enrolment refused", extra={"reason": str(exc), "client": _client(request)})
            raise HTTPException(403, str(exc)) from None
        log.info(
            "device enrolled", extra={"device": device.id, "unit": device.unit_code, "slot": device.slot}
        )
        return EnrolResponse(
            token=token,
            device_id=device.id,
            unit_code=device.unit_code,
            unit_name=unit_name,
            slot=device.slot,
        )

    @app.get("/v1/me", response_model=DeviceResponse, tags=["devices"])
    async def me(device: svc.DeviceInfo = Depends(authenticate)) -> DeviceResponse:  # noqa: B008
        return DeviceResponse(
            device_id=device.id, unit_code=device.unit_code, slot=device.slot, name=device.name
        )

    @app.post(
        "/v1/changes",
        response_model=PushResponse,
        tags=["sync"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}},
            }
        },
    )
    async def push(request: Request, device: svc.DeviceInfo = Depends(authenticate)) -> Response:  # noqa: B008
        changes = parse_push_body(await request.body())
        started = time.perf_counter()
        results = await run_in_threadpool(svc.push, store, device, changes)
        counts = {"ok": 0, "duplicate": 0, "rejected": 0}
        for r in results:
            counts[r.status] += 1
        log.info(
            "push",
            extra={
                "device": device.id,
                "unit": device.unit_code,
                "changes": len(results),
                "accepted": counts["ok"],
                "duplicates": counts["duplicate"],
                "rejected": counts["rejected"],
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        payload = {
            "results": [{"id": r.id, "status": r.status, "reason": r.reason} for r in results],
            "accepted": counts["ok"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
        }
        return Response(_dump_answer(payload).encode(), media_type="application/json")

    # the request body's schema in OpenAPI (the endpoint parses the body itself, see parse_push_body)
    _openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = _openapi()  # also caches itself in app.openapi_schema
        defs = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(defs.pop("$defs", {}))
        components["PushRequest"] = defs
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/v1/changes", response_model=PullResponse, tags=["sync"])
    async def pull(
        after: int = Query(0, ge=0, le=2**62),
        limit: int = Query(1000, ge=1, le=5000),
        device: svc.DeviceInfo = Depends(authenticate),  # noqa: B008
    ) -> Response:
        if central.head_ttl > 0:
            if time.monotonic() - central.heads_at >= central.head_ttl:
                if central._refresh_lock.locked():
                    # another request is refreshing: don't queue behind it, take the database path
                    body = await run_in_threadpool(svc.pull_page, store, device, after, limit)
                    return Response(body, media_type="application/json")
                async with central._refresh_lock:
                    await run_in_threadpool(central.refresh_heads)
            top = max(central.heads.get(device.unit_code, 0), central.heads.get("", 0))
            if after >= top:  # nothing new: answered from memory
                return Response(
                    b'{"changes":[],"next":%d,"more":false,"head":%d}' % (after, after),
                    media_type="application/json",
                )
        body = await run_in_threadpool(svc.pull_page, store, device, after, limit)
        return Response(body, media_type="application/json")

    @app.post("/v1/leases", response_model=LeaseResponse, tags=["codes"])
    def lease(body: LeaseRequest, device: svc.DeviceInfo = Depends(authenticate)) -> LeaseResponse:  # noqa: B008
        try:
            grant = svc.grant_lease(store, device, body.id, body.day, body.size)
        except svc.AdminError as exc:
            raise HTTPException(409, str(exc)) from None
        log.info("lease", extra={"device": device.id, "unit": device.unit_code, **grant})
        return LeaseResponse(**grant)

    @app.get("/v1/conflicts", tags=["sync"])
    def conflicts(device: svc.DeviceInfo = Depends(authenticate)) -> list[dict[str, Any]]:  # noqa: B008
        return [d for d in svc.unit_dossiers(store, device.unit_code) if d["has_conflict"]]

    return app
