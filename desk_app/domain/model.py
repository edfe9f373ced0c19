"""Domain entities as frozen dataclasses.

Times are timezone-aware datetimes in Vietnam time (UTC+7, no DST); see
``desk_app.workcalendar.VN_TZ``. Money is in whole đồng (int).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from desk_app.domain.errors import ValidationError

# Procedure and Dossier have an attribute named ``field`` that shadows the function.
_field = field

AGENCY_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$")
PROCEDURE_CODE_RE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.H\d{2})?$")


class UnitLevel(StrEnum):
    TINH = "tinh"
    XA = "xa"
    PHUONG = "phuong"
    DAC_KHU = "dac_khu"
    HUYEN = "huyen"  # legacy district desks (before 1/7/2025)

    @property
    def label(self) -> str:
        return {
            "tinh": "Tỉnh",
            "xa": "Xã",
            "phuong": "Phường",
            "dac_khu": "Đặc khu",
            "huyen": "Huyện (cũ)",
        }[self.value]

    @classmethod
    def for_new_units(cls) -> list[UnitLevel]:
        """Levels a unit can be set up with since 1/7/2025 (two-tier local government).

        HUYEN stays in the enum only so that old dossiers of district desks still print.
        """
        return [lv for lv in cls if lv is not cls.HUYEN]


# NĐ 118/2025/NĐ-CP Điều 1 names the one-stop bodies: "Bộ phận Tiếp nhận và Trả kết quả
# cấp bộ, Trung tâm Phục vụ hành chính công cấp tỉnh, Trung tâm Phục vụ hành chính công
# cấp xã"; district desks (before 1/7/2025, NĐ 61/2018) were "Bộ phận Tiếp nhận và Trả
# kết quả".
ONE_STOP_CENTRE = "Trung tâm Phục vụ hành chính công"
LEGACY_DESK = "Bộ phận Tiếp nhận và Trả kết quả"
_LEVEL_WORD = {"tinh": "tỉnh", "xa": "xã", "phuong": "phường", "dac_khu": "đặc khu", "huyen": "huyện"}
_AUTHORITY_PREFIX = re.compile(r"^(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+", re.IGNORECASE)


def default_body_name(level: UnitLevel, unit_name: str) -> str:
    """The one-stop body's name for a unit that did not set its own.

    "UBND xã Vĩnh Lương" at commune level -> "Trung tâm Phục vụ hành chính công xã Vĩnh
    Lương"; a unit already named after its centre keeps that name.
    """
    name = " ".join(unit_name.split())
    body = LEGACY_DESK if level is UnitLevel.HUYEN else ONE_STOP_CENTRE
    if name.lower().startswith((ONE_STOP_CENTRE.lower(), LEGACY_DESK.lower())):
        return name
    place = _AUTHORITY_PREFIX.sub("", name)
    word = _LEVEL_WORD[level.value]
    if place and not place.lower().startswith(word):
        place = f"{word} {place}"
    return f"{body} {place}".strip()


class FormSet(StrEnum):
    TT03_2025 = "2025"  # Thông tư 03/2025/TT-VPCP
    TT01_2018 = "2018"  # Thông tư 01/2018/TT-VPCP (legacy)


class Channel(StrEnum):
    DESK = "truc_tiep"
    POST = "buu_chinh"
    ONLINE = "truc_tuyen"

    @property
    def label(self) -> str:
        return {"truc_tiep": "Trực tiếp", "buu_chinh": "Bưu chính công ích", "truc_tuyen": "Trực tuyến"}[
            self.value
        ]


class ReturnMethod(StrEnum):
    DESK = "tai_quay"
    POST = "buu_chinh"
    ONLINE = "truc_tuyen"

    @property
    def label(self) -> str:
        return {
            # NĐ 118/2025 calls the reception bodies together "Bộ phận Một cửa"
            "tai_quay": "Tại Bộ phận Một cửa",
            "buu_chinh": "Qua dịch vụ bưu chính công ích",
            "truc_tuyen": "Trực tuyến",
        }[self.value]


class IdKind(StrEnum):
    CCCD = "cccd"
    CMND = "cmnd"
    PASSPORT = "passport"
    NONE = "none"


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    KIOSK = "kiosk"

    @property
    def label(self) -> str:
        return {
            "officer": "Công chức tiếp nhận",
            "supervisor": "Giám sát",
            "admin": "Quản trị",
            "kiosk": "Máy lấy số",
        }[self.value]


@dataclass(frozen=True)
class WorkingHours:
    """Reception hours of a unit; times are local wall-clock 'HH:MM'."""

    morning_start: str = "07:30"
    morning_end: str = "11:30"
    afternoon_start: str = "13:30"
    afternoon_end: str = "17:00"
    same_day_cutoff: str = "15:00"
    saturday_morning: bool = False


@dataclass(frozen=True)
class Unit:
    code: str  # agency electronic id per QĐ 20/2020/QĐ-TTg, e.g. 000.21.31.H56
    name: str
    level: UnitLevel = UnitLevel.XA
    form_set: FormSet = FormSet.TT03_2025
    parent_name: str = ""  # e.g. "ỦY BAN NHÂN DÂN TỈNH KHÁNH HÒA"
    place: str = ""  # place name printed before the date, e.g. "Nha Trang"
    address: str = ""
    phone: str = ""
    hours: WorkingHours = field(default_factory=WorkingHours)
    # The QR's look-up address; "" = the central server the station is enrolled with
    # (desk_app.lookup.lookup_base), and no QR at all before enrolment.
    lookup_base_url: str = ""
    body_name: str = ""  # the one-stop body printed on every form; "" = default for the level

    def __post_init__(self) -> None:
        validate_agency_id(self.code)

    @property
    def one_stop_body(self) -> str:
        """Name of the reception body (NĐ 118/2025 Điều 1) as forms print it."""
        return " ".join(self.body_name.split()) or default_body_name(UnitLevel(self.level), self.name)


def validate_agency_id(code: str) -> str:
    if not AGENCY_ID_RE.match(code or ""):
        raise ValidationError(
            "unit_code",
            f"Mã định danh cơ quan “{code}” không hợp lệ: phải có dạng ddd.dd.dd.Hdd, ví dụ 000.21.31.H56.",
        )
    return code


class TimeKind(StrEnum):
    SAME_DAY = "same_day"  # "trong ngày"; what happens after 15:00 is the procedure's CutoffRule
    WORKING_DAYS = "working_days"


class CutoffRule(StrEnum):
    """What a same-day procedure does with a request received after the cut-off (15:00).

    The cut-off is a sector rule, not one general law (see ``desk_app.workcalendar``):
    chứng thực rolls to the next working day (HARD); hộ tịch rolls only when the request
    "không giải quyết được ngay" (CONDITIONAL: the officer chooses at intake); a
    procedure with no such rule is due the same day whatever the hour (NONE).
    """

    NONE = "none"
    HARD = "hard"
    CONDITIONAL = "conditional"

    @property
    def label(self) -> str:
        return {
            "none": "Không áp dụng mốc 15 giờ",
            "hard": "Sau 15 giờ: trả ngày làm việc tiếp theo",
            "conditional": "Sau 15 giờ: trả ngay nếu giải quyết được, nếu không thì ngày làm việc tiếp theo",
        }[self.value]


@dataclass(frozen=True)
class ProcessingTime:
    kind: TimeKind
    days: int = 0

    @classmethod
    def same_day(cls) -> ProcessingTime:
        return cls(TimeKind.SAME_DAY, 0)

    @classmethod
    def working_days(cls, days: int) -> ProcessingTime:
        if days < 1:
            raise ValueError("working days must be >= 1")
        return cls(TimeKind.WORKING_DAYS, days)

    @property
    def label(self) -> str:
        if self.kind is TimeKind.SAME_DAY:
            return "Trong ngày làm việc"
        return f"{self.days} ngày làm việc"


class FeeKind(StrEnum):
    FREE = "free"
    FLAT = "flat"  # amount per dossier
    PER_COPY = "per_copy"  # amount per copy (bản)
    PER_PAGE = "per_page"  # certified copies: first pages at one rate, later at another, capped


@dataclass(frozen=True)
class FeeRule:
    kind: FeeKind = FeeKind.FREE
    amount: int = 0  # đồng: flat amount, per copy, or per page for the first pages
    later_amount: int = 0  # PER_PAGE: per page from page ``later_from``
    later_from: int = 3
    cap: int = 0  # PER_PAGE: max per copy (0 = no cap)
    note: str = ""

    def compute(self, copies: int = 1, pages: int = 1) -> int:
        """Fee in đồng for ``copies`` copies of ``pages`` pages each."""
        copies = max(copies, 0)
        if self.kind is FeeKind.FREE:
            return 0
        if self.kind is FeeKind.FLAT:
            return self.amount
        if self.kind is FeeKind.PER_COPY:
            return self.amount * copies
        first = min(pages, self.later_from - 1)
        later = max(pages - (self.later_from - 1), 0)
        per_copy = first * self.amount + later * self.later_amount
        if self.cap:
            per_copy = min(per_copy, self.cap)
        return per_copy * copies

    @property
    def label(self) -> str:
        if self.note:
            return self.note
        if self.kind is FeeKind.FREE:
            return "Không thu phí"
        if self.kind is FeeKind.FLAT:
            return f"{format_vnd(self.amount)} / hồ sơ"
        if self.kind is FeeKind.PER_COPY:
            return f"{format_vnd(self.amount)} / bản"
        return (
            f"{format_vnd(self.amount)}/trang, từ trang {self.later_from}: "
            f"{format_vnd(self.later_amount)}/trang, tối đa {format_vnd(self.cap)}/bản"
        )


def format_vnd(amount: int) -> str:
    """12000 -> '12.000 đ' (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".") + " đ"


@dataclass(frozen=True)
class Component:
    """One paper of a dossier (thành phần hồ sơ); ``alternatives`` are accepted instead."""

    key: str  # stable within the procedure, e.g. "to_khai"
    name: str
    originals: int = 0
    certified_copies: int = 0
    photocopies: int = 0
    alternatives: tuple[str, ...] = ()
    required: bool = True

    @property
    def counts_label(self) -> str:
        parts = []
        if self.originals:
            parts.append(f"{self.originals} bản chính")
        if self.certified_copies:
            parts.append(f"{self.certified_copies} bản sao chứng thực")
        if self.photocopies:
            parts.append(f"{self.photocopies} bản photo")
        return ", ".join(parts) or "xuất trình"

    @property
    def display_name(self) -> str:
        if self.alternatives:
            return " hoặc ".join((self.name, *self.alternatives))
        return self.name


@dataclass(frozen=True)
class Procedure:
    code: str  # national code, e.g. 1.001193.000.00.00.H12
    name: str
    field: str  # lĩnh vực
    time: ProcessingTime
    fee: FeeRule = _field(default_factory=FeeRule)
    result: str = ""
    components: tuple[Component, ...] = ()
    level: str = "xa"
    lead_agency: str = ""  # cơ quan chủ trì giải quyết
    # After-15:00 rule of a same-day procedure; HARD keeps older catalogues' behaviour.
    cutoff: CutoffRule = CutoffRule.HARD
    source: str = ""  # where the row's facts come from (document, catalogue, snapshot)
    code_verified: bool = False  # national code checked against a public source

    def component(self, key: str) -> Component:
        for comp in self.components:
            if comp.key == key:
                return comp
        raise KeyError(key)


@dataclass(frozen=True)
class Address:
    street: str = ""  # house number, street, hamlet (thôn/ấp/tổ)
    commune_code: str = ""
    commune_name: str = ""
    province_code: str = ""
    province_name: str = ""

    def __str__(self) -> str:
        return ", ".join(p for p in (self.street, self.commune_name, self.province_name) if p)


@dataclass(frozen=True)
class Applicant:
    id: str
    full_name: str
    id_kind: IdKind = IdKind.CCCD
    id_number: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    email: str = ""
    address: Address = field(default_factory=Address)


@dataclass(frozen=True)
class ReceivedComponent:
    key: str
    name: str
    originals: int = 0
    certified_copies: int = 0
    photocopies: int = 0

    @property
    def total(self) -> int:
        return self.originals + self.certified_copies + self.photocopies


@dataclass(frozen=True)
class Dossier:
    """A dossier's data as received plus the fold of its events (status, due)."""

    id: str
    code: str
    unit_code: str
    procedure_code: str
    procedure_name: str
    field: str
    applicant: Applicant
    channel: Channel
    return_method: ReturnMethod
    received_at: dt.datetime
    due_at: dt.datetime
    status: str
    components: tuple[ReceivedComponent, ...] = ()
    sets: int = 1
    fee: int = 0
    officer: str = ""
    return_address: str = ""
    logbook_volume: str = ""
    logbook_number: int = 0
    target_unit_code: str = ""  # phi địa giới: competent unit when not ours
    has_conflict: bool = False
    extra: dict[str, Any] = _field(default_factory=dict)
