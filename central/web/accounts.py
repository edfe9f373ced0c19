"""Staff of the province's dashboard: accounts, sessions, login throttling and the audit log.

Plain functions over ``central.service.Store`` shared by the web pages and the
``motcua-central staff`` command. Passwords are argon2id hashes (argon2-cffi);
a session is a random token the browser holds in a cookie, stored here only as
its SHA-256, with an idle and an absolute expiry. Failed logins are counted per
account and per client address; past the limit the key is locked for a while,
even for the right password. The audit log records who did what and when, with
ids as targets (unit codes, device ids, period keys), never a citizen's data.
Every time comes from the caller's clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from central import models as m
from central import service as svc

PROVINCE_ADMIN = "province_admin"
UNIT_MANAGER = "unit_manager"
VIEWER = "viewer"
ROLES: dict[str, str] = {
    PROVINCE_ADMIN: "Quản trị cấp tỉnh",
    UNIT_MANAGER: "Quản lý đơn vị",
    VIEWER: "Xem báo cáo",
}
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200

staff_users = Table(
    "staff_users",
    m.metadata,
    Column("username", String, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String, nullable=False),
    Column("unit_code", String, nullable=True),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", String, nullable=False),
    Column("password_changed_at", String, nullable=False),
)
staff_sessions = Table(
    "staff_sessions",
    m.metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("username", String, nullable=False),
    Column("csrf", String, nullable=False),
    Column("created_at", String, nullable=False),
    Column("last_seen_at", String, nullable=False),
    Index("ix_staff_sessions_user", "username"),
)
login_throttle = Table(
    "login_throttle",
    m.metadata,
    Column("key", String, primary_key=True),  # "user:<name>" or "client:<address>"
    Column("failures", Integer, nullable=False),
    Column("window_start", String, nullable=False),
    Column("locked_until", String, nullable=True),
)
audit_log = Table(
    "audit_log",
    m.metadata,
    Column("id", m.SeqType, primary_key=True, autoincrement=True),
    Column("at", String, nullable=False),
    Column("username", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target", Text, nullable=False),
    Column("client", String, nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_audit_log_at", "at"),
)


@dataclass(frozen=True)
class Policy:
    """Session lifetimes and lock-out thresholds."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    account_failures: int = 5  # failed logins of one account within ``window`` before it locks
    client_failures: int = 20  # failed logins from one address within ``window``
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=15)
    touch_every: dt.timedelta = dt.timedelta(seconds=60)  # last_seen is written at most this often


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Staff:
    username: str
    display_name: str
    role: str
    unit_code: str
    disabled: bool = False

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == PROVINCE_ADMIN

    def may_see_unit(self, unit_code: str) -> bool:
        """Drill-down lists and reports of a unit."""
        return self.role in (PROVINCE_ADMIN, VIEWER) or (
            self.role == UNIT_MANAGER and unit_code == self.unit_code
        )

    def may_see_province(self) -> bool:
        """The whole province's report."""
        return self.role in (PROVINCE_ADMIN, VIEWER)

    def sees_personal_data(self, unit_code: str) -> bool:
        """Applicants' names in the lists: the province admin, and a unit's manager for its own unit."""
        return self.role == PROVINCE_ADMIN or (self.role == UNIT_MANAGER and unit_code == self.unit_code)

    def may_manage_devices(self, unit_code: str | None = None) -> bool:
        if self.role == PROVINCE_ADMIN:
            return True
        return self.role == UNIT_MANAGER and (unit_code is None or unit_code == self.unit_code)


class _Hashing:
    """The password hasher, and a hash of nothing to verify against when the account does not
    exist (so that both answers cost the same), made on first use."""

    def __init__(self, hasher: PasswordHasher):
        self.hasher = hasher
        self._dummy = ""

    @property
    def dummy(self) -> str:
        if not self._dummy:
            self._dummy = self.hasher.hash("không có tài khoản này")
        return self._dummy


_hashing = _Hashing(PasswordHasher())  # argon2id, the library's (RFC 9106 low-memory) parameters


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use cheap parameters); returns the previous one."""
    global _hashing
    previous = _hashing.hasher
    _hashing = _Hashing(hasher)
    return previous


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ---------------------------------------------------------------- accounts
def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise svc.AdminError(
            "Tên đăng nhập gồm 3–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới."
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise svc.AdminError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > MAX_PASSWORD:
        raise svc.AdminError(f"Mật khẩu dài quá {MAX_PASSWORD} ký tự.")


def add_staff(
    store: svc.Store,
    username: str,
    display_name: str,
    password: str,
    role: str,
    unit_code: str = "",
    *,
    now: dt.datetime,
) -> Staff:
    name = check_username(username)
    check_password(password)
    if role not in ROLES:
        raise svc.AdminError("Vai trò phải là " + ", ".join(ROLES) + ".")
    unit = unit_code.strip() if role == UNIT_MANAGER else ""
    if role == UNIT_MANAGER and not unit:
        raise svc.AdminError("Quản lý đơn vị cần mã đơn vị (--unit).")
    display = display_name.strip() or name
    hashed = _hashing.hasher.hash(password)
    with store.write() as conn:
        if unit and not conn.execute(select(m.units.c.code).where(m.units.c.code == unit)).first():
            raise svc.AdminError(f"Chưa có đơn vị “{unit}”.")
        if conn.execute(select(staff_users.c.username).where(staff_users.c.username == name)).first():
            raise svc.AdminError(f"Đã có tài khoản “{name}”.")
        conn.execute(
            insert(staff_users).values(
                username=name,
                display_name=display,
                password_hash=hashed,
                role=role,
                unit_code=unit or None,
                disabled=False,
                created_at=_iso(now),
                password_changed_at=_iso(now),
            )
        )
    return Staff(name, display, role, unit)


def set_password(store: svc.Store, username: str, password: str, *, now: dt.datetime) -> None:
    """New password; every open session of the account ends."""
    check_password(password)
    hashed = _hashing.hasher.hash(password)
    name = username.strip().lower()
    with store.write() as conn:
        done = conn.execute(
            update(staff_users)
            .where(staff_users.c.username == name)
            .values(password_hash=hashed, password_changed_at=_iso(now))
        )
        if done.rowcount == 0:
            raise svc.AdminError(f"Không có tài khoản “{name}”.")
        conn.execute(delete(staff_sessions).where(staff_sessions.c.username == name))
        conn.execute(delete(login_throttle).where(login_throttle.c.key == f"user:{name}"))


def set_disabled(store: svc.Store, username: str, disabled: bool = True) -> None:
    """Disable (or enable again) an account; a disabled one's sessions end at once."""
    name = username.strip().lower()
    with store.write() as conn:
        done = conn.execute(
            update(staff_users).where(staff_users.c.username == name).values(disabled=disabled)
        )
        if done.rowcount == 0:
            raise svc.AdminError(f"Không có tài khoản “{name}”.")
        if disabled:
            conn.execute(delete(staff_sessions).where(staff_sessions.c.username == name))


def _staff(row: Any) -> Staff:
    return Staff(row.username, row.display_name, row.role, row.unit_code or "", bool(row.disabled))


def list_staff(store: svc.Store) -> list[Staff]:
    with store.read() as conn:
        rows = conn.execute(select(staff_users).order_by(staff_users.c.username)).all()
    return [_staff(r) for r in rows]


# ---------------------------------------------------------------- login and lock-out
@dataclass(frozen=True)
class LoginResult:
    staff: Staff | None
    outcome: str  # ok | bad | locked


def _upsert_key(conn: Connection, key: str, now: dt.datetime) -> Any:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    conn.execute(
        dialect_insert(login_throttle)
        .values(key=key, failures=0, window_start=_iso(now), locked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return conn.execute(select(login_throttle).where(login_throttle.c.key == key).with_for_update()).one()


def _locked(conn: Connection, keys: list[str], now: dt.datetime) -> bool:
    rows = conn.execute(select(login_throttle.c.locked_until).where(login_throttle.c.key.in_(keys))).all()
    return any((until := _time(r.locked_until)) is not None and until > now for r in rows)


def _count_failure(conn: Connection, key: str, limit: int, now: dt.datetime, policy: Policy) -> None:
    row = _upsert_key(conn, key, now)
    start = _time(row.window_start) or now
    failures = row.failures + 1 if now - start < policy.window else 1
    values: dict[str, Any] = {"failures": failures}
    if failures == 1:
        values["window_start"] = _iso(now)
    if failures >= limit:
        values.update(failures=0, window_start=_iso(now), locked_until=_iso(now + policy.lock))
    conn.execute(update(login_throttle).where(login_throttle.c.key == key).values(**values))


def login(
    store: svc.Store,
    username: str,
    password: str,
    client: str,
    now: dt.datetime,
    policy: Policy = DEFAULT_POLICY,
) -> LoginResult:
    """Check a login; count failures and refuse while the account or the address is locked."""
    name = username.strip().lower()[:64]
    keys = [f"user:{name}", f"client:{client}"]
    with store.read() as conn:
        if _locked(conn, keys, now):
            return LoginResult(None, "locked")
        row = conn.execute(select(staff_users).where(staff_users.c.username == name)).first()
    ok = False
    try:
        stored = row.password_hash if row is not None else _hashing.dummy
        ok = _hashing.hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row.disabled
    with store.write() as conn:
        if not ok:
            _count_failure(conn, keys[0], policy.account_failures, now, policy)
            _count_failure(conn, keys[1], policy.client_failures, now, policy)
            return LoginResult(None, "bad")
        assert row is not None
        conn.execute(delete(login_throttle).where(login_throttle.c.key == keys[0]))
        if _hashing.hasher.check_needs_rehash(row.password_hash):
            conn.execute(
                update(staff_users)
                .where(staff_users.c.username == name)
                .values(password_hash=_hashing.hasher.hash(password))
            )
    return LoginResult(_staff(row), "ok")


# ---------------------------------------------------------------- sessions
@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf: str


def new_session(
    store: svc.Store, username: str, now: dt.datetime, policy: Policy = DEFAULT_POLICY
) -> tuple[str, str]:
    """(cookie token, CSRF token) of a fresh session; only the token's hash is stored.
    Expired sessions and stale failure counters of everyone are swept on the way."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    with store.write() as conn:
        # the stored times are UTC ISO strings of one format: they compare as text
        conn.execute(
            delete(staff_sessions).where(
                (staff_sessions.c.created_at < _iso(now - policy.absolute))
                | (staff_sessions.c.last_seen_at < _iso(now - policy.idle))
            )
        )
        conn.execute(
            delete(login_throttle).where(
                (login_throttle.c.window_start < _iso(now - max(policy.window, policy.lock)))
                & (login_throttle.c.locked_until.is_(None) | (login_throttle.c.locked_until < _iso(now)))
            )
        )
        conn.execute(
            insert(staff_sessions).values(
                id_hash=sha256(token),
                username=username,
                csrf=csrf,
                created_at=_iso(now),
                last_seen_at=_iso(now),
            )
        )
    return token, csrf


def session_of(
    store: svc.Store, token: str, now: dt.datetime, policy: Policy = DEFAULT_POLICY
) -> Session | None:
    """The live session of a cookie token, or None (unknown, expired, account disabled)."""
    if not token or len(token) > 100:
        return None
    key = sha256(token)
    with store.read() as conn:
        row = conn.execute(
            select(staff_sessions, staff_users)
            .join(staff_users, staff_users.c.username == staff_sessions.c.username)
            .where(staff_sessions.c.id_hash == key)
        ).first()
    if row is None:
        return None
    created, seen = _time(row.created_at) or now, _time(row.last_seen_at) or now
    if row.disabled or now - created >= policy.absolute or now - seen >= policy.idle:
        end_session(store, token)
        return None
    if now - seen >= policy.touch_every:
        with store.write() as conn:
            conn.execute(
                update(staff_sessions).where(staff_sessions.c.id_hash == key).values(last_seen_at=_iso(now))
            )
    return Session(_staff(row), row.csrf)


def end_session(store: svc.Store, token: str) -> None:
    with store.write() as conn:
        conn.execute(delete(staff_sessions).where(staff_sessions.c.id_hash == sha256(token)))


# ---------------------------------------------------------------- audit
def audit(
    store: svc.Store,
    now: dt.datetime,
    username: str,
    action: str,
    target: str = "",
    client: str = "",
    ok: bool = True,
) -> None:
    """One line of the audit log. ``target`` holds ids only (unit code, device id, period)."""
    with store.write() as conn:
        conn.execute(
            insert(audit_log).values(
                at=_iso(now),
                username=username[:64],
                action=action,
                target=target[:500],
                client=client[:64],
                ok=ok,
            )
        )


def audit_rows(store: svc.Store, limit: int = 200) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
