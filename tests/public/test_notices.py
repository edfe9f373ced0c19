"""Notices to citizens: outbox with the event, e-mail/SMS/Zalo channels, retries, once per event."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from desk_app import lookup
from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import EventKind
from desk_app.notices import templates
from desk_app.notices.channels import EmailChannel, Message, SmsHttpChannel, ZaloZnsChannel
from desk_app.notices.delivery import NoticeDeliverer, failures, retry
from desk_app.services.station import META_ENROLLED
from desk_app.store import schema as s
from tests.helpers.fakes import birth_request
from tests.sync.conftest import free_port


# ------------------------------------------------------------------ local servers
class SmtpRecorder:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


class Gateway:
    """A local HTTP server that records requests; answers from a script, then 200.

    Like a real provider it de-duplicates on the idempotency key: ``delivered`` holds each
    key once, however often it was sent.
    """

    def __init__(self, answers: list[tuple[int, dict[str, Any]]], ok: dict[str, Any]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.answers = list(answers)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, answer = outer.answers.pop(0) if outer.answers else (200, ok)
                if status == 200:
                    key = self.headers.get("Idempotency-Key") or body.get("tracking_id")
                    outer.delivered.setdefault(key, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def gateway_factory() -> Iterator[Any]:
    made: list[Gateway] = []

    def make(answers: list[tuple[int, dict[str, Any]]] = (), ok: dict[str, Any] | None = None) -> Gateway:  # type: ignore[assignment]
        gw = Gateway(list(answers), ok or {"id": "sms-1"})
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.close()


def notices(app: Any) -> list[Any]:
    with app.station.uow(write=False) as uow:
        return list(uow.conn.execute(select(s.notices).order_by(s.notices.c.created_at, s.notices.c.id)))


def email_request(**kw: Any) -> Any:
    req = birth_request(notify_channel="email", **kw)
    req.applicant.email = "dung.nguyen@example.vn"
    return req


# ------------------------------------------------------------------ tests
def test_consent_is_recorded_and_notices_are_written_with_their_events(app: Any) -> None:
    with app.station.uow() as uow:
        uow.meta.set(META_ENROLLED, "https://motcua.khanhhoa.gov.vn")
        uow.commit()
    dossier = app.intake.receive("canbo1", email_request())
    assert dossier.extra["notify"] == {
        "channel": "email",
        "consent_at": "2026-11-25T09:00:00+07:00",
        "by": "station",
    }
    app.workflow.act("canbo1", dossier.code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch")
    app.workflow.act("canbo1", dossier.code, EventKind.RESULT_READY, result="Giấy khai sinh")
    _d, events, _s = app.workflow.state(dossier.code)
    rows = notices(app)
    by_event = {e.id: e.kind for e in events}
    assert [(by_event[r.event_id], r.kind, r.channel) for r in rows] == [
        (EventKind.RECEIVED, "received", "email"),
        (EventKind.RESULT_READY, "result_ready", "email"),
    ]
    assert all(r.id == f"{r.event_id}:email" and r.status == "pending" for r in rows)
    secret = dossier.extra[lookup.SECRET_KEY]
    assert rows[0].params["lookup_url"] == f"https://motcua.khanhhoa.gov.vn/tra-cuu/{dossier.code}?k={secret}"
    # without consent: nothing
    app.intake.receive("canbo1", birth_request())
    assert len(notices(app)) == 2


def test_a_channel_without_its_address_is_refused_at_intake(app: Any) -> None:
    with pytest.raises(InputErrors) as err:
        app.intake.receive("canbo1", birth_request(notify_channel="email"))
    assert "e-mail" in err.value.errors["notify_channel"]
    with pytest.raises(InputErrors):
        app.intake.receive("canbo1", birth_request(notify_channel="fax"))
    assert notices(app) == []


def test_emails_arrive_at_a_real_smtp_server_in_vietnamese(app: Any, clock: Any, smtp: Any) -> None:
    recorder, port = smtp
    dossier = app.intake.receive("canbo1", email_request())
    app.workflow.act(
        "canbo1",
        dossier.code,
        EventKind.SUPPLEMENT_REQUESTED,
        missing=[{"name": "Giấy chứng sinh", "note": ""}],
    )
    channel = EmailChannel("127.0.0.1", port, sender="motcua@vinhluong.gov.vn")
    report = NoticeDeliverer(app.db, {"email": channel}, clock).run_once()
    assert report.sent == 2 and report.failed == 0
    assert [m["To"] for m in recorder.messages] == ["dung.nguyen@example.vn"] * 2
    received, supplement = recorder.messages
    assert received["Subject"] == f"Đã tiếp nhận hồ sơ {dossier.code}"
    text = received.get_content()
    assert "Kính gửi ông/bà Nguyễn Văn Dũng" in text and "Đăng ký khai sinh" in text
    assert "Thời gian hẹn trả kết quả: 17:00 ngày 25/11/2026" in text
    assert supplement["Subject"] == f"Hồ sơ {dossier.code} cần bổ sung"
    assert "- Giấy chứng sinh" in supplement.get_content()
    assert all(r.status == "sent" for r in notices(app))
    # a second round sends nothing again
    assert NoticeDeliverer(app.db, {"email": channel}, clock).run_once().sent == 0
    assert len(recorder.messages) == 2


def test_sms_retries_with_backoff_and_is_delivered_once(app: Any, clock: Any, gateway_factory: Any) -> None:
    gw = gateway_factory([(503, {}), (500, {})])
    app.intake.receive("canbo1", birth_request(notify_channel="sms"))
    sms = SmsHttpChannel(gw.url + "/send", token="t0k", brand_name="UBND-VL")
    deliverer = NoticeDeliverer(app.db, {"sms": sms}, clock, base_delay_s=30)
    assert deliverer.run_once().retried == 1
    assert deliverer.run_once().sent == 0  # not due yet: back-off 30 s
    clock.advance(seconds=31)
    assert deliverer.run_once().retried == 1  # second failure: next in 60 s
    clock.advance(seconds=59)
    assert deliverer.run_once().sent == 0
    clock.advance(seconds=2)
    assert deliverer.run_once().sent == 1
    [row] = notices(app)
    assert row.status == "sent" and row.attempts == 3 and row.provider_ref == "sms-1"
    assert len(gw.requests) == 3 and len(gw.delivered) == 1
    keys = {r["headers"]["Idempotency-Key"] for r in gw.requests}
    assert keys == {row.id}
    first = gw.requests[0]
    assert first["headers"]["Authorization"] == "Bearer t0k"
    assert first["body"]["to"] == "0905123456" and first["body"]["sender"] == "UBND-VL"
    assert first["body"]["ref"] == row.id and "Đã tiếp nhận hồ sơ" not in first["body"]["text"]
    assert first["body"]["text"].startswith("Kính gửi ông/bà Nguyễn Văn Dũng")


def test_a_deliverer_that_dies_mid_send_is_taken_over_with_the_same_key(
    app: Any, clock: Any, gateway_factory: Any
) -> None:
    gw = gateway_factory()
    app.intake.receive("canbo1", birth_request(notify_channel="sms"))
    sms = SmsHttpChannel(gw.url + "/send")
    # the first process claims the notice, the provider accepts it, then the process dies
    first = NoticeDeliverer(app.db, {"sms": sms}, clock, lease_s=120)
    [claimed] = first._claim(10)
    sms.send(Message(claimed.id, claimed.kind, claimed.recipient, "", "x", {}))
    restarted = NoticeDeliverer(app.db, {"sms": sms}, clock, lease_s=120)
    assert restarted.run_once().sent == 0  # the lease still holds: no double send meanwhile
    clock.advance(seconds=121)
    assert restarted.run_once().sent == 1
    assert len(gw.requests) == 2 and len(gw.delivered) == 1  # same key twice, delivered once
    clock.advance(hours=1)
    assert NoticeDeliverer(app.db, {"sms": sms}, clock).run_once().sent == 0
    assert len(gw.requests) == 2


def test_zalo_zns_request_shape(app: Any, clock: Any, gateway_factory: Any) -> None:
    gw = gateway_factory(ok={"error": 0, "message": "Success", "data": {"msg_id": "zmsg-42"}})
    dossier = app.intake.receive("canbo1", birth_request(notify_channel="zalo"))
    zalo = ZaloZnsChannel("ACCESS-TOKEN", {"received": "231456"}, base_url=gw.url)
    assert NoticeDeliverer(app.db, {"zalo": zalo}, clock).run_once().sent == 1
    [request] = gw.requests
    assert request["path"] == "/message/template"
    assert request["headers"]["access_token"] == "ACCESS-TOKEN"
    body = request["body"]
    assert set(body) == {"phone", "template_id", "template_data", "tracking_id"}
    assert body["phone"] == "84905123456" and body["template_id"] == "231456"
    assert body["template_data"]["code"] == dossier.code
    assert body["template_data"]["name"] == "Nguyễn Văn Dũng"
    assert body["template_data"]["due_at"] == "17:00 ngày 25/11/2026"
    assert len(body["tracking_id"]) == 32
    assert notices(app)[0].provider_ref == "zmsg-42"


def test_refusals_and_exhausted_retries_are_shown_to_staff(
    app: Any, clock: Any, gateway_factory: Any
) -> None:
    gw = gateway_factory([(400, {"error": "bad number"})])
    app.intake.receive("canbo1", birth_request(notify_channel="sms"))
    zalo_err = gateway_factory(ok={"error": -133, "message": "Template invalid"})
    app.intake.receive("canbo1", birth_request(notify_channel="zalo"))
    deliverer = NoticeDeliverer(
        app.db,
        {
            "sms": SmsHttpChannel(gw.url),
            "zalo": ZaloZnsChannel("T", {"received": "1"}, base_url=zalo_err.url),
        },
        clock,
    )
    report = deliverer.run_once()
    assert report.failed == 2
    listed = failures(app.db)
    assert {f["channel"] for f in listed} == {"sms", "zalo"}
    assert any("HTTP 400" in f["last_error"] for f in listed)
    assert any("Template invalid" in f["last_error"] for f in listed)
    sms_id = next(f["id"] for f in listed if f["channel"] == "sms")
    retry(app.db, sms_id, clock())
    assert deliverer.run_once().sent == 1  # the gateway accepts it now


def test_the_counter_never_waits_for_a_dead_mail_server(app: Any, clock: Any) -> None:
    dossier = app.intake.receive("canbo1", email_request())  # no SMTP server anywhere: intake is unaffected
    assert dossier.code
    dead = EmailChannel("127.0.0.1", free_port(), timeout=2)
    deliverer = NoticeDeliverer(app.db, {"email": dead}, clock, max_attempts=2, base_delay_s=1)
    assert deliverer.run_once().retried == 1
    clock.advance(seconds=2)
    assert deliverer.run_once().failed == 1
    [row] = notices(app)
    assert row.status == "failed" and "máy chủ thư" in row.last_error


def test_edited_templates_are_used_and_sandboxed() -> None:
    params = {
        "name": "Lê Thị Hoa",
        "code": "X-1",
        "procedure": "P",
        "body": "B",
        "received_at": "",
        "due_at": "D",
    }
    params |= {"missing": [], "reason": "", "lookup_url": ""}
    edited = {"received": {"subject": "Hồ sơ {{ code }}", "body": "Chào {{ name }}"}}
    assert templates.render("received", params, edited).text == "Chào Lê Thị Hoa"
    evil = {"received": {"subject": "{{ ''.__class__.__mro__ }}", "body": "{{ name.__class__ }}"}}
    fallback = templates.render("received", params, evil)
    assert fallback.subject == "Đã tiếp nhận hồ sơ X-1" and "__" not in fallback.text
    assert templates.check_template("{% for %}") != "" and templates.check_template("{{ code }}") == ""


def test_cli_config_deliver_list_and_retry(app: Any, smtp: Any, tmp_path: Any, capsys: Any) -> None:
    from desk_app.cli import main

    recorder, port = smtp
    app.intake.receive("canbo1", email_request())
    db = str(app.db.path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"email": {"host": "127.0.0.1", "port": "cổng"}}', encoding="utf-8")
    assert main(["notice", "config", str(bad), "--db", db]) == 1
    assert "không hợp lệ" in capsys.readouterr().err
    good = tmp_path / "notices.json"
    good.write_text(
        json.dumps({"email": {"host": "127.0.0.1", "port": port, "sender": "a@b.vn"}}), encoding="utf-8"
    )
    assert main(["notice", "config", str(good), "--db", db]) == 0
    with app.station.uow() as uow:  # the CLI runs on the real clock: make the notice due whatever the date
        uow.conn.execute(s.notices.update().values(next_attempt_at="2000-01-01T00:00:00+07:00"))
        uow.commit()
    assert main(["notice", "deliver", "--once", "--db", db]) == 0
    assert "Đã gửi 1" in capsys.readouterr().out
    assert len(recorder.messages) == 1
    assert main(["notice", "list", "--db", db]) == 0
    assert "Không có thông báo nào gửi lỗi" in capsys.readouterr().out
