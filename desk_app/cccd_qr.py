"""The QR code on a chip căn cước / CCCD card, read by a scanner.

The card's QR holds seven fields separated by ``|``::

    <12-digit number>|<old CMND or empty>|<full name>|<ddmmyyyy birth>|<sex>|<address>|<ddmmyyyy issue>

``parse_cccd_qr`` checks each part and raises ``ValidationError`` with a
Vietnamese message naming what is wrong (a misread or foreign code must not
fill the form with rubbish).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from desk_app.domain.errors import ValidationError
from desk_app.validation import normalize_sex, validate_cccd, validate_name

FIELD = "cccd_qr"
PARTS = 7


@dataclass(frozen=True)
class CccdCard:
    id_number: str
    old_id: str
    full_name: str
    birth_date: dt.date
    sex: str  # "Nam" / "Nữ"
    address: str
    issued_on: dt.date | None


def looks_like_cccd_qr(text: str) -> bool:
    """Cheap test for scanner input: twelve digits, then at least five more ``|`` fields."""
    parts = (text or "").strip().split("|")
    return len(parts) >= PARTS - 1 and len(parts[0].strip()) == 12 and parts[0].strip().isdigit()


def _date(raw: str, what: str) -> dt.date:
    raw = raw.strip()
    if len(raw) != 8 or not raw.isdigit():
        raise ValidationError(
            FIELD, f"Mã QR trên thẻ căn cước: {what} “{raw}” không có dạng ngàythángnăm (8 chữ số)."
        )
    try:
        return dt.date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
    except ValueError:
        raise ValidationError(
            FIELD, f"Mã QR trên thẻ căn cước: {what} “{raw}” không phải ngày có thật."
        ) from None


def parse_cccd_qr(text: str) -> CccdCard:
    """Parse and check a CCCD QR; the issue date may be missing on some cards."""
    value = unicodedata.normalize("NFC", (text or "").strip())
    parts = [p.strip() for p in value.split("|")]
    if len(parts) < PARTS - 1 or len(parts) > PARTS:
        raise ValidationError(
            FIELD,
            f"Mã vừa quét không phải mã QR của thẻ căn cước: cần {PARTS} phần ngăn bởi “|”, "
            f"mã này có {len(parts)} phần.",
        )
    number, old_id, name, birth_raw, sex_raw, address = parts[:6]
    issued_raw = parts[6] if len(parts) == PARTS else ""
    try:
        birth = _date(birth_raw, "ngày sinh")
        card_number = validate_cccd(number, birth_year=birth.year)
        full_name = validate_name(name)
        sex = normalize_sex(sex_raw)
    except ValidationError as exc:
        if exc.field == FIELD:
            raise
        raise ValidationError(FIELD, f"Mã QR trên thẻ căn cước không hợp lệ: {exc}") from None
    if old_id and not (old_id.isdigit() and len(old_id) in (9, 12)):
        raise ValidationError(FIELD, f"Mã QR trên thẻ căn cước: số CMND cũ “{old_id}” không hợp lệ.")
    issued = _date(issued_raw, "ngày cấp") if issued_raw else None
    return CccdCard(card_number, old_id, full_name, birth, sex, address, issued)
