"""The receipt QR's per-dossier secret and look-up address (issue 15, item 1)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from desk_app import lookup
from desk_app.domain.lifecycle import EventKind
from desk_app.services.station import META_ENROLLED
from printing.printouts import render_dossier_form
from tests.helpers.fakes import birth_request
from tests.printing.conftest import page_images


def qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    image = page_images(pdf, tmp_path, dpi=200)[0]
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def test_intake_creates_a_random_secret_carried_in_the_received_event(app) -> None:  # type: ignore[no-untyped-def]
    one = app.intake.receive("canbo1", birth_request())
    two = app.intake.receive("canbo1", birth_request())
    s1, s2 = one.extra[lookup.SECRET_KEY], two.extra[lookup.SECRET_KEY]
    assert s1 != s2 and len(s1) >= 22  # 128 random bits each
    assert s1 not in one.code and one.code not in s1
    _, events, _ = app.workflow.state(one.code)
    received = next(e for e in events if e.kind is EventKind.RECEIVED)
    # The snapshot syncs with the event: the server gets the secret without another message.
    assert received.payload["dossier"]["extra"][lookup.SECRET_KEY] == s1
    stored = app.workflow.state(one.code)[0]
    assert stored.extra[lookup.SECRET_KEY] == s1


def test_receipt_has_no_qr_before_enrolment(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    pdf = render_dossier_form(app, "receipt", code, copies=1)
    assert qr_texts(pdf, tmp_path) == []
    assert b"example.gov.vn" not in pdf


def test_receipt_qr_points_to_the_enrolled_server_with_code_and_secret(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with app.station.uow() as uow:
        uow.meta.set(META_ENROLLED, "https://motcua.khanhhoa.gov.vn/")
        uow.commit()
    dossier = app.intake.receive("canbo1", birth_request())
    [url] = qr_texts(render_dossier_form(app, "receipt", dossier.code, copies=1), tmp_path)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"https://motcua.khanhhoa.gov.vn/tra-cuu/{dossier.code}"
    )
    assert parse_qs(parts.query) == {"k": [dossier.extra[lookup.SECRET_KEY]]}


def test_the_units_own_lookup_address_wins(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    app.station.set_unit(replace(app.station.unit, lookup_base_url="https://tracuu.vinhluong.vn/tra-cuu"))
    dossier = app.intake.receive("canbo1", birth_request())
    [url] = qr_texts(render_dossier_form(app, "receipt", dossier.code, copies=1), tmp_path)
    secret = dossier.extra[lookup.SECRET_KEY]
    assert url == f"https://tracuu.vinhluong.vn/tra-cuu/{dossier.code}?k={secret}"


def test_lookup_base_ignores_the_old_placeholder() -> None:
    assert lookup.lookup_base(lookup.LEGACY_PLACEHOLDER, None) == ""
    assert lookup.lookup_base("", "http://10.0.0.5:8000") == "http://10.0.0.5:8000/tra-cuu"


@given(st.text(min_size=0, max_size=80))
def test_a_wrong_secret_never_matches(given_secret: str) -> None:
    expected = "Qm9ndXNTZWNyZXRWYWx1ZQ"
    assert lookup.secret_matches(expected, given_secret) is (given_secret == expected)
    assert not lookup.secret_matches("", given_secret)


def test_masked_names() -> None:
    assert lookup.mask_name("Nguyễn Văn Dũng") == "Nguyễn V. D."
    assert lookup.mask_name("  Lê   thị  hồng ") == "Lê T. H."
    assert lookup.mask_name("Trần") == "Trần"
    assert lookup.mask_name("") == ""


def test_last4_matches_phone_or_id() -> None:
    assert lookup.last4_matches(["0905123456", "056090001234"], "3456")
    assert lookup.last4_matches(["0905123456", "056090001234"], "1234")
    assert not lookup.last4_matches(["0905123456", ""], "0000")
    assert not lookup.last4_matches(["0905123456"], "456")
    assert not lookup.last4_matches(["", ""], "")
