"""Staff accounts: argon2 password hashes and roles; every event records its actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

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


class AuthError(DomainError):
    pass


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
        username = username.strip().lower()
        with self.station.uow(write=False) as uow:
            row = uow.conn.execute(select(s.users).where(s.users.c.username == username)).first()
        message = "Tên đăng nhập hoặc mật khẩu không đúng."
        if row is None or not row.active:
            raise AuthError(message)
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            _hasher().verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            self._audit(username, "login.failed")
            raise AuthError(message) from None
        if _hasher().check_needs_rehash(row.password_hash):
            self.set_password(username, password)
        self._audit(username, "login")
        return Account(row.username, row.full_name, Role(row.role), row.counter_no, bool(row.active))

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ValidationError("password", f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
        with self.station.uow() as uow:
            uow.conn.execute(
                update(s.users)
                .where(s.users.c.username == username)
                .values(password_hash=_hasher().hash(password))
            )
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

    def _audit(self, username: str, action: str) -> None:
        now = iso(self.station.now()) or ""
        with self.station.uow() as uow:
            uow.audit.add(uuid7(), now, username, action, username)
            uow.commit()
