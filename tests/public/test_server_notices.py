"""Notices sent by the central server for units that chose it (issue 15, item 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from central.notices import ServerNotices, notices
from desk_app import lookup
from desk_app.domain.lifecycle import EventKind
from desk_app.notices.channels import EmailChannel
from desk_app.notices.config import META_NOTICES
from desk_app.store import schema as s
from tests.helpers.fakes import FakeClock, birth_request
from tests.public.test_notices import smtp  # noqa: F401 - fixture
from tests.sync.conftest import enrol_station, sync


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
