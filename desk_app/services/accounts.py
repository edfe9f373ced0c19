"""Staff accounts: argon2 password hashes and roles; every event records its actor.

Password guessing is slowed per account: after ``LOCK_AFTER`` wrong passwords in a
row the account waits ``FIRST_WAIT`` (30 s), and every further wrong password
doubles the wait (capped at ``MAX_WAIT`` so a prankster cannot lock an officer out
for a day). The rule is ``lockout_wait`` / ``LoginThrottle``, pure and clocked by
the caller; the count lives in the station's ``meta`` table (one key per account)
so a restart does not reset it, and every failure, lock-out and refused attempt
is audited. A successful login or a new password clears it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, insert, select, update

from desk_app.domain.errors import DomainError, ValidationError
from desk_app.domain.model import Role
from desk_app.ids import uuid7
from desk_app.services.station import Station
from desk_app.store import schema as s
from desk_app.store.repositories import iso
from desk_app.textfold import normalize_text

_hasher_instance: Any = None


def _hasher() -> Any:
    """argon2's hasher, imported on first use (not on the program's start-up path)."""
    global _hasher_instance
    if _hasher_instance is None:
        from argon2 import PasswordHasher

        _hasher_instance = PasswordHasher()
    return _hasher_instance


MIN_PASSWORD = 6


LOCK_AFTER = 5
FIRST_WAIT = dt.timedelta(seconds=30)
MAX_WAIT = dt.timedelta(hours=1)
META_THROTTLE = "login_throttle:"  # + username


class AuthError(DomainError):
    pass


class AccountLocked(AuthError):
    """Too many wrong passwords: the account waits ``remaining`` before the next try."""

    def __init__(self, username: str, remaining: dt.timedelta):
        self.username = username
        self.remaining = remaining
        super().__init__(locked_message(username, remaining))


def lockout_wait(failures: int) -> dt.timedelta:
    """The wait after ``failures`` wrong passwords in a row: none below 5, then 30 s doubling."""
    if failures < LOCK_AFTER:
        return dt.timedelta(0)
    doublings = failures - LOCK_AFTER
    if doublings >= 20:  # 30 s · 2**20 is far beyond the cap; no huge integers
        return MAX_WAIT
    return min(FIRST_WAIT * (1 << doublings), MAX_WAIT)


def wait_text(remaining: dt.timedelta) -> str:
    """ "30 giây", "2 phút 5 giây": whole seconds, rounded up (never "0 giây" while locked)."""
    seconds = max(1, int(-(-remaining.total_seconds() // 1)))
    minutes, secs = divmod(seconds, 60)
    if not minutes:
        return f"{secs} giây"
    return f"{minutes} phút" + (f" {secs} giây" if secs else "")


def locked_message(username: str, remaining: dt.timedelta) -> str:
    return (
        f"Tài khoản “{username}” tạm khóa vì nhập sai mật khẩu nhiều lần. "
        f"Hãy thử lại sau {wait_text(remaining)}."
    )


@dataclass(frozen=True)
class LoginThrottle:
    """Wrong passwords in a row for one account and when the last one came."""

    failures: int = 0
    last_failure: dt.datetime | None = None

    def remaining(self, now: dt.datetime) -> dt.timedelta:
        """How long the account still waits at ``now`` (zero when it may try)."""
        if self.last_failure is None:
            return dt.timedelta(0)
        left = self.last_failure + lockout_wait(self.failures) - now
        return max(left, dt.timedelta(0))

    def failed(self, now: dt.datetime) -> LoginThrottle:
        return replace(self, failures=self.failures + 1, last_failure=now)

    def to_json(self) -> dict[str, object]:
        return {
            "failures": self.failures,
            "last": self.last_failure.isoformat() if self.last_failure else None,
        }

    @classmethod
    def from_json(cls, data: object) -> LoginThrottle:
        if not isinstance(data, dict):
            return cls()
        last = data.get("last")
        try:
            when = dt.datetime.fromisoformat(last) if isinstance(last, str) else None
            return cls(int(data.get("failures", 0)), when)
        except (TypeError, ValueError):  # a damaged entry must not lock anyone out
            return cls()


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: Role
    counter_no: int | None = None
    active: bool = True

    def can(self, permission: str) -> bool:
        allowed = {
            "receive": {Role.OFFICER, Role.SUPERVISOR, Role.ADMIN},
            "settings": {Role.SUPERVISOR, Role.ADMIN},
            "accounts": {Role.ADMIN},
            "kiosk": {Role.KIOSK, Role.SUPERVISOR, Role.ADMIN},
            "ratings": {Role.SUPERVISOR, Role.ADMIN},  # officers never see ratings of themselves
        }
        return self.role in allowed.get(permission, set())


class AccountService:
    def __init__(self, station: Station):
        self.station = station

    def create(
        self, username: str, full_name: str, password: str, role: Role, counter_no: int | None = None
    ) -> Account:
        username = username.strip().lower()
        if not username or not username.replace(".", "").replace("_", "").isalnum():
            raise ValidationError(
                "username", "Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm hoặc gạch dưới."
            )
        if len(password) < MIN_PASSWORD:
            raise ValidationError("password", f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
        now = iso(self.station.now())
        with self.station.uow() as uow:
            if uow.conn.execute(select(s.users.c.username).where(s.users.c.username == username)).first():
                raise ValidationError("username", f"Tên đăng nhập “{username}” đã tồn tại.")
            uow.conn.execute(
                insert(s.users).values(
                    username=username,
                    full_name=normalize_text(full_name),
                    role=Role(role).value,
                    password_hash=_hasher().hash(password),
                    active=True,
                    counter_no=counter_no,
                    created_at=now,
                )
            )
            uow.audit.add(
                uuid7(), now or "", "system", "account.create", username, {"role": Role(role).value}
            )
            uow.commit()
        return Account(username, normalize_text(full_name), Role(role), counter_no)

    def authenticate(self, username: str, password: str) -> Account:
        """The account for a right password; ``AccountLocked`` while it waits after wrong ones."""
        username = username.strip().lower()
        with self.station.uow(write=False) as uow:
            row = uow.conn.execute(select(s.users).where(s.users.c.username == username)).first()
            throttle = LoginThrottle.from_json(uow.meta.get_json(META_THROTTLE + username))
        message = "Tên đăng nhập hoặc mật khẩu không đúng."
        if row is None or not row.active:
            raise AuthError(message)
        from argon2.exceptions import InvalidHashError, VerificationError

        now = self.station.now()
        remaining = throttle.remaining(now)
        if remaining:  # refused without looking at the password: guessing gains nothing
            self._audit(username, "login.refused_locked", {"remaining_s": int(remaining.total_seconds())})
            raise AccountLocked(username, remaining)
        try:
            _hasher().verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            throttle = throttle.failed(now)
            wait = lockout_wait(throttle.failures)
            with self.station.uow() as uow:
                uow.meta.set_json(META_THROTTLE + username, throttle.to_json())
                uow.audit.add(
                    uuid7(),
                    iso(now) or "",
                    username,
                    "login.failed",
                    username,
                    {"failures": throttle.failures},
                )
                if wait:
                    uow.audit.add(
                        uuid7(),
                        iso(now) or "",
                        username,
                        "login.locked",
                        username,
                        {"failures": throttle.failures, "wait_s": int(wait.total_seconds())},
                    )
                uow.commit()
            if wait:
                raise AccountLocked(username, wait) from None
            raise AuthError(message) from None
        if _hasher().check_needs_rehash(row.password_hash):
            self.set_password(username, password)
        if throttle.failures:
            self._clear_throttle(username)
        self._audit(username, "login")
        return Account(row.username, row.full_name, Role(row.role), row.counter_no, bool(row.active))

    def throttle(self, username: str) -> LoginThrottle:
        with self.station.uow(write=False) as uow:
            return LoginThrottle.from_json(uow.meta.get_json(META_THROTTLE + username.strip().lower()))

    def _clear_throttle(self, username: str) -> None:
        with self.station.uow() as uow:
            uow.conn.execute(delete(s.meta).where(s.meta.c.key == META_THROTTLE + username))
            uow.commit()

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ValidationError("password", f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
        with self.station.uow() as uow:
            uow.conn.execute(
                update(s.users)
                .where(s.users.c.username == username)
                .values(password_hash=_hasher().hash(password))
            )
            uow.conn.execute(delete(s.meta).where(s.meta.c.key == META_THROTTLE + username))
            uow.commit()

    def list(self) -> list[Account]:
        with self.station.uow(write=False) as uow:
            rows = uow.conn.execute(select(s.users).order_by(s.users.c.username))
            return [
                Account(r.username, r.full_name, Role(r.role), r.counter_no, bool(r.active)) for r in rows
            ]

    def names(self) -> dict[str, str]:
        return {a.username: a.full_name for a in self.list()}

    def deactivate(self, username: str) -> None:
        with self.station.uow() as uow:
            uow.conn.execute(update(s.users).where(s.users.c.username == username).values(active=False))
            uow.commit()

    def _audit(self, username: str, action: str, detail: dict[str, object] | None = None) -> None:
        now = iso(self.station.now()) or ""
        with self.station.uow() as uow:
            uow.audit.add(uuid7(), now, username, action, username, detail)
            uow.commit()
