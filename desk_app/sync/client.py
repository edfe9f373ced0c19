"""The desk's sync client: enrolment, push (outbox), pull (changes), code leases.

Takes an injected ``httpx.Client`` (base URL set), so tests run it against
the real server over loopback, through a faulty proxy, or against a stub.
Every step is safe to interrupt and repeat:

* push: outbox rows are deleted only after the server's acknowledgement;
  a repeated batch is answered "duplicate" and acknowledged again;
* pull: each page's changes and the new cursor commit in one transaction;
* leases: the request id is saved before asking, so a lost answer is
  re-asked with the same id and the server returns the same block.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from desk_app import codes, credentials
from desk_app.codes import Lease
from desk_app.domain import wire
from desk_app.ids import uuid7
from desk_app.services.station import META_ENROLLED, META_SLOT, META_UNIT, Station
from desk_app.store.repositories import iso
from desk_app.sync.apply import ApplyReport, _merge_report, apply_changes, quarantined

log = logging.getLogger("desk_app.sync")

META_SERVER = "sync_server"
META_TOKEN = "sync_token"
META_CURSOR = "sync_cursor"
META_LAST_SUCCESS = "sync_last_success"
META_LAST_ERROR = "sync_last_error"
META_LEASE_PENDING = "sync_lease_pending"
META_ALLOW_HTTP = "sync_allow_http"  # "1": the admin chose a plain-http server off loopback

Progress = Callable[[int, int, int], None]  # (changes applied so far, cursor, server head)


class SyncError(Exception):
    """An environment fault while syncing; ``str()`` is a Vietnamese message for staff."""

    def __init__(self, message: str, *, status: int | None = None, auth: bool = False):
        super().__init__(message)
        self.status = status
        self.auth = auth  # the server refused this device (revoked, bad token): retrying won't help soon


OFFLINE_HINT = "Dữ liệu vẫn được lưu trên máy và sẽ tự gửi khi có mạng."
# Before enrolment there is no station data to wait for: say what to do instead.
ENROL_HINT = "Hãy kiểm tra đường truyền rồi đăng ký lại với cùng mã (mã vẫn dùng được cho máy này)."


# ------------------------------------------------------------------ the station's token
# The one place that reads and writes the device token (a credential store may replace it).
# ------------------------------------------------------------------ server address
def insecure_reason(base_url: str, allow_http: bool = False) -> str | None:
    """Why a server address may not be used: plain http only on loopback, unless allowed."""
    url = httpx.URL(base_url)
    if url.scheme == "https" or allow_http:
        return None
    if url.scheme != "http":
        return f"Địa chỉ máy chủ “{base_url}” phải bắt đầu bằng https://."
    host = url.host
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"Máy chủ “{base_url}” dùng http:// không mã hóa: mã xác thực và dữ liệu công dân sẽ đi "
        "qua mạng ở dạng rõ. Hãy dùng địa chỉ https:// (hoặc chỉ định rõ --allow-http nếu quản trị "
        "mạng đã bảo đảm đường truyền)."
    )


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except (ValueError, AttributeError):
        detail = ""
    return str(detail) if detail else response.reason_phrase


def error_for(response: httpx.Response) -> SyncError:
    code = response.status_code
    if code == 401:
        return SyncError(
            f"Máy chủ từ chối thiết bị: {_detail(response)} Hãy đăng ký lại (motcua enrol).",
            status=code,
            auth=True,
        )
    if code == 403:
        return SyncError(f"Máy chủ từ chối thiết bị: {_detail(response)}", status=code, auth=True)
    if code == 429:
        return SyncError(
            "Máy chủ đang giới hạn tần suất yêu cầu; sẽ thử lại sau. " + OFFLINE_HINT, status=code
        )
    if code >= 500:
        return SyncError(f"Máy chủ đồng bộ gặp lỗi (mã {code}); sẽ thử lại sau. " + OFFLINE_HINT, status=code)
    return SyncError(f"Máy chủ không chấp nhận yêu cầu (mã {code}): {_detail(response)}", status=code)


def transport_error(exc: Exception, hint: str = OFFLINE_HINT) -> SyncError:
    if isinstance(exc, httpx.TimeoutException):
        return SyncError("Máy chủ đồng bộ không trả lời kịp (quá thời gian chờ). " + hint)
    return SyncError(f"Không kết nối được máy chủ đồng bộ ({type(exc).__name__}). " + hint)


@dataclass
class PushReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    batches: int = 0


@dataclass
class PullReport:
    changes: int = 0
    pages: int = 0
    cursor: int = 0
    applied: ApplyReport = field(default_factory=ApplyReport)


@dataclass
class RoundReport:
    push: PushReport
    pull: PullReport
    leases: int
    pending: int  # outbox rows still waiting (0 = everything reached the server)
    rejected: int  # outbox rows the server refused, kept for staff
    quarantined: int = 0  # pulled changes this station could not apply, kept for staff


class SyncClient:
    def __init__(
        self,
        station: Station,
        http: httpx.Client,
        *,
        batch_size: int = 1000,
        page_size: int = 2000,
        lease_stock: int = 20,
        lease_block: int = codes.LEASE_BLOCK,
    ):
        self.station = station
        self.http = http
        self.batch_size = batch_size
        self.page_size = page_size
        self.lease_stock = lease_stock
        self.lease_block = lease_block
        with station.uow(write=False) as uow:
            allow_http = uow.meta.get(META_ALLOW_HTTP) == "1"
        reason = insecure_reason(str(http.base_url), allow_http)
        if reason:
            raise SyncError(reason)

    # -------------------------------------------------------------- plumbing
    def _token(self) -> str:
        token = credentials.station_token(self.station)
        if not token:
            raise SyncError(
                "Trạm chưa đăng ký với máy chủ trung tâm. Chạy “motcua enrol --server … --code …”.", auth=True
            )
        return token

    def _call(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = {**(headers or {}), "Authorization": f"Bearer {self._token()}"}
        try:
            response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_error(exc) from exc
        if response.status_code >= 400:
            raise error_for(response)
        try:
            return response.json()
        except ValueError as exc:  # a response cut half-way by a proxy
            raise SyncError("Câu trả lời của máy chủ bị cắt ngang. " + OFFLINE_HINT) from exc

    # -------------------------------------------------------------- push
    def push(self) -> PushReport:
        """Drain the outbox in batches; returns what the server said.

        Batches go out strictly one after the other (the server has committed
        batch N before batch N+1 is sent, so a dossier's RECEIVED event always
        lands before its later events). A helper thread overlaps the local work
        with the wire: while batch N+1 is on the wire it records the answer to
        batch N (acknowledge/reject, one SQLite transaction) and reads and encodes
        batch N+2 (rows after the last one sent; nothing leaves the outbox before
        its acknowledgement, so a failure just discards the prepared batch).
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        report = PushReport()
        with ThreadPoolExecutor(1, thread_name_prefix="motcua-push-prep") as prep:
            settling: Future[None] | None = None
            try:
                batch = _read_batch(self.station, 0, self.batch_size)
                while batch.ids:
                    upcoming = prep.submit(_read_batch, self.station, batch.last_seq, self.batch_size)
                    try:
                        answer = self._call(
                            "POST",
                            "/v1/changes",
                            content=batch.body,
                            headers={"content-type": "application/json"},
                        )
                    except SyncError as exc:
                        upcoming.cancel()
                        if settling is not None:
                            settling.result()
                            settling = None
                        with self.station.uow() as uow:
                            uow.outbox.mark_attempt(batch.ids, str(exc))
                            uow.commit()
                        raise
                    acked, rejected = _sort_answer(batch.ids, answer, report)
                    report.sent += len(batch.ids)
                    report.batches += 1
                    if settling is not None:  # the previous batch's acknowledgement (raises its error)
                        settling.result()
                    # queued behind the read of the next batch, in the same helper thread
                    settling = prep.submit(self._record, acked, rejected)
                    if not acked and not rejected:  # nothing moved: don't spin
                        settling.result()
                        settling = None
                        raise SyncError("Máy chủ không xác nhận thay đổi nào trong lô vừa gửi; sẽ thử lại.")
                    batch = upcoming.result()
            finally:
                if settling is not None:
                    settling.result()
        return report

    def _record(self, acked: list[str], rejected: list[tuple[str, str]]) -> None:
        """Store a batch's answer: delete acknowledged rows, mark rejected ones (one transaction)."""
        with self.station.uow() as uow:
            if acked:
                # one bound parameter instead of one per id (same effect as ``outbox.acknowledge``)
                uow.conn.exec_driver_sql(
                    "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(acked),),
                )
            for change_id, reason in rejected:
                uow.outbox.reject(change_id, reason)
            uow.commit()
        for change_id, _reason in rejected:
            # Ids only: a reason may quote the rejected value (a name, a CCCD). Staff read
            # it in the station's outbox (uow.outbox.reject above), not in the log file.
            log.warning("change %s rejected by the server (reason kept in the outbox)", change_id)

    # -------------------------------------------------------------- pull
    def pull(self, progress: Progress | None = None) -> PullReport:
        """Pull pages after the stored cursor until the server has nothing more.

        Each page's changes and the cursor after it commit in one transaction;
        the next page is fetched in a helper thread while this one is applied.
        """
        from concurrent.futures import ThreadPoolExecutor

        report = PullReport()
        with self.station.uow(write=False) as uow:
            cursor = int(uow.meta.get(META_CURSOR, "0") or 0)

        def fetch(after: int) -> Any:
            return self._call("GET", "/v1/changes", params={"after": after, "limit": self.page_size})

        with ThreadPoolExecutor(1, thread_name_prefix="motcua-pull-fetch") as pool:
            upcoming = pool.submit(fetch, cursor)
            while True:
                page = upcoming.result()
                if not isinstance(page, dict) or not isinstance(page.get("changes"), list):
                    raise SyncError("Câu trả lời của máy chủ không đúng định dạng; sẽ thử lại.")
                changes = page["changes"]
                nxt = int(page.get("next", cursor))
                if nxt < cursor:
                    raise SyncError("Máy chủ trả về vị trí đồng bộ lùi lại; hãy liên hệ quản trị máy chủ.")
                more = bool(page.get("more"))
                if more:
                    upcoming = pool.submit(fetch, nxt)
                with self.station.uow() as uow:
                    if changes:
                        applied = apply_changes(uow, self.station, changes)
                        _merge(report.applied, applied)
                    uow.meta.set(META_CURSOR, str(nxt))
                    uow.commit()
                cursor = nxt
                report.changes += len(changes)
                report.pages += 1
                report.cursor = cursor
                if progress is not None:
                    progress(report.changes, cursor, int(page.get("head", cursor)))
                if not more:
                    return report

    # -------------------------------------------------------------- leases
    def refill_leases(self, days: list[dt.date] | None = None) -> int:
        """Keep ≥ ``lease_stock`` free server numbers for today and the next working day."""
        station = self.station
        unit = station.unit.code
        if days is None:
            today = station.now().date()
            cal = station.calendar
            days = [today, cal.next_working_day(today)]
        granted = 0
        for day in days:
            key = codes.day_key(day)
            for _ in range(50):
                with station.uow(write=False) as uow:
                    free = sum(
                        lease.remaining for lease in uow.leases.for_day(unit, key) if lease.source == "server"
                    )
                    pending = uow.meta.get_json(META_LEASE_PENDING)
                if free >= self.lease_stock:
                    break
                if not pending or pending.get("day") != key:
                    pending = {"id": uuid7(), "day": key}
                    with station.uow() as uow:
                        uow.meta.set_json(META_LEASE_PENDING, pending)
                        uow.commit()
                try:
                    grant = self._call(
                        "POST", "/v1/leases", json={"id": pending["id"], "day": key, "size": self.lease_block}
                    )
                except SyncError as exc:
                    if exc.status != 409:
                        raise
                    # the day's numbers or this device's daily cap are used up: the station
                    # numbers from its own fallback slot; nothing to retry today
                    log.warning("no more server leases for %s: %s", key, exc)
                    with station.uow() as uow:
                        uow.meta.set(META_LEASE_PENDING, "null")
                        uow.commit()
                    break
                with station.uow() as uow:
                    lease = Lease(
                        pending["id"],
                        key,
                        int(grant["start"]),
                        int(grant["end"]),
                        int(grant["start"]),
                        "server",
                    )
                    if not any(existing.id == lease.id for existing in uow.leases.for_day(unit, key)):
                        uow.leases.save(unit, lease, True, iso(station.now()) or "")
                        granted += lease.remaining
                    uow.meta.set(META_LEASE_PENDING, "null")
                    uow.commit()
        return granted

    # -------------------------------------------------------------- one round
    def sync_round(self, progress: Progress | None = None) -> RoundReport:
        pushed = self.push()
        pulled = self.pull(progress)
        leases = self.refill_leases()
        with self.station.uow() as uow:
            pending = uow.outbox.pending_count()
            rejected = len(uow.outbox.rejected())
            kept = len(quarantined(uow))
            uow.meta.set(META_LAST_SUCCESS, iso(self.station.now()) or "")
            uow.meta.set(META_LAST_ERROR, "")
            uow.commit()
        return RoundReport(pushed, pulled, leases, pending, rejected, kept)


def _sort_answer(ids: list[str], answer: Any, report: PushReport) -> tuple[list[str], list[tuple[str, str]]]:
    """Split a push answer into acknowledged ids and (id, reason) rejections; counts into ``report``."""
    acked: list[str] = []
    rejected: list[tuple[str, str]] = []
    wanted = set(ids)
    for res in answer.get("results", []) if isinstance(answer, dict) else []:
        if not isinstance(res, dict) or res.get("id") not in wanted:
            continue
        status = res.get("status")
        if status == "ok" or status == "duplicate":
            acked.append(res["id"])
            if status == "ok":
                report.accepted += 1
            else:
                report.duplicates += 1
        elif status == "rejected":
            rejected.append((res["id"], str(res.get("reason") or "Máy chủ từ chối thay đổi.")))
    report.rejected.extend(rejected)
    return acked, rejected


@dataclass
class _Batch:
    ids: list[str]
    last_seq: int
    body: bytes


_OUTBOX_SQL = text(
    "SELECT o.seq, o.id, o.kind, o.entity_id, o.payload, e.dossier_id, e.kind AS event_kind, e.at, e.actor, "
    "e.device_id, e.hlc, e.payload AS event_payload FROM outbox o "
    "LEFT JOIN dossier_events e ON o.kind = 'event' AND e.id = o.id "
    "WHERE o.rejected = 0 AND o.seq > :after ORDER BY o.seq LIMIT :n"
)


def _read_batch(station: Station, after: int, limit: int) -> _Batch:
    """The next outbox rows as a ready request body.

    Same rows as ``OutboxRepository.pending`` (event changes take their payload
    from the immutable event row), but the stored JSON text is spliced into the
    body as is instead of being decoded and encoded again.
    """
    with station.db.read() as conn:
        rows = conn.execute(_OUTBOX_SQL, {"after": after, "n": limit}).all()
    parts = []
    for r in rows:
        own = r.payload if r.payload not in (None, "", "{}", "null") else None
        if r.kind == "event" and own is None and r.event_kind is not None:
            head = json.dumps(
                wire.event_dict(
                    id=r.id,
                    dossier_id=r.dossier_id,
                    kind=r.event_kind,
                    at=r.at,
                    actor=r.actor,
                    device_id=r.device_id,
                    hlc=r.hlc,
                    payload=None,
                ),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            # the stored payload text is spliced in as is (``"payload":{}`` is the head's last member)
            payload = head[: -len('"payload":{}}')] + '"payload":' + (r.event_payload or "{}") + "}"
        else:
            payload = own or "{}"
        parts.append(
            '{"id":'
            + json.dumps(r.id)
            + ',"kind":'
            + json.dumps(r.kind)
            + ',"entity_id":'
            + json.dumps(r.entity_id, ensure_ascii=False)
            + ',"payload":'
            + payload
            + "}"
        )
    body = ('{"changes":[' + ",".join(parts) + "]}").encode()
    return _Batch([r.id for r in rows], rows[-1].seq if rows else after, body)


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


_merge = _merge_report


# ------------------------------------------------------------------ enrolment
def enrol(
    station: Station,
    http: httpx.Client,
    code: str,
    name: str = "",
    *,
    attempts: int = 5,
    retry_delay: float = 1.0,
    allow_http: bool = False,
) -> dict[str, Any]:
    """Turn this station into an enrolled device of the server's unit. Raises ``SyncError``.

    A lost answer (line cut, timeout, 5xx, half a response) is retried with the same code:
    the server re-issues this device's token for a code this device already spent.
    """
    from desk_app.domain.model import Unit, UnitLevel

    reason = insecure_reason(str(http.base_url), allow_http)
    if reason:
        raise SyncError(reason)
    current_unit = station.unit_code
    with station.uow(write=False) as uow:
        from sqlalchemy import func, select

        from desk_app.store import schema as s

        highs = {
            r.day: int(r.high)
            for r in uow.conn.execute(
                select(s.code_leases.c.day, func.max(s.code_leases.c.end).label("high"))
                .where(s.code_leases.c.source == "local")
                .group_by(s.code_leases.c.day)
            )
        }
    body = {"code": code, "device_id": station.device_id, "name": name, "local_high": highs}
    answer: dict[str, Any] | None = None
    failure: SyncError | None = None
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(retry_delay * attempt)
        try:
            response = http.post(
                "/v1/enrol", content=_dumps(body), headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            failure = transport_error(exc, ENROL_HINT)
            continue
        if response.status_code >= 500 or response.status_code == 429:
            failure = SyncError(
                f"Máy chủ đồng bộ tạm thời không nhận đăng ký (mã {response.status_code}). {ENROL_HINT}",
                status=response.status_code,
            )
            continue
        if response.status_code >= 400:
            raise SyncError(
                f"Đăng ký thiết bị không thành công: {_detail(response)}", status=response.status_code
            )
        try:
            answer = response.json()
            if not isinstance(answer, dict) or not {"token", "unit_code", "unit_name", "slot"} <= set(answer):
                raise ValueError("incomplete answer")
        except ValueError:
            failure = SyncError("Câu trả lời đăng ký của máy chủ bị cắt ngang. " + ENROL_HINT)
            answer = None
            continue
        break
    if answer is None:
        raise failure or SyncError("Đăng ký thiết bị không thành công. " + ENROL_HINT)
    unit_code = answer["unit_code"]
    if current_unit and current_unit != unit_code:
        raise SyncError(f"Trạm đang thuộc đơn vị {current_unit}, còn mã đăng ký là của đơn vị {unit_code}.")
    if not current_unit:
        station.set_unit(Unit(code=unit_code, name=answer["unit_name"], level=UnitLevel.XA))
    credentials.store_station_token(station, answer["token"])
    with station.uow() as uow:
        uow.meta.set(META_SERVER, str(http.base_url))
        uow.meta.set(META_SLOT, str(int(answer["slot"])))
        uow.meta.set(META_UNIT, unit_code)
        uow.meta.set(META_ENROLLED, str(http.base_url))
        uow.meta.set(META_ALLOW_HTTP, "1" if allow_http else "0")
        if uow.meta.get(META_CURSOR) is None:
            uow.meta.set(META_CURSOR, "0")
        uow.commit()
    station.invalidate_unit()
    return answer


def server_url(station: Station) -> str | None:
    with station.uow(write=False) as uow:
        return uow.meta.get(META_SERVER)


def allows_http(station: Station) -> bool:
    """Whether the admin enrolled this station with ``--allow-http`` (plain http off loopback)."""
    with station.uow(write=False) as uow:
        return uow.meta.get(META_ALLOW_HTTP) == "1"


def make_http(base_url: str, timeout: float = 30.0, allow_http: bool = False) -> httpx.Client:
    """An HTTP client for the sync server; refuses plain http off loopback unless ``allow_http``."""
    reason = insecure_reason(base_url, allow_http)
    if reason:
        raise SyncError(reason)
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=5.0),
        headers={"user-agent": "motcua-desk-sync/1"},
    )
