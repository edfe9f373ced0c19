"""The public page tells that a signed electronic result exists (issue 16, item 4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from central import service as svc
from central.public.router import SERVER_DEVICE
from desk_app.domain.lifecycle import EventKind
from desk_app.hlc import HlcStamp
from desk_app.ids import uuid7
from tests.public.test_public_web import office, page_url  # noqa: F401 - fixture

SHA = "ab" * 32
LINE = "Kết quả điện tử có ký số"


def insert_event(server: Any, dossier: Any, kind: EventKind, payload: dict[str, Any], hlc: str) -> None:
    """Store an event on the server as a push would (the change log), bypassing the station."""
    public = server.app.state.public
    event = {
        "id": uuid7(),
        "dossier_id": dossier.id,
        "kind": kind.value,
        "at": "2026-11-26T10:15:00+07:00",
        "actor": "canbo1",
        "device_id": SERVER_DEVICE,
        "hlc": hlc,
        "payload": payload,
    }
    row = svc._row(event["id"], "event", dossier.unit_code, "", dossier.id, "", event, svc.now_iso())
    with public.store.write() as conn:
        svc.append_changes(public.store, conn, [row])


def later(counter: int) -> str:
    """An HLC after every station stamp of the test (year 2030), ordered by ``counter``."""
    return HlcStamp(1_900_000_000_000, counter, SERVER_DEVICE).encode()


def signed(attachment_id: str) -> dict[str, Any]:
    return {
        "attachment_id": attachment_id,
        "role": "result",
        "sha256": SHA,
        "size": 12345,
        "mime": "application/pdf",
        "pages": 1,
        "result_code": "125/TLKS-UBND",
        "signer": {"subject": "UBND xã Hòa Vang", "serial": "0A1B", "issuer": "CA Chính phủ"},
        "method": "pkcs12",
        "unsigned_sha256": "cd" * 32,
    }


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_page_says_a_signed_e_result_exists_without_file_or_hash(server: Any, office: Any) -> None:  # noqa: F811
    _app, dossier = office
    with httpx.Client(base_url=server.url) as http:
        before = http.get(page_url(dossier)).text
        assert LINE not in before
        insert_event(server, dossier, EventKind.RESULT_SIGNED, signed("att-1"), later(0))
        r = http.get(page_url(dossier))
    assert r.status_code == 200
    html = r.text
    assert LINE in html
    assert "Đã có (số, ký hiệu 125/TLKS-UBND, ký bởi UBND xã Hòa Vang, ngày 26/11/2026)" in html
    for hidden in (SHA, "cd" * 32, "12345", "0A1B", "CA Chính phủ", "att-1"):
        assert hidden not in html, hidden


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_detached_signed_result_is_no_longer_announced(server: Any, office: Any) -> None:  # noqa: F811
    _app, dossier = office
    insert_event(server, dossier, EventKind.RESULT_SIGNED, signed("att-2"), later(0))
    insert_event(server, dossier, EventKind.DETACHED, {"attachment_id": "att-2"}, later(1))
    with httpx.Client(base_url=server.url) as http:
        html = http.get(page_url(dossier)).text
    assert LINE not in html and "125/TLKS-UBND" not in html
