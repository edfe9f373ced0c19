"""Signing e-results at the counter, offline: PAdES (pyHanko) with the unit's certificate.

The key is in a PKCS#12 file or on a USB token reached through PKCS#11 (VGCA
tokens are). Nothing here needs the network: no timestamp authority, no
revocation fetching (PAdES B-B); the signing time comes from the station's
clock, so tests and faked dates sign reproducibly. No Qt: the PIN prompt is in
``ui/attachments_sign.py``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_cert_from_pemder
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from desk_app.domain.errors import DomainError

FIELD_NAME = "ChuKySo"
# Room for the CMS container (signature, signer and chain certificates). Reserving it up
# front spares pyHanko a trial signature to measure it (a second token operation).
SIGNATURE_BYTES = 16_384


class SigningError(DomainError):
    """Signing could not be done; the message is for counter staff."""


@dataclass(frozen=True)
class SignerInfo:
    subject: str  # the certificate holder's common name (an agency or an officer)
    organisation: str
    serial: str
    issuer: str
    not_before: str
    not_after: str

    def as_payload(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "organisation": self.organisation,
            "serial": self.serial,
            "issuer": self.issuer,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


def signer_info(cert: x509.Certificate) -> SignerInfo:
    subject = cert.subject.native
    issuer = cert.issuer.native
    return SignerInfo(
        subject=str(subject.get("common_name", "")),
        organisation=str(subject.get("organization_name", "")),
        serial=format(cert.serial_number, "x"),
        issuer=str(issuer.get("common_name", "")),
        not_before=cert.not_valid_before.isoformat(),
        not_after=cert.not_valid_after.isoformat(),
    )


def check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    if at < cert.not_valid_before:
        raise SigningError("Chứng thư số chưa đến thời hạn sử dụng.")
    if at > cert.not_valid_after:
        raise SigningError(
            f"Chứng thư số đã hết hạn ngày {cert.not_valid_after.astimezone(at.tzinfo):%d/%m/%Y}; "
            "hãy gia hạn chứng thư số trước khi ký."
        )


def load_pkcs12(path: str | Path, passphrase: str) -> signers.SimpleSigner:
    """The signer of a .p12/.pfx file; a wrong password gives a clear message."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError("Không đọc được tệp chứng thư số (.p12/.pfx).") from exc
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase.encode())
    except (ValueError, TypeError) as exc:
        raise SigningError("Mật khẩu tệp chứng thư số không đúng hoặc tệp bị hỏng.") from exc
    if key is None or cert is None:
        raise SigningError("Tệp chứng thư số không chứa khóa bí mật và chứng thư của người ký.")
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple([translate_pyca_cryptography_cert_to_asn1(c) for c in chain])
    signer = _KeyCachingSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
    )
    if isinstance(key, RSAPrivateKey):
        signer._rsa_key = key  # parsed and checked once, here
    return signer


class _KeyCachingSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses (and re-validates) the RSA key at every signature,
    ~100 ms each; the counter signs many results in one session, so parse it once."""

    _rsa_key: RSAPrivateKey | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mechanism.signature_algo
        except ValueError:
            algo = mechanism["algorithm"].native
        if algo != "rsassa_pkcs1v15":
            return bytes(super().sign_raw(data, digest_algorithm))
        if self._rsa_key is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            if not isinstance(key, RSAPrivateKey):
                return bytes(super().sign_raw(data, digest_algorithm))
            self._rsa_key = key
        return self._rsa_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@contextmanager
def pkcs11_signer(
    module: str | Path, pin: str, *, token_label: str | None = None, key_label: str | None = None
) -> Iterator[signers.Signer]:
    """A signer on a USB token; the session stays open while the ``with`` block runs."""
    from pkcs11 import PKCS11Error
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as hk11

    if not Path(module).exists():
        raise SigningError(f"Không tìm thấy thư viện PKCS#11 của USB ký số: {module}.")
    try:
        token_label = token_label or _first_token_label(str(module))
        criteria = TokenCriteria(label=token_label)
        session = hk11.open_pkcs11_session(str(module), token_criteria=criteria, user_pin=pin)
    except PKCS11Error as exc:
        name = type(exc).__name__
        if "Pin" in name:
            raise SigningError("Mã PIN của USB ký số không đúng (hoặc đã bị khóa).") from exc
        if "No token" in str(exc):
            raise SigningError("Không tìm thấy USB ký số: kiểm tra USB đã cắm vào máy.") from exc
        raise SigningError("Không mở được USB ký số: kiểm tra USB đã cắm vào máy.") from exc
    except PyHankoSigningError as exc:
        raise SigningError("Không tìm thấy USB ký số: kiểm tra USB đã cắm vào máy.") from exc
    try:
        label = key_label or _first_key_label(session)
        yield hk11.PKCS11Signer(session, key_label=label, cert_label=label)
    finally:
        session.close()


def _first_token_label(module: str) -> str:
    """The first initialised token (a module may also list empty slots)."""
    from pkcs11 import TokenFlag
    from pkcs11 import lib as p11_lib

    for slot in p11_lib(module).get_slots(token_present=True):
        token = slot.get_token()
        if TokenFlag.TOKEN_INITIALIZED in token.flags:
            return str(token.label)
    raise SigningError("Không tìm thấy USB ký số: kiểm tra USB đã cắm vào máy.")


def _first_key_label(session: Any) -> str:
    from pkcs11 import ObjectClass

    for key in session.get_objects({0x0000: ObjectClass.PRIVATE_KEY}):  # CKA_CLASS
        label = key.label
        if label:
            return str(label)
    raise SigningError("USB ký số không chứa khóa bí mật để ký.")


class _ClockedPdfSigner(signers.PdfSigner):
    """Signing time from the station's clock instead of the machine's."""

    def __init__(self, *args: Any, clock: Callable[[], dt.datetime], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._clock = clock

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._clock()
        return session


def signing_certificate(signer: signers.Signer) -> x509.Certificate:
    cert = signer.signing_cert
    if cert is None:
        raise SigningError("Không đọc được chứng thư số của người ký.")
    return cert


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    *,
    clock: Callable[[], dt.datetime],
    reason: str = "Ký số kết quả giải quyết thủ tục hành chính",
    location: str = "",
) -> bytes:
    """A PAdES (B-B) signed copy of ``pdf``; the original bytes are not changed."""
    now = clock()
    check_validity(signing_certificate(signer), now)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = _ClockedPdfSigner(meta, signer, clock=clock).sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES)
    except PdfReadError as exc:
        raise SigningError("Tệp kết quả không phải PDF hợp lệ, không ký được.") from exc
    except PyHankoSigningError as exc:
        raise SigningError(f"Ký số không thành công: {exc}") from exc
    return bytes(out.getbuffer())


@dataclass(frozen=True)
class Verification:
    intact: bool  # the signed bytes were not changed
    valid: bool  # the signature matches the certificate's key
    trusted: bool  # the certificate chains to one of the given roots
    covers_whole_file: bool
    signer: SignerInfo | None
    signed_at: dt.datetime | None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def verify_pdf(pdf: bytes, trust_roots: Sequence[x509.Certificate], *, at: dt.datetime) -> Verification:
    """Check the (last) signature of ``pdf`` offline against ``trust_roots`` at time ``at``."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except (PdfReadError, ValueError) as exc:
        raise SigningError("Tệp PDF bị hỏng, không kiểm tra được chữ ký.") from exc
    if not sigs:
        return Verification(False, False, False, False, None, None)
    sig = sigs[-1]
    context = ValidationContext(trust_roots=list(trust_roots), moment=at, allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context)
    except Exception:  # noqa: BLE001 - a mangled signature is an invalid one
        return Verification(False, False, False, False, None, None)
    coverage = status.coverage
    return Verification(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=coverage is not None and coverage.name == "ENTIRE_FILE",
        signer=signer_info(status.signing_cert) if status.signing_cert is not None else None,
        signed_at=status.signer_reported_dt,
    )


def load_certificate(path: str | Path) -> x509.Certificate:
    cert: x509.Certificate = load_cert_from_pemder(str(path))  # type: ignore[no-untyped-call]
    return cert


__all__ = [
    "SignerInfo",
    "SigningError",
    "Verification",
    "load_certificate",
    "load_pkcs12",
    "pkcs11_signer",
    "sign_pdf",
    "signer_info",
    "signing_certificate",
    "verify_pdf",
]
