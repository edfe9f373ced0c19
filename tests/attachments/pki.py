"""A test CA, a signing certificate, its PKCS#12 file and a SoftHSM2 token holding the key.

Certificates are valid 2020–2040 and every signature and check uses the test
clock, so nothing depends on the machine's date.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SOFTHSM_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
P12_PASSWORD = "matkhau-p12"
PIN = "123456"
SO_PIN = "12345678"
TOKEN_LABEL = "VGCA-TEST"
KEY_LABEL = "ky-so-don-vi"
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)


def softhsm_module() -> str | None:
    return next((p for p in SOFTHSM_CANDIDATES if Path(p).exists()), None)


def _name(cn: str, org: str = "UBND xã Vĩnh Lương") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass
class TestPki:
    folder: Path
    ca_pem: Path
    signer_pem: Path
    p12: Path
    key_der: Path
    cert_der: Path
    expired_p12: Path


def make_pki(folder: Path) -> TestPki:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("Test Root CA (MotCua)", "Ban Cơ yếu Chính phủ (thử nghiệm)")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, serial: int, not_after: dt.datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(NOT_BEFORE)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        return key, cert

    key, cert = leaf("UBND xã Vĩnh Lương", 0x1001, NOT_AFTER)
    old_key, old_cert = leaf("Chứng thư hết hạn", 0x1002, dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "signer.pem").write_bytes(cert.public_bytes(pem))
    enc = serialization.BestAvailableEncryption(P12_PASSWORD.encode())
    (folder / "signer.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(b"signer", key, cert, [ca], enc)
    )
    (folder / "expired.p12").write_bytes(
        pkcs12.serialize_key_and_certificates(b"old", old_key, old_cert, [ca], enc)
    )
    (folder / "key.der").write_bytes(
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return TestPki(
        folder,
        folder / "ca.pem",
        folder / "signer.pem",
        folder / "signer.p12",
        folder / "key.der",
        folder / "cert.der",
        folder / "expired.p12",
    )


def make_softhsm_token(pki: TestPki, folder: Path, module: str) -> dict[str, str]:
    """Initialise a SoftHSM2 token in ``folder`` and import the key and certificate.

    Returns the environment (SOFTHSM2_CONF) the token needs.
    """
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    util = shutil.which("softhsm2-util")
    tool = shutil.which("pkcs11-tool")
    assert util and tool, "softhsm2 and opensc (pkcs11-tool) must be installed (./dev setup)"

    def run(*args: str) -> None:
        subprocess.run(args, env=env, check=True, capture_output=True, timeout=60)

    run(util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN)
    common = (tool, "--module", module, "--token-label", TOKEN_LABEL, "--login", "--pin", PIN)
    run(*common, "--write-object", str(pki.key_der), "--type", "privkey", "--id", "01", "--label", KEY_LABEL)
    run(*common, "--write-object", str(pki.cert_der), "--type", "cert", "--id", "01", "--label", KEY_LABEL)
    return {"SOFTHSM2_CONF": str(conf)}
