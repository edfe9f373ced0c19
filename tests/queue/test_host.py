"""The LAN queue host over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desk_app.queue.client import QueueAuthError, QueueClient, QueueHostUnavailable
from desk_app.queue.host import QueueHost, free_port
from desk_app.queue.models import InvalidTicketAction, QueueError, TicketNotFound, TicketState
from desk_app.queue.service import LocalQueueClient, QueueService, issue_with_printer
from tests.helpers.fakes import child_pythonpath
from tests.helpers.queue_fakes import FakeTicketPrinter

SECRET = "mot-cua-2026-secret"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def host(service: QueueService) -> Iterator[QueueHost]:
    h = QueueHost(service, SECRET, "127.0.0.1", free_port())
    h.start()
    yield h
    h.stop()


@pytest.fixture
def client(host: QueueHost) -> Iterator[QueueClient]:
    c = QueueClient(host.base_url, SECRET)
    yield c
    c.close()


def test_full_flow_over_http(client: QueueClient, printer: FakeTicketPrinter) -> None:
    cfg = client.config()
    assert cfg.queues[2].name == "Đất đai – Xây dựng"
    r = issue_with_printer(client, printer, "ho_tich", "elderly", unit_name=cfg.office_name)
    assert r.printed and r.ticket.label == "A001" and r.ticket.priority
    t = client.call_next(1, "an")
    assert t is not None and t.id == r.ticket.id and t.state == TicketState.CALLED
    assert client.recall(t.id, 1, "an").state == TicketState.RECALLED
    assert client.start(t.id, 1, "an").state == TicketState.SERVING
    assert client.link_dossier(t.id, "hs-1", 1, "an").dossier_ids == ["hs-1"]
    t2 = client.transfer(t.id, 1, "an", to_queue="B", to_counter=2)
    assert (t2.queue_code, t2.target_counter) == ("B", 2)
    t3 = client.call_next(2, "binh")
    assert t3 is not None and t3.label == "A001"
    assert client.no_show(t3.id, 2, "binh").state == TicketState.NO_SHOW
    w = client.walk_in(3, "cuong", service_id="dat_dai")
    assert client.finish(w.id, 3, "cuong").state == TicketState.DONE
    assert client.call_next(1, "an") is None
    st = client.status()
    assert [q.code for q in st.queues] == ["A", "B", "C", "D"] and st.last_seq > 0
    calls = client.recent_calls(5)
    assert [c.label for c in calls] == ["A001", "A001", "A001"] and calls[1].recall
    events = client.events_since(0)
    assert events[-1].seq == st.last_seq
    assert client.events_since(events[-2].seq) == events[-1:]
    assert client.people_ahead(r.ticket.id) == 0
    assert client.ticket(w.id).kind == "walk_in"


def test_print_failure_over_http(client: QueueClient, printer: FakeTicketPrinter) -> None:
    from tests.helpers.queue_fakes import paper_out

    printer.fail_next = paper_out()
    r = issue_with_printer(client, printer, "khac")
    assert not r.printed and r.ticket.state == TicketState.PRINT_FAILED
    assert client.status().queues[3].waiting == 0


def test_errors_keep_their_type_and_message(client: QueueClient) -> None:
    t = client.confirm_printed(client.reserve_ticket("ho_tich").id)
    with pytest.raises(InvalidTicketAction, match="kết thúc phục vụ"):
        client.finish(t.id, 1, "an")
    with pytest.raises(TicketNotFound):
        client.start("khong-co", 1, "an")
    with pytest.raises(QueueError, match="Quầy số 99"):
        client.call_next(99, "an")


def test_secret_required(host: QueueHost) -> None:
    url = host.base_url + "/status"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"X-Queue-Secret": "sai"}).status_code == 403
    assert (
        httpx.post(
            host.base_url + "/commands/call_next",
            json={"counter_no": 1, "officer": "x"},
            headers={"X-Queue-Secret": "sai"},
        ).status_code
        == 403
    )
    assert httpx.get(host.base_url + "/health").status_code == 200
    wrong = QueueClient(host.base_url, "sai")
    with pytest.raises(QueueAuthError, match="mã bí mật"):
        wrong.status()
    wrong.close()


def test_concurrent_callers_over_http(service: QueueService, client: QueueClient) -> None:
    for i in range(60):
        service.confirm_printed(service.reserve_ticket(("ho_tich", "chung_thuc")[i % 2]).id)
    for no in range(5, 9):
        service.save_counter(no, f"Quầy {no}", ["A", "B"])
    got: list[str] = []
    lock = threading.Lock()

    def work(no: int) -> None:
        while (t := client.call_next(no, f"cb{no}")) is not None:
            with lock:
                got.append(t.id)

    threads = [threading.Thread(target=work, args=(no,)) for no in (1, 2, 4, 5, 6, 7, 8, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 60 and len(set(got)) == 60


def test_local_client_has_the_same_interface(service: QueueService) -> None:
    local = LocalQueueClient(service)
    public = {n for n in dir(QueueClient) if not n.startswith("_")} - {"close", "health"}
    for name in public:
        assert callable(getattr(local, name)), name
    t = local.confirm_printed(local.reserve_ticket("ho_tich").id)
    assert local.call_next(1, "an").id == t.id


# ---------------------------------------------------------------- a real host process
def _spawn(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": child_pythonpath(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desk_app.queue.cli",
            "serve",
            "--db",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--secret",
            SECRET,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.kill()
    raise AssertionError("host did not start")


@pytest.mark.slow
def test_host_killed_then_restarted_keeps_state(db_path: Path, printer: FakeTicketPrinter) -> None:
    port = free_port()
    proc = _spawn(db_path, port)
    client = QueueClient(f"http://127.0.0.1:{port}", SECRET)
    try:
        for _ in range(3):
            assert issue_with_printer(client, printer, "ho_tich").printed
        called = client.call_next(1, "an")
        assert called is not None
        client.start(called.id, 1, "an")
        before = client.status()
        proc.send_signal(signal.SIGKILL)  # like a power cut: no clean shutdown
        proc.communicate(timeout=10)  # also closes the stderr pipe
        t0 = time.monotonic()
        with pytest.raises(QueueHostUnavailable, match="Mất kết nối máy chủ xếp hàng"):
            client.call_next(1, "an")
        assert time.monotonic() - t0 < 1.0
        proc = _spawn(db_path, port)
        after = client.status()
        assert after.queues == before.queues and after.counters == before.counters
        assert after.last_seq == before.last_seq
        nxt = client.call_next(1, "an")
        assert nxt is not None and nxt.label == "A002"  # numbering and queue continue
        assert client.ticket(called.id).state == TicketState.DONE  # auto-finished by the next call
        assert issue_with_printer(client, printer, "ho_tich").ticket.label == "A004"
    finally:
        client.close()
        proc.kill()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_secret_must_be_ascii_and_long_enough(service: QueueService) -> None:
    from desk_app.queue.host import create_app

    for bad in ("bí-mật-một-cửa", "short", " padded-secret "):
        with pytest.raises(ValueError, match="Mã bí mật"):
            create_app(service, bad)


def test_unreachable_host_fails_fast() -> None:
    client = QueueClient(f"http://127.0.0.1:{free_port()}", SECRET)
    t0 = time.monotonic()
    with pytest.raises(QueueHostUnavailable) as info:
        client.status()
    assert time.monotonic() - t0 < 1.0
    assert "tiếp nhận hồ sơ" in str(info.value)


def test_unknown_or_malformed_commands_are_refused(host: QueueHost) -> None:
    """The host decodes write actions with the shared ``COMMANDS`` table only."""
    headers = {"X-Queue-Secret": SECRET}
    url = host.base_url + "/commands/"
    assert httpx.post(url + "drop_table", json={}, headers=headers).status_code == 404
    bad = httpx.post(url + "call_next", json={"counter_no": "một", "officer": "x"}, headers=headers)
    assert bad.status_code == 422
    assert httpx.post(url + "call_next", content=b"{", headers=headers).status_code == 422


def test_visit_rating_over_the_lan_is_a_rated_event(client: QueueClient, service: QueueService) -> None:
    from desk_app.domain.ratings import rating_payload

    w = client.walk_in(1, "an", service_id="khac")
    client.finish(w.id, 1, "an")
    payload = rating_payload("khong_hai_long", ["Phải chờ đợi lâu"], "  Chờ  lâu ", source="kiosk")
    assert client.rate(w.id, payload).id == w.id
    rated = [e for e in service.events_since(0) if e.kind == "rated"]
    assert len(rated) == 1
    assert (rated[0].ticket_id, rated[0].officer, rated[0].counter_no) == (w.id, "cong_dan", 1)
    assert rated[0].payload == {
        "level": "khong_hai_long",
        "reasons": ["Phải chờ đợi lâu"],
        "comment": "Chờ lâu",
        "source": "kiosk",
        "service_name": "Thủ tục khác",  # every queue event carries it
    }
    assert client.events_since(0)[-1] == rated[0]  # the LAN client reads the same event back


@pytest.mark.parametrize(
    "bad",
    [
        {"level": "xuat_sac"},
        {"level": "hai_long", "comment": 5},
        {"level": "hai_long", "reasons": "không phải danh sách"},
        {"level": "hai_long", "officer_note": "sửa hộ"},
        {"level": "hai_long", "comment": "x" * 1001},
    ],
)
def test_malformed_visit_rating_is_refused(
    client: QueueClient, service: QueueService, bad: dict[str, object]
) -> None:
    w = client.walk_in(1, "an", service_id="khac")
    with pytest.raises(InvalidTicketAction, match="Đánh giá không hợp lệ"):
        client.rate(w.id, dict(bad))
    assert not [e for e in service.events_since(0) if e.kind == "rated"]
