"""Shared fixtures: simulators on ptys and a sample ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from desk_app.devices.api import TicketPrintJob
from desk_app.devices.simulators import LedBoardSimulator, PrinterSimulator


@pytest.fixture
def printer_sim() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as sim:
        yield sim


@pytest.fixture
def led_sim() -> Iterator[LedBoardSimulator]:
    with LedBoardSimulator() as sim:
        yield sim


@pytest.fixture
def job() -> TicketPrintJob:
    return TicketPrintJob(
        unit_name="UBND phường Hoàn Kiếm",
        number="A023",
        service_name="Hộ tịch - Đăng ký khai sinh, kết hôn",
        people_ahead=12,
        issued_at=dt.datetime(2026, 11, 25, 14, 20),
        priority=False,
        qr_text="https://dichvucong.hanoi.gov.vn/tra-cuu?so=A023",
    )
