"""``motcua station show|set`` and ``motcua run-role``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from desk_app.queue.host import free_port
from desk_app.roles import DeviceSettings, load_device_settings
from desk_app.roles_cli import main, role_settings
from tests.helpers.fakes import child_pythonpath
from tests.roles.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(app: Any) -> str:
    app.close()  # the CLI opens the station itself
    return str(app.db.path)


def test_station_set_then_show(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main([
        "station", "set", "--db", db, "--roles", "counter,kiosk,queue-host", "--printer-port", "/dev/ttyUSB0",
        "--printer-baud", "19200", "--printer-mode", "tcvn3", "--led-port", "/dev/ttyS1",
        "--queue-secret", SECRET, "--kiosk-pin", "975310", "--counter", "3",
    ])  # fmt: skip
    assert rc == 0
    out = capsys.readouterr().out
    assert "Đã lưu cài đặt thiết bị" in out and "queue-host (máy chủ xếp hàng)" in out
    assert SECRET not in out and "975310" not in out  # secrets stay hidden

    assert main(["station", "show", "--db", db, "--show-secret"]) == 0
    out = capsys.readouterr().out
    assert "/dev/ttyUSB0, 19200 baud" in out and "tcvn3" in out and SECRET in out
    assert "Số quầy:            3" in out

    # Only the options given change; "" clears a port, --counter 0 follows the officer.
    assert main(["station", "set", "--db", db, "--printer-port", "", "--counter", "0"]) == 0
    from desk_app.bootstrap import open_station

    station = open_station(db)
    try:
        s = load_device_settings(station)
    finally:
        station.close()
    assert (s.printer_port, s.counter_no, s.printer_baud, s.led_port) == ("", None, 19200, "/dev/ttyS1")
    assert s.roles == ("counter", "kiosk", "queue-host")


def test_station_set_refuses_bad_values_in_vietnamese(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["station", "set", "--db", db, "--roles", "counter,tv"]) == 1
    assert "Vai trò không hợp lệ: tv" in capsys.readouterr().err
    assert main(["station", "set", "--db", db, "--queue-secret", "ngan"]) == 1
    assert "ít nhất 8 ký tự" in capsys.readouterr().err


def test_run_role_keeps_a_local_queue_local() -> None:
    host = DeviceSettings(
        roles=("counter", "kiosk", "queue-host"), queue_url="http://x:1", queue_secret=SECRET
    )
    assert role_settings(host, "kiosk") == host.replace(roles=("kiosk",), queue_url="")
    remote = DeviceSettings(
        roles=("counter", "display"), queue_url="http://10.0.0.2:8765", queue_secret=SECRET
    )
    assert role_settings(remote, "display").queue_url == "http://10.0.0.2:8765"


def test_run_role_queue_host_serves_until_ctrl_c(db: str) -> None:
    port = free_port()
    assert main(["station", "set", "--db", db, "--roles", "queue-host", "--queue-secret", SECRET,
                 "--listen", "127.0.0.1", "--port", str(port)]) == 0  # fmt: skip
    env = {**os.environ, "PYTHONPATH": child_pythonpath(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "desk_app.roles_cli", "run-role", "queue-host", "--db", db],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 15
        # Ready = serving HTTP *and* the main thread announced it (its Ctrl-C handling is set up).
        while not any("đang chạy" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "host did not start"
            time.sleep(0.05)
        r = httpx.post(
            f"http://127.0.0.1:{port}/commands/call_next",
            json={"counter_no": 1, "officer": "a"},
            headers={"X-Queue-Secret": SECRET},
            timeout=5,
        )
        assert r.status_code == 200 and r.json() == {"ticket": None}
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        reader.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(5)
        assert proc.stderr is not None
        proc.stderr.close()
    err = "".join(lines)
    assert proc.returncode == 0, err
    assert "Máy chủ xếp hàng đang chạy" in err and "Đã dừng máy chủ xếp hàng" in err


@pytest.mark.gui
@pytest.mark.parametrize(("role", "opened"), [("display", "màn hình gọi số"), ("kiosk", "máy lấy số")])
def test_run_role_window_opens_until_terminated(db: str, role: str, opened: str) -> None:
    """SIGTERM / Ctrl-C close the window even for the kiosk, whose window wants a PIN."""
    # A child process: quitting the test process's own QApplication would break qtbot's waits.
    command = ["run-role", role, "--db", db, "--demo", "--windowed"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.launcher", *command],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": child_pythonpath(ROOT), "QT_QPA_PLATFORM": "offscreen"},
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        ready = False
        deadline = time.monotonic() + 20
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stderr.readline()
            ready = f"Đã mở {opened}" in line
        assert ready, f"the {role} window did not open"
        time.sleep(0.5)  # a few polls of the queue
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == 0
