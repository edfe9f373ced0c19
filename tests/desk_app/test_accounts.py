"""Staff accounts: argon2 hashes, roles, audit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
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


def test_lockout_wait_rule() -> None:
    import datetime as dt

    from desk_app.services.accounts import lockout_wait, wait_text

    assert [lockout_wait(n).total_seconds() for n in range(0, 9)] == [0, 0, 0, 0, 0, 30, 60, 120, 240]
    assert lockout_wait(12) == dt.timedelta(hours=1) == lockout_wait(10_000)  # capped
    assert wait_text(dt.timedelta(seconds=29.2)) == "30 giây"
    assert wait_text(dt.timedelta(seconds=125)) == "2 phút 5 giây"
    assert wait_text(dt.timedelta(0)) == "1 giây"


def test_five_wrong_passwords_lock_the_account_for_30_s_doubling(app, clock) -> None:  # type: ignore[no-untyped-def]
    from desk_app.services.accounts import AccountLocked

    for _ in range(4):
        with pytest.raises(AuthError, match="không đúng"):
            app.accounts.authenticate("canbo1", "sai")
        clock.advance(seconds=1)
    with pytest.raises(AccountLocked, match="thử lại sau 30 giây") as locked:
        app.accounts.authenticate("canbo1", "sai")  # the 5th
    assert locked.value.remaining.total_seconds() == 30
    clock.advance(seconds=10)
    with pytest.raises(AccountLocked, match="sau 20 giây"):
        app.accounts.authenticate("canbo1", "canbo123")  # even the right password waits
    clock.advance(seconds=20)
    with pytest.raises(AccountLocked, match="sau 1 phút"):
        app.accounts.authenticate("canbo1", "sai")  # the 6th: 60 s
    clock.advance(seconds=60)
    assert app.accounts.authenticate("canbo1", "canbo123").username == "canbo1"
    assert app.accounts.throttle("canbo1").failures == 0  # a good login clears the count
    with pytest.raises(AuthError, match="không đúng"):
        app.accounts.authenticate("canbo1", "sai")
    with app.station.uow(write=False) as uow:
        rows = list(uow.conn.execute(select(s.audit_log).order_by(s.audit_log.c.at, s.audit_log.c.id)))
    actions = [r.action for r in rows if r.actor == "canbo1"]
    assert actions.count("login.failed") == 7
    assert actions.count("login.locked") == 2 and actions.count("login.refused_locked") == 1
    locked_rows = [r.detail for r in rows if r.action == "login.locked"]
    assert locked_rows == [{"failures": 5, "wait_s": 30}, {"failures": 6, "wait_s": 60}]


def test_lock_survives_a_restart_and_a_new_password_clears_it(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station
    from desk_app.services.accounts import AccountLocked

    for _ in range(5):
        with pytest.raises(AuthError):
            app.accounts.authenticate("canbo1", "sai")
    again = open_station(tmp_path / "station.sqlite3", clock=clock)
    try:
        with pytest.raises(AccountLocked):
            again.accounts.authenticate("canbo1", "canbo123")
        again.accounts.set_password("canbo1", "moi123456")  # an admin resets the password
        assert again.accounts.authenticate("canbo1", "moi123456").username == "canbo1"
    finally:
        again.close()


@given(failures=st.integers(min_value=0, max_value=10_000), elapsed=st.integers(min_value=0, max_value=7200))
def test_lockout_rule_properties(failures: int, elapsed: int) -> None:
    import datetime as dt

    from desk_app.services.accounts import FIRST_WAIT, LOCK_AFTER, MAX_WAIT, LoginThrottle, lockout_wait

    wait = lockout_wait(failures)
    assert dt.timedelta(0) <= wait <= MAX_WAIT
    assert lockout_wait(failures + 1) >= wait  # never shorter after one more wrong password
    if failures < LOCK_AFTER:
        assert wait == dt.timedelta(0)
    elif wait < MAX_WAIT:
        assert wait == FIRST_WAIT * 2 ** (failures - LOCK_AFTER)
    last = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    left = LoginThrottle(failures, last).remaining(last + dt.timedelta(seconds=elapsed))
    assert left == max(wait - dt.timedelta(seconds=elapsed), dt.timedelta(0))
