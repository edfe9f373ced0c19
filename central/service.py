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

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from central import models as m
from desk_app import codes
from desk_app.domain import wire
from desk_app.domain.lifecycle import Conflict, DossierEvent, EventKind, Status, fold
from desk_app.hlc import MAX_AHEAD_MS
from desk_app.workcalendar import now_vn

log = logging.getLogger("central.service")

CHANGES_LOCK = 815_002  # advisory lock id serialising commits to the change log
ENROL_CODE_DAYS = 7
MAX_LEASE_SIZE = 200
# Dossier numbers one device may lease for one day (a busy counter receives ~200 a day);
# past it the device numbers from its own fallback slot and the server logs an alert.
LEASE_NUMBERS_PER_DEVICE_DAY = 1000
GENERIC_KIND_CHARS = set("abcdefghijklmnopqrstuvwxyz_")


class AdminError(Exception):
    """A refused admin or enrolment request; the message is Vietnamese."""


class LeaseCapReached(AdminError):
    """A device asked for more dossier numbers in one day than it may hold."""


def now_iso(store: Store | None = None) -> str:
    """The server's time for stored stamps: the store's clock (tests and faketime pass one in)."""
    now = store.clock() if store is not None else now_vn()
    return now.astimezone(dt.UTC).isoformat(timespec="milliseconds")


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

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime] | None = None):
        self.engine = engine
        # Default: the wall clock, shifted like the desk's by MOTCUA_FAKE_NOW (tests, demos).
        self.clock = clock or now_vn
        self.lease_numbers_per_day = LEASE_NUMBERS_PER_DEVICE_DAY
        self.pg = engine.dialect.name == "postgresql"
        self.write_lock = threading.Lock() if not self.pg else None  # SQLite: one writer per process
        # Called after a commit with {unit: last seq}; the app keeps its "nothing new" cache with it.
        self.on_heads: Callable[[dict[str, int]], None] | None = None
        # Test hooks: ``after_append(conn, rows)`` runs inside the transaction after the change
        # rows are written (to hold it open); ``serialise_changes=False`` removes the
        # ordering lock, which only the test demonstrating the watermark trap does.
        self.after_append: Callable[[Connection, Sequence[dict[str, Any]]], None] | None = None
        self.serialise_changes = True

    def wall_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

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
            conn.execute(insert(m.units).values(code=code, name=name, created_at=now_iso(store)))


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
    now = now_iso(store)
    with store.write() as conn:
        row = conn.execute(
            select(m.enrol_codes)
            .where(m.enrol_codes.c.code_hash == sha256(_norm_code(code)))
            .with_for_update()
        ).first()
        if row is None:
            raise AdminError("Mã đăng ký thiết bị không đúng.")
        # A retry of the same code by the same device (its answer was lost on a flaky line)
        # re-issues that device's token; for anyone else a used code stays useless.
        retry = row.used_at is not None and row.device_id == device_id
        if row.used_at is not None and not retry:
            raise AdminError("Mã đăng ký thiết bị đã được dùng. Hãy xin mã mới từ quản trị máy chủ.")
        if row.expires_at < dt.datetime.now(dt.UTC).isoformat():
            raise AdminError("Mã đăng ký thiết bị đã hết hạn. Hãy xin mã mới từ quản trị máy chủ.")
        unit_code = row.unit_code
        if store.pg:  # slot choice must not race another enrolment of the same unit
            conn.execute(text("SELECT pg_advisory_xact_lock(815003)"))
        existing = conn.execute(select(m.devices).where(m.devices.c.id == device_id)).first()
        if existing is not None and not retry:
            # A fresh code never takes over an enrolled device id (its token, its revocation):
            # the admin revokes and removes the old enrolment first.
            raise AdminError(
                "Mã thiết bị này đã được đăng ký trên máy chủ. Nếu đây là máy cài lại, hãy nhờ quản trị "
                "máy chủ thu hồi và xóa đăng ký cũ (motcua-central device forget) rồi đăng ký lại."
            )
        if existing is not None:
            if existing.revoked_at is not None:
                raise AdminError(f"Thiết bị đã bị thu hồi quyền đồng bộ: {existing.revoke_reason}")
            slot = existing.slot
            conn.execute(
                update(m.devices)
                .where(m.devices.c.id == device_id)
                .values(token_hash=sha256(token), name=name)
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
        if not retry:
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
            .values(revoked_at=now_iso(store), revoke_reason=reason or "thu hồi bởi quản trị viên")
        )
        if result.rowcount == 0:
            raise AdminError(f"Không có thiết bị “{device_id}”.")


def forget_device(store: Store, device_id: str) -> None:
    """Remove a *revoked* device's enrolment so that the same machine (same device id,
    e.g. reinstalled from a backup) can enrol again with a fresh code. Its changes stay."""
    with store.write() as conn:
        row = conn.execute(select(m.devices.c.revoked_at).where(m.devices.c.id == device_id)).first()
        if row is None:
            raise AdminError(f"Không có thiết bị “{device_id}”.")
        if row.revoked_at is None:
            raise AdminError("Chỉ xóa được đăng ký của thiết bị đã thu hồi; hãy thu hồi trước.")
        conn.execute(delete(m.devices).where(m.devices.c.id == device_id))


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
_PG_STORED_CHANGES = (
    "SELECT c.change_id, c.device_id, c.payload FROM unnest(%b::text[]) AS w(id) "
    "JOIN changes c ON c.change_id = w.id"
)
_PG_EXISTING_DOSSIERS = (
    "SELECT d.id, d.code, d.unit_code, d.target_unit_code, d.device_id FROM unnest(%b::text[]) AS w(id) "
    "JOIN dossiers d ON d.id = w.id"
)
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
    if inserted:
        # The province's figures move in the same transaction (central.rollups).
        from central import rollups

        fresh = [r for r in rows if r["change_id"] in inserted]
        rollups.refresh(conn, {r["dossier_id"] for r in fresh if r["kind"] == "event" and r["dossier_id"]})
        rollups.touch_freshness(conn, fresh)
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


def _check_change(
    cid: Any, kind: Any, payload: Any, device: DeviceInfo, wall_ms: int
) -> tuple[str | None, Any]:
    """Check one pushed change with the shared wire schema and the sender's rights.

    Returns (Vietnamese reason, None) for a refused change, (None, payload) otherwise.
    Scope against stored dossiers is checked later, inside the transaction.
    """
    if not isinstance(cid, str) or not cid or len(cid) > 64:
        return "Mã thay đổi không hợp lệ.", None
    try:
        model = wire.check_pushed(kind, payload)
    except wire.WireError as exc:
        return str(exc), None
    if kind == "event":
        assert isinstance(model, wire.WireEvent)
        if model.id != cid:
            return "Mã sự kiện không khớp với mã thay đổi.", None
        if model.device_id != device.id:
            return "Sự kiện không do thiết bị này tạo ra.", None
        ahead = wire.clock_ahead_reason(model.hlc, wall_ms, MAX_AHEAD_MS)
        if ahead:
            return ahead, None
        if model.kind is EventKind.RECEIVED:
            dossier = payload["payload"]["dossier"]
            try:
                parsed = codes.parse_code(dossier["code"])
            except Exception:  # noqa: BLE001 - ValidationError carries the message
                return f"Mã hồ sơ “{str(dossier['code'])[:40]}” không hợp lệ.", None
            if parsed.agency != dossier["unit_code"]:
                return "Mã hồ sơ không mang mã định danh của đơn vị tiếp nhận.", None
            if dossier["unit_code"] != device.unit_code:
                return "Thiết bị chỉ được tiếp nhận hồ sơ cho đơn vị của mình.", None
    elif isinstance(model, wire.TicketEvent) and model.device_id != device.id:
        return "Thay đổi không do thiết bị này tạo ra.", None
    return None, payload


def _select_in(conn: Connection, store: Store, pg_sql: str, sqlite_query: Any, keys: list[str]) -> list[Any]:
    """Rows matching ``keys``: one array parameter on PostgreSQL, chunked IN (...) on SQLite."""
    if not keys:
        return []
    if store.pg:
        return _pg_binary(conn, pg_sql, (keys,))
    out: list[Any] = []
    for i in range(0, len(keys), 900):
        out.extend(tuple(r) for r in conn.execute(sqlite_query(keys[i : i + 900])))
    return out


def _stored_changes(conn: Connection, store: Store, ids: list[str]) -> dict[str, tuple[str, str]]:
    """{change_id: (device_id, payload text)} of changes already stored."""
    rows = _select_in(
        conn,
        store,
        _PG_STORED_CHANGES,
        lambda chunk: select(m.changes.c.change_id, m.changes.c.device_id, m.changes.c.payload).where(
            m.changes.c.change_id.in_(chunk)
        ),
        ids,
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _repeat_result(cid: str, stored: tuple[str, str], device: DeviceInfo, text_: str) -> ChangeResult:
    """A change id the server already holds: a true repeat (same device, same content) is a
    duplicate the sender may drop; anything else is refused, so nobody can make a device drop
    a change it has not delivered (change ids are global)."""
    if stored[0] == device.id and stored[1] == text_:
        return ChangeResult(cid, "duplicate")
    if stored[0] != device.id:
        return _reject(cid, "Mã thay đổi đã được một thiết bị khác dùng; thay đổi này chưa được nhận.")
    return _reject(cid, "Mã thay đổi đã được dùng cho một nội dung khác.")


def push(
    store: Store, device: DeviceInfo, changes: Sequence[Any], wall_ms: int | None = None
) -> list[ChangeResult]:
    """Apply one batch in one transaction; commits before returning per-change results.

    ``changes`` are objects with ``id``, ``kind``, ``payload`` (``WireChange``). Every
    change is checked with the shared wire schema (``desk_app.domain.wire``) before
    anything is stored; a bad change is rejected with a reason and does not block the
    others. A dossier's scope (unit, routing) comes from the stored dossier, never from
    the batch.
    """
    if wall_ms is None:
        wall_ms = store.wall_ms()
    results: dict[str, ChangeResult] = {}
    order: list[str] = []
    checked: list[tuple[str, str, dict[str, Any]]] = []
    now = now_iso(store)
    seen: set[str] = set()
    for ch in changes:
        cid = ch.id
        order.append(str(cid))
        if cid in seen:
            continue
        seen.add(cid)
        reason, payload = _check_change(cid, ch.kind, ch.payload, device, wall_ms)
        if reason:
            results[str(cid)] = _reject(str(cid), reason)
        else:
            checked.append((cid, ch.kind, payload))

    rows: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    with store.write() as conn:
        # ---- change ids already stored: a repeat or someone else's
        stored = _stored_changes(conn, store, [cid for cid, _, _ in checked])
        received: list[tuple[str, dict[str, Any]]] = []
        others: list[tuple[str, dict[str, Any]]] = []
        for cid, kind, p in checked:
            text_ = texts[cid] = _dump_payload(p)
            if cid in stored:
                results[cid] = _repeat_result(cid, stored[cid], device, text_)
            elif kind == "event":
                (received if p["kind"] == EventKind.RECEIVED.value else others).append((cid, p))
            else:
                rows.append(_row(cid, kind, device.unit_code, "", None, device.id, p, now, text_))

        # ---- RECEIVED: a new dossier, or a repeat of the very same dossier by the same device
        if received:
            snaps = [(cid, p["payload"]["dossier"]) for cid, p in received]
            taken = dict(
                _select_in(
                    conn,
                    store,
                    _PG_TAKEN_CODES,
                    lambda chunk: select(m.dossiers.c.code, m.dossiers.c.id).where(
                        m.dossiers.c.code.in_(chunk)
                    ),
                    list({d["code"] for _, d in snaps}),
                )
            )
            existing = {
                r[0]: r[1:]
                for r in _select_in(
                    conn,
                    store,
                    _PG_EXISTING_DOSSIERS,
                    lambda chunk: select(
                        m.dossiers.c.id,
                        m.dossiers.c.code,
                        m.dossiers.c.unit_code,
                        m.dossiers.c.target_unit_code,
                        m.dossiers.c.device_id,
                    ).where(m.dossiers.c.id.in_(chunk)),
                    list({d["id"] for _, d in snaps}),
                )
            }
            targets = {d.get("target_unit_code") or "" for _, d in snaps} - {""}
            units = (
                set(conn.execute(select(m.units.c.code).where(m.units.c.code.in_(list(targets)))).scalars())
                if targets
                else set()
            )
            new_dossiers: dict[str, dict[str, Any]] = {}
            for cid, d in snaps:
                target = d.get("target_unit_code") or ""
                mine = (d["code"], d["unit_code"], target, device.id)
                if target and target not in units:
                    results[cid] = _reject(cid, f"Đơn vị xử lý “{target[:40]}” không có trên máy chủ.")
                    continue
                if d["id"] in existing and tuple(existing[d["id"]]) != mine:
                    results[cid] = _reject(cid, "Hồ sơ này đã có trên máy chủ với nội dung khác.")
                    continue
                owner = taken.get(d["code"])
                if owner is not None and owner != d["id"]:
                    results[cid] = _reject(cid, f"Mã hồ sơ {d['code']} đã được dùng cho một hồ sơ khác.")
                    continue
                taken[d["code"]] = d["id"]
                if d["id"] not in existing:
                    new_dossiers[d["id"]] = {
                        "id": d["id"],
                        "code": d["code"],
                        "unit_code": d["unit_code"],
                        "target_unit_code": target,
                        "received_at": d["received_at"],
                        "device_id": device.id,
                    }
                rows.append(
                    _row(cid, "event", d["unit_code"], target, d["id"], device.id, None, now, texts[cid])
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
        # ---- later events: scope from the stored dossier (this batch's new ones are stored by now)
        if others:
            known = {
                r[0]: (r[1], r[2])
                for r in _select_in(
                    conn,
                    store,
                    _PG_KNOWN_DOSSIERS,
                    lambda chunk: select(
                        m.dossiers.c.id, m.dossiers.c.unit_code, m.dossiers.c.target_unit_code
                    ).where(m.dossiers.c.id.in_(chunk)),
                    list({p["dossier_id"] for _, p in others}),
                )
            }
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
                rows.append(
                    _row(cid, "event", scope[0], scope[1], p["dossier_id"], device.id, None, now, texts[cid])
                )
        inserted = append_changes(store, conn, rows)
        raced = [r["change_id"] for r in rows if r["change_id"] not in inserted]
        late = _stored_changes(conn, store, raced) if raced else {}
        heads = dict(conn.info.pop("central_heads", {}))
    if store.on_heads is not None and heads:
        store.on_heads(heads)  # after commit: the in-memory "nothing new" cache
    for written in rows:
        cid = written["change_id"]
        if cid in inserted:
            results[cid] = ChangeResult(cid, "ok")
        else:  # a concurrent push stored the same id first
            results[cid] = _repeat_result(cid, late.get(cid, ("", "")), device, texts[cid])
    out: list[ChangeResult] = []
    emitted: set[str] = set()
    for key in order:
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
    payload: dict[str, Any] | None,
    now: str,
    payload_text: str | None = None,
) -> dict[str, Any]:
    return {
        "change_id": cid,
        "kind": kind,
        "unit_code": unit,
        "target_unit_code": target,
        "dossier_id": dossier_id,
        "device_id": device_id,
        "payload": payload_text if payload_text is not None else _dump_payload(payload),
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
        held = conn.execute(
            select(func.coalesce(func.sum(m.lease_grants.c.end - m.lease_grants.c.start + 1), 0)).where(
                m.lease_grants.c.device_id == device.id, m.lease_grants.c.day == day
            )
        ).scalar_one()
        if int(held) + size > store.lease_numbers_per_day:
            log.warning(
                "lease cap reached",
                extra={"device": device.id, "unit": device.unit_code, "day": day, "held": int(held)},
            )
            raise LeaseCapReached(
                f"Thiết bị đã nhận đủ {store.lease_numbers_per_day} số hồ sơ cho ngày này; "
                "trạm dùng dải số dự phòng của mình."
            )
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
                created_at=now_iso(store),
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
                    now_iso(store),
                )
            ],
        )
        heads = dict(conn.info.pop("central_heads", {}))
    if store.on_heads is not None:
        store.on_heads(heads)


def import_procedures(store: Store, procedures: Iterable[Any]) -> int:
    from desk_app.formats.catalog_files import procedure_to_dict

    now = now_iso(store)
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
    damaged: set[str] = set()
    for r in rows:
        try:  # rows stored before every push was checked by the wire schema may be damaged
            p = json.loads(r.payload)
            ev = wire.decode_event(p)
            if ev.kind is EventKind.RECEIVED and r.dossier_id not in heads:
                heads[r.dossier_id] = dict(p["payload"]["dossier"])
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("damaged event skipped", extra={"dossier": r.dossier_id, "error": type(exc).__name__})
            damaged.add(r.dossier_id)
            events.setdefault(r.dossier_id, [])
            continue
        events.setdefault(r.dossier_id, []).append(ev)
    out = []
    for dossier_id, evs in events.items():
        d = heads.get(dossier_id, {})
        try:
            state = fold(evs)
        except (ValueError, TypeError, KeyError, AttributeError):
            state = fold([])
            damaged.add(dossier_id)
        if dossier_id in damaged:
            state.conflicts.append(
                Conflict("", EventKind.NOTE, Status.RECEIVED, "Dữ liệu sự kiện trên máy chủ bị hỏng.")
            )
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
