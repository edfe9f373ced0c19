"""E-results signed offline (PAdES): PKCS#12 file and a PKCS#11 token (SoftHSM2).

Checked by pyHanko's validator and by poppler's pdfsig; a tampered file fails.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from desk_app.attachments.pdf import PageImage, images_to_pdf
from desk_app.attachments.store import sha256_hex
from desk_app.domain.lifecycle import EventKind, Status
from desk_app.signing import (
    SigningError,
    load_certificate,
    load_pkcs12,
    pkcs11_signer,
    sign_pdf,
    verify_pdf,
)
from desk_app.workcalendar import VN_TZ
from tests.attachments.pki import KEY_LABEL, P12_PASSWORD, PIN, TOKEN_LABEL
from tests.attachments.scans import a4_page
from tests.helpers.fakes import birth_request

AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN_TZ)


def clock() -> dt.datetime:
    return AT


@pytest.fixture(scope="module")
def result_pdf() -> bytes:
    return images_to_pdf([PageImage(a4_page(1, dpi=60))])


def pdfsig(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def tamper(pdf: bytes) -> bytes:
    """Change one byte of the page's image data, inside the signed byte range."""
    at = pdf.index(b"stream", pdf.index(b"/DCTDecode")) + 200
    return pdf[:at] + bytes([pdf[at] ^ 0xFF]) + pdf[at + 1 :]


def test_pkcs12_signature_verifies_and_tampering_fails(pki, result_pdf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    signer = load_pkcs12(pki.p12, P12_PASSWORD)
    signed = sign_pdf(result_pdf, signer, clock=clock, location="Vĩnh Lương")
    assert signed.startswith(result_pdf[:8]) and len(signed) > len(result_pdf)
    ca = load_certificate(pki.ca_pem)
    check = verify_pdf(signed, [ca], at=AT)
    assert check.ok, check
    assert check.signer is not None and check.signer.subject == "UBND xã Vĩnh Lương"
    assert check.signed_at == AT
    out = pdfsig(signed, tmp_path)
    assert "Signature is Valid" in out, out
    assert "ETSI.CAdES.detached" in out
    bad = tamper(signed)
    assert not verify_pdf(bad, [ca], at=AT).ok
    assert not verify_pdf(bad, [ca], at=AT).intact
    out_bad = pdfsig(bad, tmp_path)
    assert "Signature is Valid" not in out_bad and "Digest Mismatch" in out_bad, out_bad


def test_untrusted_root_is_not_ok(pki, result_pdf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.attachments.pki import make_pki

    other = make_pki(tmp_path / "other")
    signed = sign_pdf(result_pdf, load_pkcs12(pki.p12, P12_PASSWORD), clock=clock)
    check = verify_pdf(signed, [load_certificate(other.ca_pem)], at=AT)
    assert check.intact and not check.trusted and not check.ok


def test_pkcs11_token_signature_verifies(pki, softhsm, result_pdf, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pkcs11_signer(softhsm, PIN, token_label=TOKEN_LABEL, key_label=KEY_LABEL) as signer:
        signed = sign_pdf(result_pdf, signer, clock=clock)
    check = verify_pdf(signed, [load_certificate(pki.ca_pem)], at=AT)
    assert check.ok, check
    assert check.signer is not None and check.signer.serial == "1001"
    assert "Signature is Valid" in pdfsig(signed, tmp_path)
    assert not verify_pdf(tamper(signed), [load_certificate(pki.ca_pem)], at=AT).ok
    # the first key on the token is found without a label
    with pkcs11_signer(softhsm, PIN) as signer:
        assert verify_pdf(sign_pdf(result_pdf, signer, clock=clock), [load_certificate(pki.ca_pem)], at=AT).ok


def test_wrong_pin_password_and_expired_certificate_are_clear(pki, softhsm, result_pdf) -> None:  # type: ignore[no-untyped-def]
    with (
        pytest.raises(SigningError, match="Mã PIN"),
        pkcs11_signer(softhsm, "000000", token_label=TOKEN_LABEL),
    ):
        pass
    with (
        pytest.raises(SigningError, match="Không tìm thấy USB"),
        pkcs11_signer(softhsm, PIN, token_label="KHAC"),
    ):
        pass
    with pytest.raises(SigningError, match="thư viện PKCS#11"), pkcs11_signer("/khong/co.so", PIN):
        pass
    with pytest.raises(SigningError, match="Mật khẩu"):
        load_pkcs12(pki.p12, "sai")
    with pytest.raises(SigningError, match="hết hạn"):
        sign_pdf(result_pdf, load_pkcs12(pki.expired_p12, P12_PASSWORD), clock=clock)
    with pytest.raises(SigningError, match="không phải PDF"):
        sign_pdf(b"%PDF-1.4 broken", load_pkcs12(pki.p12, P12_PASSWORD), clock=clock)


def test_signed_result_recorded_as_event_offline(app, pki, result_pdf) -> None:  # type: ignore[no-untyped-def]
    code = app.intake.receive("canbo1", birth_request()).code
    signer = load_pkcs12(pki.p12, P12_PASSWORD)
    with pytest.raises(Exception, match="số, ký hiệu"):
        app.attachments.sign_result("canbo1", code, result_pdf, signer, result_code=" ", method="pkcs12")
    att = app.attachments.sign_result(
        "canbo1", code, result_pdf, signer, result_code="15/GKS-UBND", method="pkcs12"
    )
    assert att.signed and att.result_code == "15/GKS-UBND" and att.signer == "UBND xã Vĩnh Lương"
    _, events, state = app.workflow.state(code)
    ev = events[-1]
    assert ev.kind is EventKind.RESULT_SIGNED and state.status is Status.RECEIVED
    assert ev.payload["unsigned_sha256"] == sha256_hex(result_pdf)
    assert ev.payload["signer"]["issuer"] == "Test Root CA (MotCua)"
    signed = app.attachments.read(att.sha256)
    assert verify_pdf(signed, [load_certificate(pki.ca_pem)], at=app.station.now()).ok
    d = app.attachments.digitisation(code)
    assert d.result_digitised and d.result_signed
    with pytest.raises(Exception, match="Không gỡ kết quả"):
        app.attachments.detach("canbo1", code, att.attachment_id)
