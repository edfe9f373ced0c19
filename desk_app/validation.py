"""Validators for applicant input.

Each validator returns the normalised value or raises
``ValidationError(field, message)``; the message is Vietnamese and says exactly what
is wrong, because counter staff read it while the applicant waits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from desk_app.domain.errors import ValidationError
from desk_app.domain.model import IdKind
from desk_app.textfold import fold, normalize_text

# Province-of-birth codes on CCCD numbers (Thông tư 07/2016/TT-BCA, later 59/2021):
# the 63 provinces before the 2025 merger. Birth registrations keep these codes.
CCCD_PROVINCES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

SEX_MALE = "Nam"
SEX_FEMALE = "Nữ"

_SEPARATORS_RE = re.compile(r"[\s.\-]+")
_PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()/]+")
_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_VN_PASSPORT_RE = re.compile(r"^[A-Z]\d{7}$")
_PASSPORT_RE = re.compile(r"^[A-Z0-9]{6,9}$")
_EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_DOMAIN_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_NAME_PUNCT = frozenset(" '’-.")
_MIN_BIRTH = dt.date(1900, 1, 1)


def _today() -> dt.date:
    # VN date, not the machine's: a server in UTC is a day behind until 07:00.
    from desk_app.workcalendar import now_vn

    return now_vn().date()


def _cap(label: str) -> str:
    # str.capitalize() would lowercase "CCCD" as well.
    return label[:1].upper() + label[1:]


def _digits_only(field: str, label: str, number: str, separators: re.Pattern[str] = _SEPARATORS_RE) -> str:
    """Strip separators; raise on empty input or any non-digit, naming the character."""
    text = separators.sub("", unicodedata.normalize("NFKC", number or ""))
    if not text:
        raise ValidationError(field, f"Chưa nhập {label}.")
    bad = next((ch for ch in text if not ch.isascii() or not ch.isdigit()), None)
    if bad is not None:
        raise ValidationError(field, f"{_cap(label)} chỉ được gồm chữ số, có ký tự không hợp lệ “{bad}”.")
    return text


def _length_error(field: str, label: str, got: int, want: str) -> ValidationError:
    side = "thiếu" if want.isdigit() and got < int(want) else "thừa"
    if not want.isdigit():
        return ValidationError(field, f"{_cap(label)} phải có {want} chữ số (đang có {got}).")
    return ValidationError(
        field, f"{_cap(label)} phải có đúng {want} chữ số (đang có {got}, {side} {abs(got - int(want))})."
    )


# -- sex ----------------------------------------------------------------------------

_SEX_WORDS = {
    "nam": SEX_MALE, "m": SEX_MALE, "male": SEX_MALE,
    "nu": SEX_FEMALE, "f": SEX_FEMALE, "female": SEX_FEMALE,
}  # fmt: skip


def normalize_sex(sex: str) -> str:
    """'nam'/'M'/'male' -> 'Nam'; 'nữ'/'nu'/'F'/'female' -> 'Nữ'."""
    label = _SEX_WORDS.get(fold(sex or ""))
    if label is None:
        raise ValidationError("sex", f"Giới tính “{sex}” không hợp lệ: chọn “Nam” hoặc “Nữ”.")
    return label


# -- CCCD / CMND ----------------------------------------------------------------------


def _cccd_parts(number: str) -> tuple[str, str, int]:
    """(province name, sex label, birth year) of a 12-digit string; raises on bad codes."""
    code = number[:3]
    province = CCCD_PROVINCES.get(code)
    if province is None:
        raise ValidationError(
            "id_number",
            f"Số CCCD {number}: 3 chữ số đầu “{code}” không phải mã tỉnh/thành phố nơi đăng ký khai sinh "
            "(mã hợp lệ từ 001 Hà Nội đến 096 Cà Mau).",
        )
    digit = int(number[3])
    century = 1900 + 100 * (digit // 2)
    sex = SEX_MALE if digit % 2 == 0 else SEX_FEMALE
    return province, sex, century + int(number[4:6])


def validate_cccd(number: str, birth_year: int | None = None, sex: str | None = None) -> str:
    """12-digit căn cước / CCCD number; checks province code, century/sex digit and birth year.

    Digit 4 encodes sex and century (0/1 male/female born 19xx, 2/3 → 20xx, 4/5 →
    21xx …); digits 5–6 are the last two digits of the birth year. A birth year after
    this year is rejected, which also rejects centuries that cannot exist yet.
    """
    label = "số CCCD"
    text = _digits_only("id_number", label, number)
    if len(text) != 12:
        if len(text) == 9:
            raise ValidationError(
                "id_number",
                "Số CCCD phải có đúng 12 chữ số (đang có 9): đây có vẻ là số CMND cũ, "
                "hãy chọn loại giấy tờ “CMND”.",
            )
        raise _length_error("id_number", label, len(text), "12")
    province, cccd_sex, year = _cccd_parts(text)
    if birth_year is not None:
        if birth_year // 100 != year // 100:
            expected = (birth_year // 100 - 19) * 2
            hint = (
                f" (người sinh năm {birth_year} có chữ số thứ 4 là {expected} hoặc {expected + 1})"
                if 0 <= expected <= 8
                else ""
            )
            raise ValidationError(
                "id_number",
                f"Số CCCD {text}: chữ số thứ 4 “{text[3]}” ứng với người sinh năm {year // 100 * 100}–"
                f"{year // 100 * 100 + 99}, không khớp năm sinh {birth_year}{hint}.",
            )
        if birth_year % 100 != year % 100:
            raise ValidationError(
                "id_number",
                f"Số CCCD {text}: chữ số 5–6 “{text[4:6]}” không khớp năm sinh {birth_year} "
                f"(phải là “{birth_year % 100:02d}”).",
            )
    this_year = _today().year
    if year > this_year:
        raise ValidationError(
            "id_number",
            f"Số CCCD {text}: chữ số thứ 4 “{text[3]}” và chữ số 5–6 “{text[4:6]}” cho năm sinh {year}, "
            f"sau năm hiện tại {this_year}.",
        )
    if sex is not None and sex.strip():
        wanted = normalize_sex(sex)
        if wanted != cccd_sex:
            raise ValidationError(
                "id_number",
                f"Số CCCD {text}: chữ số thứ 4 “{text[3]}” là của người giới tính {cccd_sex}, "
                f"không khớp giới tính đã nhập ({wanted}).",
            )
    return text


def cccd_info(number: str) -> tuple[str, str, int]:
    """(province of birth registration, 'Nam'/'Nữ', birth year) decoded from a CCCD number."""
    text = validate_cccd(number)
    return _cccd_parts(text)


def validate_cmnd(number: str) -> str:
    """Old chứng minh nhân dân: 9 digits, or 12 digits (CMND issued 2012–2016).

    The 12-digit CMND carries the personal identification number, structured like a
    CCCD, so it gets the same province/century checks.
    """
    label = "số CMND"
    text = _digits_only("id_number", label, number)
    if len(text) == 12:
        return validate_cccd(text)
    if len(text) != 9:
        raise _length_error("id_number", label, len(text), "9 hoặc 12")
    return text


def validate_passport(number: str, vietnamese: bool = False) -> str:
    """Passport number, uppercased without spaces.

    Vietnamese passports: one letter and 7 digits (B/C/N/P… series, e.g. C1234567).
    Foreign passports: 6–9 letters/digits. With ``vietnamese=True`` only the
    Vietnamese form is accepted.
    """
    text = _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", number or "")).upper()
    if not text:
        raise ValidationError("id_number", "Chưa nhập số hộ chiếu.")
    bad = next((ch for ch in text if not (ch.isascii() and ch.isalnum())), None)
    if bad is not None:
        raise ValidationError(
            "id_number", f"Số hộ chiếu chỉ gồm chữ cái không dấu và chữ số, có ký tự không hợp lệ “{bad}”."
        )
    if vietnamese:
        if not _VN_PASSPORT_RE.match(text):
            raise ValidationError(
                "id_number",
                f"Số hộ chiếu Việt Nam “{text}” không hợp lệ: "
                "phải gồm 1 chữ cái và 7 chữ số, ví dụ C1234567.",
            )
        return text
    if not 6 <= len(text) <= 9:
        raise ValidationError("id_number", f"Số hộ chiếu phải có từ 6 đến 9 ký tự (đang có {len(text)}).")
    return text


def validate_id(
    kind: IdKind | str, number: str, birth_year: int | None = None, sex: str | None = None
) -> str:
    """Dispatch on the identity paper kind; IdKind.NONE requires an empty number."""
    kind = IdKind(kind)
    if kind is IdKind.CCCD:
        return validate_cccd(number, birth_year=birth_year, sex=sex)
    if kind is IdKind.CMND:
        return validate_cmnd(number)
    if kind is IdKind.PASSPORT:
        return validate_passport(number)
    if (number or "").strip():
        raise ValidationError(
            "id_number", "Đã chọn “Không có giấy tờ” nhưng lại nhập số giấy tờ: hãy chọn đúng loại giấy tờ."
        )
    return ""


# -- phone, email ---------------------------------------------------------------------


def validate_phone(number: str) -> str:
    """Vietnamese phone number in national form (leading 0).

    Accepts spaces, dots, dashes, parentheses and the +84 / 84 / 0084 prefixes.
    Mobile: 10 digits, prefix 03/05/07/08/09. Landline: 11 digits starting 02.
    """
    raw = _PHONE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", number or ""))
    if raw.startswith("+"):
        if not raw.startswith("+84"):
            raise ValidationError(
                "phone", f"Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84), không nhận “{raw[:4]}…”."
            )
        raw = "0" + raw[3:].removeprefix("0")
    elif raw.startswith("0084"):
        raw = "0" + raw[4:].removeprefix("0")
    elif raw.startswith("84") and len(raw) >= 11:
        # 84 + 9 digits (mobile) or 84 + 10 digits (landline); a national number
        # always starts with 0, so no clash.
        raw = "0" + raw[2:]
    text = _digits_only("phone", "số điện thoại", raw, _PHONE_SEPARATORS_RE)
    if not text.startswith("0"):
        raise ValidationError(
            "phone", f"Số điện thoại phải bắt đầu bằng 0 hoặc +84 (đang bắt đầu bằng “{text[0]}”)."
        )
    prefix = text[:2]
    if prefix == "02":
        want, kind = 11, "cố định"
    elif prefix in _MOBILE_PREFIXES:
        want, kind = 10, "di động"
    elif prefix == "01" and len(text) == 11:
        raise ValidationError(
            "phone",
            f"Đầu số “{text[:3]}” là đầu số di động 11 số cũ, đã chuyển sang 10 số từ năm 2018: "
            "hãy hỏi lại số mới của người nộp.",
        )
    else:
        raise ValidationError(
            "phone",
            f"Đầu số “{prefix}” không hợp lệ: số di động bắt đầu bằng 03, 05, 07, 08, 09; "
            "số cố định bắt đầu bằng 02.",
        )
    if len(text) < want:
        raise ValidationError(
            "phone", f"Số điện thoại {kind} quá ngắn: cần {want} chữ số, đang có {len(text)}."
        )
    if len(text) > want:
        raise ValidationError(
            "phone", f"Số điện thoại {kind} quá dài: cần {want} chữ số, đang có {len(text)}."
        )
    return text


def validate_email(text: str) -> str:
    """Practical e-mail check (no quoted local parts, ASCII domain); lowercases the domain."""
    value = (text or "").strip()
    if not value:
        raise ValidationError("email", "Chưa nhập địa chỉ thư điện tử.")
    if any(ch.isspace() for ch in value):
        raise ValidationError("email", "Địa chỉ thư điện tử không được chứa dấu cách.")
    if value.count("@") != 1:
        raise ValidationError(
            "email", f"Địa chỉ thư điện tử phải có đúng một ký tự “@” (đang có {value.count('@')})."
        )
    local, domain = value.split("@")
    domain = domain.lower()
    if not local:
        raise ValidationError("email", "Thiếu phần tên trước ký tự “@” trong địa chỉ thư điện tử.")
    if not _EMAIL_LOCAL_RE.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValidationError(
            "email",
            f"Phần tên “{local}” trong địa chỉ thư điện tử có ký tự không hợp lệ "
            "(chữ có dấu, dấu chấm liền nhau…).",
        )
    if not domain:
        raise ValidationError("email", "Thiếu tên miền sau ký tự “@” trong địa chỉ thư điện tử.")
    labels = domain.split(".")
    if len(labels) < 2:
        raise ValidationError("email", f"Tên miền “{domain}” thiếu phần đuôi, ví dụ “gmail.com”.")
    tld = labels[-1]
    if not all(_DOMAIN_LABEL_RE.match(lb) for lb in labels) or not tld.isalpha() or len(tld) < 2:
        raise ValidationError("email", f"Tên miền “{domain}” không hợp lệ.")
    if len(local) > 64 or len(value) > 254:
        raise ValidationError("email", "Địa chỉ thư điện tử quá dài.")
    return f"{local}@{domain}"


# -- names, dates ---------------------------------------------------------------------


def validate_name(text: str, field: str = "full_name") -> str:
    """Person name: NFC, trimmed, single spaces; letters, space, apostrophe, hyphen, dot; 2–100 chars."""
    value = normalize_text(text or "")
    if not value:
        raise ValidationError(field, "Chưa nhập họ và tên.")
    digits = [ch for ch in value if ch.isdigit()]
    if digits:
        raise ValidationError(field, f"Họ và tên không được chứa chữ số (có “{digits[0]}”).")
    bad = next(
        (ch for ch in value if not (ch.isalpha() or ch in _NAME_PUNCT or unicodedata.combining(ch))), None
    )
    if bad is not None:
        raise ValidationError(field, f"Họ và tên có ký tự không hợp lệ “{bad}”.")
    if not any(ch.isalpha() for ch in value):
        raise ValidationError(field, "Họ và tên phải có chữ cái.")
    if len(value) < 2:
        raise ValidationError(field, f"Họ và tên quá ngắn: cần ít nhất 2 ký tự (đang có {len(value)}).")
    if len(value) > 100:
        raise ValidationError(field, f"Họ và tên quá dài: tối đa 100 ký tự (đang có {len(value)}).")
    return value


def validate_birth_date(d: dt.date, today: dt.date | None = None) -> dt.date:
    """Birth date between 1/1/1900 and today (VN date)."""
    if isinstance(d, dt.datetime):
        d = d.date()
    today = today or _today()
    if d > today:
        raise ValidationError(
            "birth_date", f"Ngày sinh {d:%d/%m/%Y} ở tương lai (hôm nay là {today:%d/%m/%Y})."
        )
    if d < _MIN_BIRTH:
        raise ValidationError("birth_date", f"Ngày sinh {d:%d/%m/%Y} trước năm 1900, hãy kiểm tra lại.")
    return d


# -- office hours ---------------------------------------------------------------------


def validate_hhmm(value: str, field: str = "hours") -> str:
    """A wall-clock time "HH:MM" (00:00–23:59), as office hours are stored."""
    text = (value or "").strip()
    if not _HHMM_RE.match(text):
        raise ValidationError(field, f"Giờ “{text}” không hợp lệ: nhập dạng HH:MM, ví dụ 07:30.")
    return text


_DATE_SEPARATORS_RE = re.compile(r"[/\-.\s]+")


def parse_birth_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """'17/05/1990', '17-5-1990', '17051990' -> a checked birth date; '' -> None.

    Three different slips get three different messages: a wrong shape, a day that
    does not exist (31/02/1990), and a date outside 1900…today (``validate_birth_date``).
    """
    raw = (text or "").strip()
    if not raw:
        return None
    if raw.isdigit() and len(raw) == 8:
        parts = [raw[:2], raw[2:4], raw[4:]]
    else:
        parts = _DATE_SEPARATORS_RE.split(raw)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise ValidationError("birth_date", "Ngày sinh phải có dạng ngày/tháng/năm, ví dụ 17/05/1990.")
    day, month, year = (int(p) for p in parts)
    if year < _MIN_BIRTH.year:
        raise ValidationError("birth_date", f"Ngày sinh {raw} trước năm 1900, hãy kiểm tra lại.")
    if not 1 <= month <= 12:
        raise ValidationError("birth_date", f"Ngày sinh {raw}: không có tháng {month} (tháng từ 1 đến 12).")
    try:
        value = dt.date(year, month, day)
    except ValueError:
        last = _last_day(year, month)
        raise ValidationError(
            "birth_date",
            f"Ngày sinh {day:02d}/{month:02d}/{year} không có thật: tháng {month}/{year} chỉ có {last} ngày.",
        ) from None
    return validate_birth_date(value, today)


def _last_day(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


def capitalized_name(text: str) -> str:
    """'le van minh' -> 'Le Van Minh': the first letter of every word upper-case, the rest kept.

    Used to offer the usual form of a name typed all in lower case; names typed with
    any capital (or all capitals, as on some papers) are the officer's choice.
    """
    value = normalize_text(text or "")
    return " ".join(word[:1].upper() + word[1:] for word in value.split(" "))


def needs_capitals(text: str) -> bool:
    """Whether a name was typed all in lower case (so ``capitalized_name`` would change it)."""
    value = normalize_text(text or "")
    letters = [ch for ch in value if ch.isalpha()]
    return bool(letters) and all(ch.islower() for ch in letters)
