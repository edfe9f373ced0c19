"""Staff accounts: argon2 hashes, roles, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desk_app.domain.errors import ValidationError
from desk_app.domain.model import Role
from desk_app.services.accounts import AuthError
from desk_app.store import schema as s


def test_login_and_roles(app) -> None:  # type: ignore[no-untyped-def]
    account = app.accounts.authenticate("CanBo1 ", "canbo123")
    assert account.full_name == "Nguyễn Thị Hồng Nhung" and account.role is Role.OFFICER
    assert account.can("receive") and not account.can("settings")
    with pytest.raises(AuthError, match="không đúng"):
        app.accounts.authenticate("canbo1", "sai")
    with app.station.uow(write=False) as uow:
        stored = uow.conn.execute(select(s.users.c.password_hash)).scalar()
        actions = [r.action for r in uow.conn.execute(select(s.audit_log).order_by(s.audit_log.c.at))]
    assert stored.startswith("$argon2") and "canbo123" not in stored
    assert "login" in actions and "login.failed" in actions


def test_rules_for_new_accounts(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="đã tồn tại"):
        app.accounts.create("canbo1", "X", "matkhau1", Role.OFFICER)
    with pytest.raises(ValidationError, match="ít nhất"):
        app.accounts.create("canbo9", "X", "123", Role.OFFICER)
    app.accounts.create("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR)
    assert app.accounts.authenticate("giamsat", "giamsat123").can("settings")
    app.accounts.deactivate("giamsat")
    with pytest.raises(AuthError):
        app.accounts.authenticate("giamsat", "giamsat123")
