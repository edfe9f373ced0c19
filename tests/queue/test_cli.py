"""``motcua queue status`` / ``stats`` on a station database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk_app.queue.cli import main
from desk_app.queue.service import QueueService
from desk_app.workcalendar import now_vn
from tests.helpers.fakes import FakeClock


def test_status_and_stats(
    service: QueueService, db_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.set(now_vn())  # the CLI reads the real clock: "today"
    day = clock().date().isoformat()
    t = service.confirm_printed(service.reserve_ticket("ho_tich", "elderly").id)
    service.call_next(1, "an")
    assert main(["status", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "Hàng A – Hộ tịch: 0 người chờ" in out and f"Quầy 1: {t.label} (Đã gọi)" in out
    assert main(["stats", "--day", day, "--db", str(db_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["issued"] == 1 and data["total"]["service_level"] == 1.0
    assert main(["stats", "--day", "25/11/2026", "--db", str(db_path)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_serve_rejects_weak_secret(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--db", str(db_path), "--secret", "bí mật"]) == 2
    assert "Mã bí mật" in capsys.readouterr().err
