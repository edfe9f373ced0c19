"""build_devices: simulators in demo mode, missing ports, the LAN queue host, clean shutdown."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from desk_app.queue.client import QueueAuthError, QueueClient
from desk_app.queue.models import TicketState
from desk_app.queue.service import issue_with_printer
from desk_app.roles import (
    MSG_NO_PRINTER_PORT,
    PRINTER_READY,
    QUEUE_CONNECTED,
    QUEUE_LOCAL,
    QUEUE_LOST,
    DeviceSettings,
    DeviceState,
    build_devices,
    missing_printer_message,
)
from tests.roles.conftest import SECRET, live_threads, open_fds


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("mode", ["cp1258", "tcvn3"])
def test_demo_ticket_goes_through_the_real_driver_to_the_simulator(build: Any, mode: str) -> None:
    devices = build(DeviceSettings(roles=("kiosk", "display"), printer_mode=mode), demo=True)
    sim = devices.printer_simulator
    assert devices.printer.port == sim.port and devices.board.port == devices.board_simulator.port
    assert devices.problems == {}

    result = issue_with_printer(devices.queue, devices.printer, "ho_tich", None, devices.unit_name)

    assert result.printed, result.error
    wait_for(lambda: len(sim.tickets) == 1)
    text = one_line(sim.tickets[0].text)
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ VĨNH LƯƠNG" in text
    assert "A001" in text and "Hộ tịch" in text
    assert devices.queue.ticket(result.ticket.id).state == TicketState.WAITING
    assert devices.queue.status().queues[0].waiting == 1
    assert devices.probe()["printer"] == DeviceState(True, PRINTER_READY)
    assert devices.probe()["queue"] == DeviceState(True, QUEUE_LOCAL)


def test_missing_serial_port_is_a_status_not_an_exception(build: Any, tmp_path: Path) -> None:
    port = str(tmp_path / "ttyUSB7")
    started = time.monotonic()
    devices = build(
        DeviceSettings(roles=("kiosk", "display"), printer_port=port, led_port=str(tmp_path / "ttyS9"))
    )
    assert time.monotonic() - started < 1.0
    assert devices.problems["printer"] == missing_printer_message(port)
    assert devices.problems["printer"].startswith(f"Không tìm thấy máy in trên cổng {port}")
    assert "Không tìm thấy bảng LED" in devices.problems["board"]
    states = devices.probe()
    assert states["printer"] == DeviceState(False, missing_printer_message(port))
    assert not states["board"].ok

    # The kiosk gets a printer fault (offers "In lại"), and the number is not queued.
    result = issue_with_printer(devices.queue, devices.printer, "ho_tich", None, devices.unit_name)
    assert not result.printed and result.error == missing_printer_message(port)
    assert devices.queue.ticket(result.ticket.id).state == TicketState.PRINT_FAILED
    assert devices.queue.status().queues[0].waiting == 0


def test_kiosk_without_a_printer_port_says_so(build: Any) -> None:
    devices = build(DeviceSettings(roles=("kiosk",)))
    assert devices.problems["printer"] == MSG_NO_PRINTER_PORT
    result = issue_with_printer(devices.queue, devices.printer, "ho_tich")
    assert not result.printed and result.error == MSG_NO_PRINTER_PORT


def test_counter_without_devices_has_only_the_queue(build: Any) -> None:
    # Ports belong to the kiosk / display roles: a counter-only process never opens them.
    devices = build(DeviceSettings(roles=("counter",), printer_port="/dev/ttyUSB0", led_port="/dev/ttyS0"))
    assert devices.printer is None and devices.board is None and devices.host is None
    assert devices.probe() == {"queue": DeviceState(True, QUEUE_LOCAL)}


def test_queue_host_role_serves_other_counters_over_http(
    build: Any, host_settings: DeviceSettings, tmp_path: Path
) -> None:
    devices = build(host_settings)
    assert devices.problems == {} and devices.host is not None
    url = f"http://127.0.0.1:{host_settings.host_port}"
    ticket = devices.queue.confirm_printed(devices.queue.reserve_ticket("ho_tich").id)  # the kiosk, locally

    other = QueueClient(url, SECRET)
    try:
        called = other.call_next(1, "canbo2")
        assert called is not None and called.label == ticket.label == "A001"
        assert devices.queue.ticket(ticket.id).state == TicketState.CALLED  # same database
        wrong = QueueClient(url, "sai-bi-mat-99")
        with pytest.raises(QueueAuthError):
            wrong.status()
        wrong.close()
    finally:
        other.close()
    assert devices.probe()["queue"] == DeviceState(
        True, f"Máy chủ xếp hàng: đang phục vụ cổng {host_settings.host_port}"
    )

    # A counter on another PC (its own station database) calls through the host.
    from desk_app.bootstrap import open_station

    remote_station = open_station(tmp_path / "counter2.sqlite3")
    try:
        remote = build(
            DeviceSettings(roles=("counter",), queue_url=url, queue_secret=SECRET), station=remote_station
        )
        assert isinstance(remote.queue, QueueClient)
        assert remote.probe()["queue"] == DeviceState(True, QUEUE_CONNECTED)
        assert remote.queue.status().counters[0].label == "A001"
        bad = build(DeviceSettings(queue_url=url, queue_secret="sai-bi-mat-99"), station=remote_station)
        assert "từ chối mã bí mật" in bad.probe()["queue"].text
        devices.close()  # the host goes away
        assert remote.probe()["queue"] == DeviceState(False, QUEUE_LOST)
    finally:
        remote_station.close()


def test_queue_host_without_secret_or_with_a_busy_port_reports_it(
    build: Any, host_settings: DeviceSettings
) -> None:
    devices = build(host_settings.replace(queue_secret=""))
    assert devices.host is None and "chưa đặt mã bí mật" in devices.problems["queue_host"]
    assert devices.probe()["queue"].ok is False

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        before = live_threads()
        devices = build(host_settings.replace(host_port=port))
        assert devices.host is None
        assert f"trên cổng {port}" in devices.problems["queue_host"]
        assert devices.queue.status() is not None  # this PC's own counter still works
        devices.close()
        assert live_threads() <= before


def test_close_leaves_no_threads_or_file_descriptors(app: Any, host_settings: DeviceSettings) -> None:
    def cycle(port: int) -> None:
        devices = build_devices(
            app, host_settings.replace(roles=("kiosk", "display", "queue-host"), host_port=port), demo=True
        )
        r = issue_with_printer(devices.queue, devices.printer, "chung_thuc", None, devices.unit_name)
        assert r.printed
        client = QueueClient(devices.host.base_url, SECRET)
        assert client.call_next(2, "canbo") is not None
        client.close()
        devices.board.show(1, "B001")
        devices.probe()
        devices.close()
        devices.close()  # idempotent

    from desk_app.queue.host import free_port

    cycle(free_port())  # first run: one-time imports and loop set-up
    threads, fds = live_threads(), open_fds()
    cycle(free_port())
    wait_for(lambda: live_threads() == threads, timeout=3)
    assert open_fds() == fds
