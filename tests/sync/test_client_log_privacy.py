"""The sync client's log carries change ids, never what a rejection reason may quote."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from desk_app.sync.client import SyncClient


def test_a_rejection_reason_with_personal_data_stays_out_of_the_log(
    station_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    station = station_factory("a").station
    reason = "ngày sinh không hợp lệ: Nguyễn Văn Dũng, 001185012345, 0912345678"
    with httpx.Client(base_url="http://127.0.0.1:9") as http, caplog.at_level(logging.WARNING):
        SyncClient(station, http)._record([], [("0193a1b2-change", reason)])
    assert "0193a1b2-change" in caplog.text
    for personal in ("Nguyễn Văn Dũng", "001185012345", "0912345678"):
        assert personal not in caplog.text
