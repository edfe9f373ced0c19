"""Notices sent by the central server for units that chose it (issue 15, item 3)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from central import service as svc
from central.cli import _notice_loop
from central.notices import ServerNotices, notices
from desk_app import lookup
from desk_app.domain.lifecycle import EventKind
from desk_app.notices.channels import EmailChannel
from desk_app.notices.config import META_NOTICES
from desk_app.store import schema as s
from desk_app.workcalendar import FAKE_NOW_ENV
from tests.helpers.fakes import FakeClock, birth_request
from tests.public.test_notices import (
    gateway_factory,  # noqa: F401 - fixture
    smtp,  # noqa: F401 - fixture
)
from tests.sync.conftest import enrol_station, free_port, sync
from tests.sync.test_server_ops import _serve, _stop


def test_the_server_sends_once_per_event_across_restarts(
    server: Any,
    station_factory: Any,
    smtp: Any,  # noqa: F811 - the fixture imported above
) -> None:
    recorder, port = smtp
    clock = FakeClock(dt.datetime(2026, 11, 25, 9, 30))
    app = station_factory("a")
    enrol_station(app, server)
    with app.station.uow() as uow:
        uow.meta.set_json(META_NOTICES, {"deliver_from": "server"})
        uow.commit()
    req = birth_request(notify_channel="email")
    req.applicant.email = "dung.nguyen@example.vn"
    dossier = app.intake.receive("canbo1", req)
    assert dossier.extra["notify"]["by"] == "server"
    app.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    app.workflow.act("canbo1", dossier.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    with app.station.uow(write=False) as uow:  # the station leaves them to the server
        assert uow.conn.execute(select(s.notices)).all() == []
    sync(app, server.url)

    channels = {"email": EmailChannel("127.0.0.1", port, sender="motcua@khanhhoa.gov.vn")}
    first = ServerNotices(server.store, channels, clock, public_url="https://motcua.khanhhoa.gov.vn")
    written, report = first.run_once()
    assert written == 2 and report.sent == 2
    subjects = [m["Subject"] for m in recorder.messages]
    assert subjects == [f"Đã tiếp nhận hồ sơ {dossier.code}", f"Hồ sơ {dossier.code} đã có kết quả"]
    secret = dossier.extra[lookup.SECRET_KEY]
    assert (
        f"https://motcua.khanhhoa.gov.vn/tra-cuu/{dossier.code}?k={secret}"
        in recorder.messages[0].get_content()
    )
    assert "Trung tâm Phục vụ hành chính công xã Vĩnh Lương" in recorder.messages[1].get_content()
    assert first.run_once()[0] == 0
    # a restarted server process: the cursor and the notice ids keep it from sending again
    again = ServerNotices(server.store, channels, clock)
    assert again.run_once()[0] == 0 and len(recorder.messages) == 2
    with server.store.read() as conn:
        rows = conn.execute(select(notices.c.id, notices.c.status)).all()
    assert sorted(r.status for r in rows) == ["sent", "sent"]


def test_central_cli_notices_refuses_a_config_without_channels(tmp_path: Any, capsys: Any) -> None:
    from central.cli import main

    config = tmp_path / "notices.json"
    config.write_text('{"deliver_from": "server"}', encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'central.sqlite3'}"
    assert main(["notices", "--db", db, "--config", str(config), "--once"]) == 1
    assert "chưa có kênh gửi" in capsys.readouterr().err


def test_serve_delivers_notices_in_the_background(
    server: Any,
    station_factory: Any,
    gateway_factory: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Any,
) -> None:
    """``motcua-central serve`` with channels configured runs the scanner/deliverer itself:
    no ``motcua-central notices`` process; it stops cleanly with the server."""
    gw = gateway_factory()
    app = station_factory("a")
    enrol_station(app, server)
    with app.station.uow() as uow:
        uow.meta.set_json(META_NOTICES, {"deliver_from": "server"})
        uow.commit()
    dossier = app.intake.receive("canbo1", birth_request(notify_channel="sms"))
    sync(app, server.url)
    config = tmp_path / "channels.json"
    config.write_text(
        json.dumps({"sms": {"url": gw.url + "/send", "brand_name": "UBND-VL"}}), encoding="utf-8"
    )

    port = free_port()
    env = {FAKE_NOW_ENV: "2026-11-25T09:30:00"}  # the child's clock, not the machine's date
    proc = _serve(server.db_url, port, "--notices-config", str(config), "--notices-interval", "0.2", env=env)
    try:
        deadline = time.monotonic() + 20
        while not gw.requests and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        err = _stop(proc)
    assert proc.returncode == 0 and "Traceback" not in err and "notices stopped" in err, err
    assert [r["path"] for r in gw.requests] == ["/send"]
    body = gw.requests[0]["body"]
    assert body["sender"] == "UBND-VL" and dossier.code in body["text"]
    with server.store.read() as conn:
        assert conn.execute(select(notices.c.status)).scalars().all() == ["sent"]


def test_serve_without_notices_sends_nothing(server: Any, tmp_path: Any) -> None:
    from central.cli import build_parser

    config = tmp_path / "channels.json"
    config.write_text(json.dumps({"sms": {"url": "http://127.0.0.1:9/send"}}), encoding="utf-8")
    args = build_parser().parse_args(["serve", "--notices-config", str(config), "--no-notices"])
    assert _notice_loop(args, server.db_url) is None
    args = build_parser().parse_args(["serve", "--notices"])
    with pytest.raises(svc.AdminError, match="--notices-config"):
        _notice_loop(args, server.db_url)
