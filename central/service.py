"""Central server use cases over SQLAlchemy Core: enrolment, push, pull, leases, admin.

Everything here takes an ``Engine`` (or a ``Connection``) and returns plain
data, so the HTTP layer (``central.app``) and the admin CLI share it.

Ordering of the change log (the watermark problem): ``seq`` comes from a
PostgreSQL sequence, handed out at insert time, not in commit order. Every
write to ``changes`` therefore happens while holding one transaction-scoped
advisory lock (``pg_advisory_xact_lock(CHANGES_LOCK)``) that is only released
*after* the transaction is visible. So seq numbers become visible in the
order they were assigned, and a pull that reads ``max(seq)`` first and then
``seq <= that`` can never skip a change that commits later. On SQLite the
single writer (``BEGIN IMMEDIATE``) gives the same order. See README.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text, update

from central import models as m
from desk_app import codes
from desk_app.domain.lifecycle import DossierEvent, EventKind, fold
from desk_app.hlc import HlcStamp

log = logging.getLogger("central.service")

CHANGES_LOCK = 815_002  # advisory lock id serialising commits to the change log
ENROL_CODE_DAYS = 7
MAX_LEASE_SIZE = 200
GENERIC_KIND_CHARS = set("abcdefghijklmnopqrstuvwxyz_")


class AdminError(Exception):
    """A refused admin or enrolment request; the message is Vietnamese."""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_id() -> str:
    from desk_app.ids import uuid7

    return uuid7()


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    unit_code: str
    slot: int
    name: str
    revoked_reason: str | None  # None = active


class Store:
    """The server's database plus the locks and small caches around it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        self.write_lock = threading.Lock() if not self.pg else None  # SQLite: one writer per process
        # Called after a commit with {unit: last seq}; the app keeps its "nothing new" cache with it.
        self.on_heads: Callable[[dict[str, int]], None] | None = None
        # Test hooks: ``after_append(conn, rows)`` runs inside the transaction after the change
        # rows are written (to hold it open); ``serialise_changes=False`` removes the
        # ordering lock, which only the test demonstrating the watermark trap does.
        self.after_append: Callable[[Connection, Sequence[dict[str, Any]]], None] | None = None
        self.serialise_changes = True

    # -------------------------------------------------------------- transactions
    def write(self) -> _WriteTx:
        return _WriteTx(self)

    def read(self) -> Any:
        return self.engine.connect()


class _WriteTx:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self) -> Connection:
        if self.store.write_lock is not None:
            self.store.write_lock.acquire()
        try:
            self.conn = self.store.engine.connect().execution_options(write=True)
            self.tx = self.conn.begin()
        except BaseException:
            if self.store.write_lock is not None:
                self.store.write_lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.tx.commit()
            else:
                self.tx.rollback()
        finally:
            self.conn.close()
            if self.store.write_lock is not None:
                self.store.write_lock.release()


# ================================================================== admin
def add_unit(store: Store, code: str, name: str) -> None:
    from desk_app.domain.model import validate_agency_id

    try:
        validate_agency_id(code)
    except Exception as exc:  # noqa: BLE001 - domain raises ValidationError with a Vietnamese message
        raise AdminError(str(exc)) from None
    with store.write() as conn:
        exists = conn.execute(select(m.units.c.code).where(m.units.c.code == code)).first()
        if exists:
            conn.execute(update(m.units).where(m.units.c.code == code).values(name=name))
        else:
            conn.execute(insert(m.units).values(code=code, name=name, created_at=now_iso()))


def list_units(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(m.units).order_by(m.units.c.code))]


def new_enrol_code(store: Store, unit_code: str) -> str:
    """A one-time enrolment code (shown once; only its hash is stored)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    now = dt.datetime.now(dt.UTC)
    with store.write() as conn:
        if not conn.execute(select(m.units.c.code).where(m.units.c.code == unit_code)).first():
            raise AdminError(f"Chưa có đơn vị “{unit_code}”. Thêm bằng “motcua-central unit add”.")
        conn.execute(
            insert(m.enrol_codes).values(
                code_hash=sha256(_norm_code(code)),
                unit_code=unit_code,
                created_at=now.isoformat(),
                expires_at=(now + dt.timedelta(days=ENROL_CODE_DAYS)).isoformat(),
            )
        )
    return code


def _norm_code(code: str) -> str:
    return code.strip().upper().replace(" ", "")


def enrol(
    store: Store, code: str, device_id: str, name: str, local_high: dict[str, int] | None = None
) -> tuple[str, DeviceInfo, str]:
    """Spend an enrolment code: returns (token, device, unit name). Raises ``AdminError``."""
    token = secrets.token_urlsafe(32)
    now = now_iso()
    with store.write() as conn:
        row = conn.execute(
            select(m.enrol_codes)
            .where(m.enrol_codes.c.code_hash == sha256(_norm_code(code)))
            .with_for_update()
        ).first()
        if row is None:
            raise AdminError("Mã đăng ký thiết bị không đúng.")
        if row.used_at is not None:
            raise AdminError("Mã đăng ký thiết bị đã được dùng. Hãy xin mã mới từ quản trị máy chủ.")
        if row.expires_at < dt.datetime.now(dt.UTC).isoformat():
            raise AdminError("Mã đăng ký thiết bị đã hết hạn. Hãy xin mã mới từ quản trị máy chủ.")
        unit_code = row.unit_code
        if store.pg:  # slot choice must not race another enrolment of the same unit
            conn.execute(text("SELECT pg_advisory_xact_lock(815003)"))
        existing = conn.execute(select(m.devices).where(m.devices.c.id == device_id)).first()
        if existing is not None and existing.unit_code != unit_code:
            raise AdminError("Thiết bị này đã đăng ký cho đơn vị khác.")
        if existing is not None:
            slot = existing.slot
            conn.execute(
                update(m.devices)
                .where(m.devices.c.id == device_id)
                .values(token_hash=sha256(token), name=name, revoked_at=None, revoke_reason=None)
            )
        else:
            slot = _free_slot(conn, unit_code)
            conn.execute(
                insert(m.devices).values(
                    id=device_id,
                    unit_code=unit_code,
                    name=name,
                    slot=slot,
                    token_hash=sha256(token),
                    created_at=now,
                )
            )
        conn.execute(
            update(m.enrol_codes)
            .where(m.enrol_codes.c.code_hash == row.code_hash)
            .values(used_at=now, device_id=device_id)
        )
        # Numbers the station handed out as its own authority before enrolment
        # are never granted again to anyone.
        for day, high in (local_high or {}).items():
            _bump_counter(conn, unit_code, day, int(high) + 1)
        unit_name = conn.execute(select(m.units.c.name).where(m.units.c.code == unit_code)).scalar_one()
    return token, DeviceInfo(device_id, unit_code, slot, name, None), unit_name


def _free_slot(conn: Connection, unit_code: str) -> int:
    """Smallest never-used slot; after all 20, the slot of the longest-revoked device."""
    rows = conn.execute(
        select(m.devices.c.slot, m.devices.c.revoked_at).where(m.devices.c.unit_code == unit_code)
    ).all()
    used = {r.slot for r in rows}
    for slot in range(codes.FALLBACK_SLOTS):
        if slot not in used:
            return slot
    active = {r.slot for r in rows if r.revoked_at is None}
    revoked = sorted(
        (r.revoked_at, r.slot) for r in rows if r.revoked_at is not None and r.slot not in active
    )
    if not revoked:
        raise AdminError(
            f"Đơn vị đã có đủ {codes.FALLBACK_SLOTS} thiết bị đang hoạt động; hãy thu hồi thiết bị cũ."
        )
    return int(revoked[0][1])


def revoke(store: Store, device_id: str, reason: str = "") -> None:
    with store.write() as conn:
        result = conn.execute(
            update(m.devices)
            .where(m.devices.c.id == device_id)
            .values(revoked_at=now_iso(), revoke_reason=reason or "thu hồi bởi quản trị viên")
        )
        if result.rowcount == 0:
            raise AdminError(f"Không có thiết bị “{device_id}”.")


def list_devices(store: Store, unit_code: str | None = None) -> list[dict[str, Any]]:
    query = select(m.devices).order_by(m.devices.c.unit_code, m.devices.c.slot)
    if unit_code:
        query = query.where(m.devices.c.unit_code == unit_code)
    with store.read() as conn:
        return [{k: v for k, v in r._mapping.items() if k != "token_hash"} for r in conn.execute(query)]


def device_by_token(store: Store, token: str) -> DeviceInfo | None:
    with store.read() as conn:
        row = conn.execute(select(m.devices).where(m.devices.c.token_hash == sha256(token))).first()
    if row is None:
        return None
    return DeviceInfo(
        row.id, row.unit_code, row.slot, row.name, row.revoke_reason if row.revoked_at else None
    )


# ================================================================== change log
_PG_APPEND = (
    "INSERT INTO changes (change_id, kind, unit_code, target_unit_code, dossier_id, device_id, payload, "
    "created_at) SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    "%b::text[], %b::text[], %b::text[]) ON CONFLICT (change_id) DO NOTHING "
    "RETURNING change_id, seq, unit_code, target_unit_code"
)
_PG_DOSSIERS = (
    "INSERT INTO dossiers (id, code, unit_code, target_unit_code, received_at, device_id) "
    "SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[]) "
    "ON CONFLICT (id) DO NOTHING"
)

# joins from the array (not ``= ANY``): the generic plan of a prepared statement stays an index lookup
_PG_TAKEN_CODES = "SELECT d.code, d.id FROM unnest(%b::text[]) AS w(code) JOIN dossiers d ON d.code = w.code"
_PG_KNOWN_DOSSIERS = (
    "SELECT d.id, d.unit_code, d.target_unit_code FROM unnest(%b::text[]) AS w(id) "
    "JOIN dossiers d ON d.id = w.id"
)
_dump_payload = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _pg_binary(
    conn: Connection, sql: str, params: tuple[Any, ...], fetch: bool = True
) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the transaction's psycopg connection with binary parameters.

    Text arrays in binary format need no escaping; in text format psycopg
    escapes every JSON payload with a regular expression, which dominated a push.
    """
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params, binary=True)  # type: ignore[call-arg]  # psycopg 3 option
        return list(cursor.fetchall()) if fetch else []
    finally:
        cursor.close()


def append_changes(store: Store, conn: Connection, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert change rows idempotently; returns {change_id: seq} of the rows actually inserted.

    Takes the change-log lock first (PostgreSQL) so seq numbers become visible in
    the order they are assigned (see the module docstring).
    """
    if not rows:
        return {}
    if store.pg and store.serialise_changes:
        conn.execute(text(f"SELECT pg_advisory_xact_lock({CHANGES_LOCK})"))
    inserted: dict[str, int] = {}
    heads: dict[str, int] = {}
    if store.pg:
        # One statement over arrays: no per-row placeholders to build or parse (fast for big batches).
        columns = (
            "change_id",
            "kind",
            "unit_code",
            "target_unit_code",
            "dossier_id",
            "device_id",
            "payload",
            "created_at",
        )
        result = _pg_binary(conn, _PG_APPEND, tuple([r[c] for r in rows] for c in columns))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = (
            sqlite_insert(m.changes)
            .on_conflict_do_nothing(index_elements=["change_id"])
            .returning(
                m.changes.c.change_id, m.changes.c.seq, m.changes.c.unit_code, m.changes.c.target_unit_code
            )
        )
        result = [tuple(r) for r in conn.execute(stmt, list(rows))]
    for change_id, seq, unit, target in result:
        inserted[change_id] = seq
        heads[unit] = max(heads.get(unit, 0), seq)
        if target:
            heads[target] = max(heads.get(target, 0), seq)
    if heads:
        conn.execute(
            text(
                "INSERT INTO unit_heads(unit_code, last_seq) VALUES (:u, :s) "
                "ON CONFLICT(unit_code) DO UPDATE SET last_seq = excluded.last_seq "
                "WHERE excluded.last_seq > unit_heads.last_seq"
            ),
            [{"u": u, "s": s} for u, s in heads.items()],
        )
    conn.info.setdefault("central_heads", {}).update(heads)
    if store.after_append is not None:
        store.after_append(conn, rows)
    return inserted


def read_heads(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {r.unit_code: int(r.last_seq) for r in conn.execute(select(m.unit_heads))}


# ------------------------------------------------------------------ push
@dataclass
class ChangeResult:
    id: str
    status: str  # ok | duplicate | rejected
    reason: str = ""


def _reject(cid: str, reason: str) -> ChangeResult:
    return ChangeResult(cid, "rejected", reason)


def _check_event(cid: str, p: Any, device: DeviceInfo) -> str | None:
    """Structural checks of one dossier event; returns a Vietnamese reason or None."""
    if not isinstance(p, dict):
        return "Dữ liệu sự kiện không phải là một đối tượng JSON."
    for key in ("id", "dossier_id", "kind", "at", "actor", "device_id", "hlc"):
        if not isinstance(p.get(key), str) or not p.get(key):
            return f"Sự kiện thiếu trường “{key}”."
    if p["id"] != cid:
        return "Mã sự kiện không khớp với mã thay đổi."
    if len(p["id"]) > 64 or len(p["dossier_id"]) > 64:
        return "Mã sự kiện hoặc mã hồ sơ quá dài."
    if p["kind"] not in EventKind._value2member_map_:
        return f"Loại sự kiện “{p['kind'][:40]}” không hợp lệ."
    if p["device_id"] != device.id:
        return "Sự kiện không do thiết bị này tạo ra."
    try:
        dt.datetime.fromisoformat(p["at"])
        HlcStamp.decode(p["hlc"])
    except (ValueError, TypeError):
        return "Thời điểm hoặc dấu thời gian HLC của sự kiện không hợp lệ."
    if not isinstance(p.get("payload", {}), dict):
        return "Nội dung sự kiện không hợp lệ."
    if p["kind"] == EventKind.RECEIVED.value:
        body = p.get("payload") or {}
        dossier = body.get("dossier")
        applicant = body.get("applicant")
        if not isinstance(dossier, dict) or not isinstance(applicant, dict):
            return "Sự kiện tiếp nhận thiếu thông tin hồ sơ hoặc người nộp."
        if dossier.get("id") != p["dossier_id"]:
            return "Sự kiện tiếp nhận: mã hồ sơ không khớp."
        if not isinstance(applicant.get("id"), str) or dossier.get("applicant_id") != applicant.get("id"):
            return "Sự kiện tiếp nhận: thông tin người nộp không khớp."
        if not isinstance(dossier.get("code"), str) or not isinstance(dossier.get("unit_code"), str):
            return "Sự kiện tiếp nhận thiếu mã hồ sơ."
        try:
            parsed = codes.parse_code(dossier["code"])
        except Exception:  # noqa: BLE001 - ValidationError carries the message
            return f"Mã hồ sơ “{str(dossier['code'])[:40]}” không hợp lệ."
        if parsed.agency != dossier["unit_code"]:
            return "Mã hồ sơ không mang mã định danh của đơn vị tiếp nhận."
        if dossier["unit_code"] != device.unit_code:
            return "Thiết bị chỉ được tiếp nhận hồ sơ cho đơn vị của mình."
        if not isinstance(dossier.get("target_unit_code", ""), str):
            return "Đơn vị xử lý (phi địa giới) không hợp lệ."
        if not isinstance(dossier.get("received_at"), str):
            return "Sự kiện tiếp nhận thiếu thời điểm tiếp nhận."
    return None


def push(store: Store, device: DeviceInfo, changes: Sequence[Any]) -> list[ChangeResult]:
    """Apply one batch in one transaction; commits before returning per-change results.

    ``changes`` are objects with ``id``, ``kind``, ``payload`` (``PushChange``).
    A bad change is rejected with a reason and does not block the others.
    """
    results: dict[str, ChangeResult] = {}
    order: list[str] = []
    rows: list[dict[str, Any]] = []
    received: list[tuple[str, dict[str, Any]]] = []
    others: list[tuple[str, dict[str, Any]]] = []
    now = now_iso()
    seen: set[str] = set()
    for ch in changes:
        cid = ch.id
        order.append(cid)
        if cid in seen:
            continue
        seen.add(cid)
        if not isinstance(cid, str) or not cid or len(cid) > 64:
            results[str(cid)] = _reject(str(cid), "Mã thay đổi không hợp lệ.")
            continue
        kind = ch.kind
        if kind == "event":
            reason = _check_event(cid, ch.payload, device)
            if reason:
                results[cid] = _reject(cid, reason)
                continue
            p = ch.payload
            (received if p["kind"] == EventKind.RECEIVED.value else others).append((cid, p))
        elif (
            isinstance(kind, str)
            and 0 < len(kind) <= 40
            and set(kind) <= GENERIC_KIND_CHARS
            and kind not in ("calendar", "procedure")
        ):
            if not isinstance(ch.payload, dict):
                results[cid] = _reject(cid, "Dữ liệu thay đổi không phải là một đối tượng JSON.")
                continue
            rows.append(_row(cid, kind, device.unit_code, "", None, device.id, ch.payload, now))
        else:
            results[cid] = _reject(cid, f"Loại thay đổi “{str(kind)[:40]}” không được hỗ trợ.")

    with store.write() as conn:
        # ---- dossiers first received in this batch
        new_dossiers: dict[str, dict[str, Any]] = {}
        if received:
            codes_wanted = {p["payload"]["dossier"]["code"] for _, p in received}
            if store.pg:  # one array parameter instead of one placeholder per code
                taken = dict(_pg_binary(conn, _PG_TAKEN_CODES, (list(codes_wanted),)))
            else:
                taken = {
                    r.code: r.id
                    for r in conn.execute(
                        select(m.dossiers.c.code, m.dossiers.c.id).where(
                            m.dossiers.c.code.in_(list(codes_wanted))
                        )
                    )
                }
            for cid, p in received:
                d = p["payload"]["dossier"]
                owner = taken.get(d["code"])
                if owner is not None and owner != d["id"]:
                    results[cid] = _reject(cid, f"Mã hồ sơ {d['code']} đã được dùng cho một hồ sơ khác.")
                    continue
                if (
                    d["id"] in new_dossiers
                ):  # two RECEIVED events for one dossier: keep both, flagged by the fold
                    pass
                taken[d["code"]] = d["id"]
                new_dossiers[d["id"]] = {
                    "id": d["id"],
                    "code": d["code"],
                    "unit_code": d["unit_code"],
                    "target_unit_code": d.get("target_unit_code") or "",
                    "received_at": d["received_at"],
                    "device_id": device.id,
                }
                rows.append(
                    _row(
                        cid,
                        "event",
                        d["unit_code"],
                        d.get("target_unit_code") or "",
                        d["id"],
                        device.id,
                        p,
                        now,
                    )
                )
            if new_dossiers and store.pg:
                cols = ("id", "code", "unit_code", "target_unit_code", "received_at", "device_id")
                _pg_binary(
                    conn,
                    _PG_DOSSIERS,
                    tuple([d[c] for d in new_dossiers.values()] for c in cols),
                    fetch=False,
                )
            elif new_dossiers:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                conn.execute(
                    sqlite_insert(m.dossiers).on_conflict_do_nothing(index_elements=["id"]),
                    list(new_dossiers.values()),
                )
        # ---- later events: the dossier must be known and in the device's scope
        if others:
            wanted = {p["dossier_id"] for _, p in others} - set(new_dossiers)
            known = {d["id"]: (d["unit_code"], d["target_unit_code"]) for d in new_dossiers.values()}
            if wanted and store.pg:
                for dossier_id, unit, target in _pg_binary(conn, _PG_KNOWN_DOSSIERS, (list(wanted),)):
                    known[dossier_id] = (unit, target)
            elif wanted:
                for r in conn.execute(
                    select(m.dossiers.c.id, m.dossiers.c.unit_code, m.dossiers.c.target_unit_code).where(
                        m.dossiers.c.id.in_(list(wanted))
                    )
                ):
                    known[r.id] = (r.unit_code, r.target_unit_code)
            for cid, p in others:
                scope = known.get(p["dossier_id"])
                if scope is None:
                    results[cid] = _reject(
                        cid, "Hồ sơ của sự kiện chưa có trên máy chủ (thiếu sự kiện tiếp nhận)."
                    )
                    continue
                if device.unit_code not in scope:
                    results[cid] = _reject(cid, "Hồ sơ không thuộc đơn vị của thiết bị.")
                    continue
                rows.append(_row(cid, "event", scope[0], scope[1], p["dossier_id"], device.id, p, now))
        inserted = append_changes(store, conn, rows)
        heads = dict(conn.info.pop("central_heads", {}))
    if store.on_heads is not None and heads:
        store.on_heads(heads)  # after commit: the in-memory "nothing new" cache
    for written in rows:
        cid = written["change_id"]
        results[cid] = ChangeResult(cid, "ok" if cid in inserted else "duplicate")
    out: list[ChangeResult] = []
    emitted: set[str] = set()
    for cid in order:
        key = str(cid)
        if key in emitted:
            continue
        emitted.add(key)
        out.append(results[key])
    return out


def _row(
    cid: str,
    kind: str,
    unit: str,
    target: str,
    dossier_id: str | None,
    device_id: str,
    payload: dict[str, Any],
    now: str,
) -> dict[str, Any]:
    return {
        "change_id": cid,
        "kind": kind,
        "unit_code": unit,
        "target_unit_code": target,
        "dossier_id": dossier_id,
        "device_id": device_id,
        "payload": _dump_payload(payload),
        "created_at": now,
    }


# ------------------------------------------------------------------ pull
_PULL_SQL = text(
    "SELECT seq, kind, payload FROM changes WHERE seq > :after AND seq <= :head "
    "AND (unit_code = :unit OR unit_code = '' OR target_unit_code = :unit) AND device_id <> :device "
    "ORDER BY seq LIMIT :limit"
)


def pull_page(store: Store, device: DeviceInfo, after: int, limit: int) -> bytes:
    """One page of changes after ``after`` as ready-made JSON bytes.

    ``head`` is read first; every seq <= head is committed (see the module
    docstring), so ``next`` may safely jump to head when the page is short.
    """
    with store.read() as conn:
        head = int(conn.execute(select(func.coalesce(func.max(m.changes.c.seq), 0))).scalar_one())
        rows = conn.execute(
            _PULL_SQL,
            {"after": after, "head": head, "unit": device.unit_code, "device": device.id, "limit": limit},
        ).all()
    more = len(rows) >= limit
    nxt = rows[-1].seq if more else max(head, after)
    body = b",".join(
        b'{"seq":%d,"kind":%s,"payload":%s}' % (r.seq, json.dumps(r.kind).encode(), r.payload.encode())
        for r in rows
    )
    return b'{"changes":[%s],"next":%d,"more":%s,"head":%d}' % (
        body,
        nxt,
        b"true" if more else b"false",
        max(head, after),
    )


# ------------------------------------------------------------------ leases
def _bump_counter(conn: Connection, unit: str, day: str, at_least: int) -> None:
    conn.execute(
        text(
            "INSERT INTO lease_counters(unit_code, day, next_free) VALUES (:u, :d, :n) "
            "ON CONFLICT(unit_code, day) DO UPDATE SET next_free = excluded.next_free "
            "WHERE excluded.next_free > lease_counters.next_free"
        ),
        {"u": unit, "d": day, "n": at_least},
    )


def grant_lease(store: Store, device: DeviceInfo, request_id: str, day: str, size: int) -> dict[str, Any]:
    """A block of the unit's day sequence, never granted twice; a retried request id gets the same block."""
    size = max(1, min(size, MAX_LEASE_SIZE))
    with store.write() as conn:
        old = conn.execute(select(m.lease_grants).where(m.lease_grants.c.id == request_id)).first()
        if old is not None:
            if old.device_id != device.id:
                raise AdminError("Mã yêu cầu cấp số đã được dùng.")
            return {"id": old.id, "day": old.day, "start": old.start, "end": old.end}
        _bump_counter(conn, device.unit_code, day, 1)
        next_free = conn.execute(
            select(m.lease_counters.c.next_free)
            .where(m.lease_counters.c.unit_code == device.unit_code, m.lease_counters.c.day == day)
            .with_for_update()
        ).scalar_one()
        start, end, nxt = codes.BlockAuthority.grant(int(next_free), size)  # raises CodeSpaceExhausted
        conn.execute(
            update(m.lease_counters)
            .where(m.lease_counters.c.unit_code == device.unit_code, m.lease_counters.c.day == day)
            .values(next_free=nxt)
        )
        conn.execute(
            insert(m.lease_grants).values(
                id=request_id,
                unit_code=device.unit_code,
                day=day,
                start=start,
                end=end,
                device_id=device.id,
                created_at=now_iso(),
            )
        )
    return {"id": request_id, "day": day, "start": start, "end": end}


# ------------------------------------------------------------------ calendar and catalogue
def add_calendar_override(
    store: Store, day: dt.date, kind: str, unit_code: str = "", note: str = "", *, decision: str = ""
) -> None:
    """Distribute a calendar change; ``decision`` names the government document when the
    day comes from a decision (stations keep it in the decisions' layer, beneath the
    unit's own overrides) rather than from the unit."""
    if kind not in ("off", "work", "clear"):
        raise AdminError("Loại ngày phải là off, work hoặc clear.")
    if len(decision) > 200:
        raise AdminError("Tên văn bản quyết định dài quá 200 ký tự.")
    with store.write() as conn:
        if unit_code and not conn.execute(select(m.units.c.code).where(m.units.c.code == unit_code)).first():
            raise AdminError(f"Chưa có đơn vị “{unit_code}”.")
        append_changes(
            store,
            conn,
            [
                _row(
                    new_id(),
                    "calendar",
                    unit_code,
                    "",
                    None,
                    "",
                    {"day": day.isoformat(), "kind": kind, "note": note}
                    | ({"decision": decision} if decision else {}),
                    now_iso(),
                )
            ],
        )
        heads = dict(conn.info.pop("central_heads", {}))
    if store.on_heads is not None:
        store.on_heads(heads)


def import_procedures(store: Store, procedures: Iterable[Any]) -> int:
    from desk_app.services.catalog import procedure_to_dict

    now = now_iso()
    rows = [_row(new_id(), "procedure", "", "", None, "", procedure_to_dict(p), now) for p in procedures]
    with store.write() as conn:
        append_changes(store, conn, rows)
        heads = dict(conn.info.pop("central_heads", {}))
    if store.on_heads is not None:
        store.on_heads(heads)
    return len(rows)


# ------------------------------------------------------------------ read models (fold on read)
def unit_dossiers(store: Store, unit_code: str) -> list[dict[str, Any]]:
    """Every dossier of (or routed to) the unit with its folded status and conflicts."""
    with store.read() as conn:
        rows = conn.execute(
            text(
                "SELECT dossier_id, payload FROM changes WHERE kind = 'event' "
                "AND (unit_code = :u OR target_unit_code = :u) ORDER BY seq"
            ),
            {"u": unit_code},
        ).all()
    events: dict[str, list[DossierEvent]] = {}
    heads: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = json.loads(r.payload)
        ev = DossierEvent(
            p["id"],
            p["dossier_id"],
            EventKind(p["kind"]),
            dt.datetime.fromisoformat(p["at"]),
            p["actor"],
            p["device_id"],
            p["hlc"],
            p.get("payload") or {},
        )
        events.setdefault(r.dossier_id, []).append(ev)
        if ev.kind is EventKind.RECEIVED and r.dossier_id not in heads:
            heads[r.dossier_id] = p["payload"]["dossier"]
    out = []
    for dossier_id, evs in events.items():
        d = heads.get(dossier_id, {})
        state = fold(evs)
        out.append(
            {
                "id": dossier_id,
                "code": d.get("code", ""),
                "unit_code": d.get("unit_code", ""),
                "target_unit_code": d.get("target_unit_code", ""),
                "procedure_code": d.get("procedure_code", ""),
                "procedure_name": d.get("procedure_name", ""),
                "applicant_name": d.get("applicant_name", ""),
                "received_at": d.get("received_at", ""),
                "due_at": state.due_at.isoformat() if state.due_at else "",
                "status": state.status.value if state.status else "",
                "events": len(evs),
                "has_conflict": bool(state.conflicts),
                "conflicts": [
                    {
                        "event_id": c.event_id,
                        "kind": c.kind.value,
                        "status": c.status.value,
                        "message": c.message,
                    }
                    for c in state.conflicts
                ],
            }
        )
    out.sort(key=lambda item: item["code"])
    return out
