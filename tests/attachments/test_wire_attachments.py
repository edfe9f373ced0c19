"""The wire format knows the attachment events: the server refuses a malformed one."""

from __future__ import annotations

import pytest

from desk_app.domain.wire import WireError, check_pulled, check_pushed, encode_event
from tests.attachments.scans import a4_page
from tests.helpers.fakes import birth_request


def test_attachment_events_pass_the_wire_check(app, pki) -> None:  # type: ignore[no-untyped-def]
    from desk_app.attachments.model import ROLE_RESULT
    from desk_app.signing import load_pkcs12
    from tests.attachments.pki import P12_PASSWORD

    code = app.intake.receive("canbo1", birth_request()).code
    att = app.attachments.attach_file("canbo1", code, a4_page(1, dpi=50), component_key="to_khai")
    app.attachments.detach("canbo1", code, att.attachment_id, reason="Quét nhầm")
    result = app.attachments.attach_file("canbo1", code, a4_page(2, dpi=50), role=ROLE_RESULT)
    pdf = app.attachments.read(result.sha256)
    app.attachments.sign_result(
        "canbo1", code, pdf, load_pkcs12(pki.p12, P12_PASSWORD), result_code="15/GKS", method="pkcs12"
    )
    _, events, _ = app.workflow.state(code)
    for event in events:
        wire = encode_event(event)
        check_pushed("event", wire)
        check_pulled("event", wire)


@pytest.mark.parametrize(
    ("kind", "payload", "where"),
    [
        (
            "attached",
            {
                "attachment_id": "a1",
                "role": "component",
                "sha256": "xyz",
                "size": 1,
                "mime": "application/pdf",
            },
            "sha256",
        ),
        (
            "attached",
            {
                "attachment_id": "a1",
                "role": "other",
                "sha256": "0" * 64,
                "size": 1,
                "mime": "application/pdf",
            },
            "role",
        ),
        (
            "attached",
            {
                "attachment_id": "a1",
                "role": "result",
                "sha256": "0" * 64,
                "size": 0,
                "mime": "application/pdf",
            },
            "size",
        ),
        (
            "attached",
            {"attachment_id": "a1", "role": "result", "sha256": "0" * 64, "size": 5, "mime": "text/html"},
            "mime",
        ),
        ("detached", {"reason": "x"}, "attachment_id"),
        (
            "result_signed",
            {
                "attachment_id": "a1",
                "sha256": "0" * 64,
                "size": 5,
                "result_code": "",
                "signer": {"subject": "A"},
                "method": "pkcs12",
            },
            "result_code",
        ),
        (
            "result_signed",
            {
                "attachment_id": "a1",
                "sha256": "0" * 64,
                "size": 5,
                "result_code": "1",
                "signer": {"subject": "A"},
                "method": "x",
            },
            "method",
        ),
    ],
)
def test_malformed_attachment_events_are_refused(kind, payload, where) -> None:  # type: ignore[no-untyped-def]
    wire = {
        "id": "e1",
        "dossier_id": "d1",
        "kind": kind,
        "at": "2026-11-25T09:00:00+07:00",
        "actor": "canbo1",
        "device_id": "dev1",
        "hlc": "1795572000000-00000-dev1",
        "payload": payload,
    }
    with pytest.raises(WireError, match=where):
        check_pushed("event", wire)
