"""``motcua-central staff add|passwd|disable|list``: the first province admin comes from the command line."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from central import service as svc
from central.cli import main as central_main
from central.db import make_engine
from central.web import accounts
from tests.helpers.fakes import FakeClock
from tests.web.conftest import UNIT

CLIENT = "127.0.0.1"


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    db = f"sqlite:///{tmp_path / 'central.sqlite3'}"

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))  # not a terminal: one line is the password
        code = central_main(["--db", db, *args])
        out, err = capsys.readouterr()
        return code, out, err

    run.db = db  # type: ignore[attr-defined]
    return run


def test_staff_commands_create_change_disable_and_list(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = cli("staff", "add", "Admin", "--role", "province_admin", "--name", "Lê Thị Tỉnh",
                       stdin="mat-khau-dau-tien\n")  # fmt: skip
    assert code == 0 and "Đã tạo tài khoản admin (Quản trị cấp tỉnh)" in out
    assert "mat-khau-dau-tien" not in out
    code, _, err = cli("staff", "add", "quanly", "--role", "unit_manager", stdin="mat-khau-dau-tien\n")
    assert code == 1 and "cần mã đơn vị" in err
    assert cli("unit", "add", "--code", UNIT, "--name", "Xã Vĩnh Lương")[0] == 0
    code, _, _ = cli(
        "staff", "add", "quanly", "--role", "unit_manager", "--unit", UNIT, stdin="mat-khau-quan-ly\n"
    )
    assert code == 0
    code, _, err = cli("staff", "add", "ngan", "--role", "viewer", stdin="ngan\n")
    assert code == 1 and "ít nhất 10 ký tự" in err
    code, _, err = cli("staff", "add", "admin", "--role", "viewer", stdin="mat-khau-khac-123\n")
    assert code == 1 and "Đã có tài khoản “admin”" in err
    code, _, err = cli("staff", "add", "Tên Có Dấu", "--role", "viewer", stdin="mat-khau-khac-123\n")
    assert code == 1 and "Tên đăng nhập gồm 3–40 ký tự" in err

    engine = make_engine(cli.db)  # type: ignore[attr-defined]
    store = svc.Store(engine, clock=FakeClock(dt.datetime(2026, 11, 25, 9, 0)))
    try:
        now = store.clock()
        assert accounts.login(store, "admin", "mat-khau-dau-tien", CLIENT, now).outcome == "ok"
        assert cli("staff", "passwd", "admin", stdin="mat-khau-moi-2026\n")[0] == 0
        assert accounts.login(store, "admin", "mat-khau-dau-tien", CLIENT, now).outcome == "bad"
        assert accounts.login(store, "admin", "mat-khau-moi-2026", CLIENT, now).outcome == "ok"
        assert cli("staff", "disable", "quanly")[0] == 0
        assert accounts.login(store, "quanly", "mat-khau-quan-ly", CLIENT, now).outcome == "bad"
        code, out, _ = cli("staff", "list")
        assert out.splitlines() == [
            "admin\tprovince_admin\t-\tLê Thị Tỉnh\thoạt động",
            f"quanly\tunit_manager\t{UNIT}\tquanly\tđã khóa",
        ]
        assert cli("staff", "disable", "quanly", "--enable")[0] == 0
        assert accounts.login(store, "quanly", "mat-khau-quan-ly", CLIENT, now).outcome == "ok"
        actions = [(r["username"], r["action"], r["target"]) for r in accounts.audit_rows(store)][::-1]
        assert actions == [
            ("(cli)", "staff_add", "user=admin role=province_admin"),
            ("(cli)", "staff_add", "user=quanly role=unit_manager"),
            ("(cli)", "staff_passwd", "user=admin"),
            ("(cli)", "staff_disable", "user=quanly"),
            ("(cli)", "staff_enable", "user=quanly"),
        ]
        code, _, err = cli("staff", "passwd", "khongco", stdin="mat-khau-moi-2026\n")
        assert code == 1 and "Không có tài khoản “khongco”" in err
    finally:
        engine.dispose()
