"""The public look-up of a dossier: its secret, the QR's address, and what the public may see.

Dossier codes are sequential (unit-date-sequence) and therefore guessable; the
receipt's QR carries, besides the code, a random per-dossier secret created
offline at intake (``secrets.token_urlsafe``), stored in the dossier's ``extra``
and carried in the RECEIVED event's snapshot so that it syncs with the dossier.
It is never derived from the code. Pure: used by the station, the printing
context and the central server alike.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from urllib.parse import quote

SECRET_KEY = "lookup_secret"  # key in Dossier.extra (and in the RECEIVED snapshot's "extra")
SECRET_BYTES = 16  # 128 bits -> 22 URL-safe characters
MAX_SECRET_LEN = 64
PUBLIC_PATH = "/tra-cuu"
# Older stations stored this placeholder as their look-up address: it is no address at all.
LEGACY_PLACEHOLDER = "https://dichvucong.example.gov.vn/tra-cuu?ma="


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_matches(expected: str, given: str) -> bool:
    """Constant-time comparison; an empty or over-long secret never matches."""
    if not expected or not given or len(given) > MAX_SECRET_LEN:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def lookup_base(configured: str, enrolled_server: str | None) -> str:
    """The unit's look-up address: the setting, else the enrolled central server's page, else ""."""
    configured = (configured or "").strip()
    if configured and configured != LEGACY_PLACEHOLDER:
        return configured
    if enrolled_server:
        return enrolled_server.rstrip("/") + PUBLIC_PATH
    return ""


def lookup_url(base: str, code: str, secret: str) -> str:
    """The QR's content: ``{base}/{code}?k={secret}``; "" when there is no address.

    A query-style base ending in ``=`` (``…/tra-cuu?ma=``) gets the code appended and the
    secret as ``&k=``.
    """
    if not base:
        return ""
    key = f"k={quote(secret, safe='')}" if secret else ""
    if base.endswith("="):
        return base + quote(code, safe="") + (f"&{key}" if key else "")
    return base.rstrip("/") + "/" + quote(code, safe="") + (f"?{key}" if key else "")


def mask_name(full_name: str) -> str:
    """'Nguyễn Văn Dũng' -> 'Nguyễn V. D.': the family name, then initials only."""
    parts = unicodedata.normalize("NFC", full_name or "").split()
    if not parts:
        return ""
    return " ".join([parts[0], *(p[0].upper() + "." for p in parts[1:])])


def last4_matches(candidates: list[str], given: str) -> bool:
    """The citizen typed the last 4 digits of the phone or the ID number on the receipt."""
    given = "".join(ch for ch in given if ch.isdigit())
    if len(given) != 4:
        return False
    ok = False
    for value in candidates:
        digits = "".join(ch for ch in value or "" if ch.isdigit())
        if len(digits) >= 4 and hmac.compare_digest(digits[-4:], given):
            ok = True
    return ok
