"""Demo data: the demo unit and accounts (``ensure_demo``) and realistic dossiers.

``motcua demo``, ``motcua run-demo``, the screenshots tool, the benchmarks and
the tests all take the demo unit from here. Dossiers are created through the
same intake and workflow rules as the counter.

Small sets go through ``WorkflowService.act`` one action at a time; large sets
(benchmarks) use ``IntakeService.receive_many`` with a pre-planned history per
dossier, still folded and validated by the domain rules, in big transactions.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desk_app import geo
from desk_app.domain.lifecycle import EventKind
from desk_app.domain.model import (
    Channel,
    IdKind,
    Procedure,
    ReceivedComponent,
    ReturnMethod,
    Role,
    Unit,
    UnitLevel,
)
from desk_app.queue.service import QueueService
from desk_app.services.intake import ApplicantInput, IntakeRequest, IntakeService
from desk_app.services.station import Station
from desk_app.validation import CCCD_PROVINCES
from desk_app.workcalendar import WorkCalendar

if TYPE_CHECKING:
    from desk_app.bootstrap import App

DEMO_UNIT = Unit(
    code="000.21.31.H56",
    name="Trung tâm Phục vụ hành chính công xã Vĩnh Lương",
    level=UnitLevel.XA,
    parent_name="ỦY BAN NHÂN DÂN XÃ VĨNH LƯƠNG",
    place="Vĩnh Lương",
    address="Thôn Văn Đăng, xã Vĩnh Lương, tỉnh Khánh Hòa",
    phone="0258 3839 123",
)

#: (username, full name, password, role, counter number)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, Role, int | None], ...] = (
    ("admin", "Quản trị viên", "admin123", Role.ADMIN, None),
    ("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1),
    ("canbo2", "Trần Văn Đức", "canbo123", Role.OFFICER, 2),
    ("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR, None),
    ("kiosk", "Máy lấy số", "kiosk123", Role.KIOSK, None),
)

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Lương",
    "Mai",
]
SURNAME_WEIGHTS = [38, 11, 9.5, 7, 5, 4, 4.5, 3.9, 3.9, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5, 0.8, 0.7, 0.6, 0.5]
MIDDLE_MALE = ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Đình", "Xuân", "Ngọc"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Bảo", "Phương", "Khánh"]
GIVEN_MALE = [
    "Dũng",
    "Hùng",
    "Nam",
    "Long",
    "Tuấn",
    "Minh",
    "Quang",
    "Sơn",
    "Hải",
    "Phúc",
    "Đức",
    "Khoa",
    "Thắng",
    "Trung",
    "Việt",
    "Bình",
    "Hiếu",
    "Tâm",
    "Toàn",
    "Đạt",
]
GIVEN_FEMALE = [
    "Lan",
    "Hương",
    "Nhung",
    "Hằng",
    "Mai",
    "Linh",
    "Trang",
    "Thảo",
    "Hoa",
    "Yến",
    "Ngân",
    "Phượng",
    "Duyên",
    "Hạnh",
    "Vy",
    "Thùy",
    "Loan",
    "Diệp",
    "Hà",
    "Anh",
]
STREETS = [
    "Thôn Đông",
    "Thôn Tây",
    "Thôn Trung",
    "Xóm Mới",
    "Ấp 3",
    "Tổ dân phố 5",
    "Số 12 đường Lê Lợi",
    "Số 7 đường Trần Phú",
    "Khu phố 2",
    "Thôn Phú Xuân",
    "Xóm Bãi",
    "Số 45 đường Nguyễn Huệ",
]
SECTIONS = [
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hóa - Xã hội",
    "Phòng Kinh tế",
    "Văn phòng HĐND và UBND",
]


@dataclass
class DemoPerson:
    applicant: ApplicantInput


def make_person(
    rng: random.Random, today: dt.date, province: tuple[str, str], communes: list[tuple[str, str]]
) -> ApplicantInput:
    male = rng.random() < 0.5
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
    given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    birth = dt.date(rng.randint(today.year - 80, today.year - 18), rng.randint(1, 12), rng.randint(1, 28))
    prov_birth = rng.choice(list(CCCD_PROVINCES))
    century = (birth.year // 100) - 19  # 1900s -> 0, 2000s -> 1
    sex_digit = century * 2 + (0 if male else 1)
    cccd = f"{prov_birth}{sex_digit}{birth.year % 100:02d}{rng.randint(0, 999999):06d}"
    phone = rng.choice(["09", "08", "07", "03", "05"]) + f"{rng.randint(0, 99999999):08d}"
    commune = rng.choice(communes) if communes else ("", "")
    return ApplicantInput(
        full_name=f"{surname} {middle} {given}",
        id_kind=IdKind.CCCD,
        id_number=cccd,
        birth_date=birth,
        phone=phone,
        email=f"congdan{rng.randint(1, 99999)}@example.vn" if rng.random() < 0.2 else "",
        street=rng.choice(STREETS),
        commune_code=commune[0],
        commune_name=commune[1],
        province_code=province[0],
        province_name=province[1],
    )


def _components(proc: Procedure, rng: random.Random) -> list[ReceivedComponent]:
    return [
        ReceivedComponent(
            c.key,
            c.display_name,
            c.originals,
            c.certified_copies,
            c.photocopies or (0 if (c.originals or c.certified_copies) else 1),
        )
        for c in proc.components
        if c.required or rng.random() < 0.5
    ]


def _working_moment(station: Station, day: dt.date, rng: random.Random) -> dt.datetime:
    tz = station.now().tzinfo
    minute = rng.randint(7 * 60 + 30, 16 * 60 + 45)
    if 11 * 60 + 30 <= minute < 13 * 60 + 30:
        minute += 120
    minute = min(minute, 16 * 60 + 50)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def _to_working_time(cal: WorkCalendar, when: dt.datetime) -> dt.datetime:
    """Move a planned moment into the unit's working hours (no events on holidays or at night)."""
    day, minutes = when.date(), when.hour * 60 + when.minute
    if not cal.is_working_day(day) or minutes >= 16 * 60 + 50:
        day = cal.next_working_day(day)
        minutes = 7 * 60 + 45 + when.minute
    elif minutes < 7 * 60 + 30:
        minutes = 7 * 60 + 30 + when.minute % 30
    elif 11 * 60 + 30 <= minutes < 13 * 60 + 30:
        minutes += 120
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, when.second), tzinfo=when.tzinfo)


def plan_history(
    rng: random.Random,
    received: dt.datetime,
    due: dt.datetime,
    now: dt.datetime,
    cal: WorkCalendar | None = None,
) -> list[tuple[EventKind, dt.datetime, dict[str, object]]]:
    """A plausible life for a dossier received at ``received`` as of ``now``."""
    steps: list[tuple[EventKind, dt.datetime, dict[str, object]]] = []
    span = max((due - received).total_seconds(), 3600.0)
    last = [received]

    def at(fraction: float) -> dt.datetime:
        when = received + dt.timedelta(seconds=span * fraction)
        if cal is not None:
            when = _to_working_time(cal, when)
        when = max(when, last[0] + dt.timedelta(minutes=1))
        last[0] = when
        return when

    progress = min((now - received).total_seconds() / span, 2.0)
    if progress <= 0.05:
        return steps
    transferred = at(0.05)
    if transferred > now:
        return steps
    steps.append((EventKind.TRANSFERRED, transferred, {"to": rng.choice(SECTIONS), "to_person": ""}))
    if rng.random() < 0.03:
        return steps  # stuck in processing: becomes overdue, as real offices have
    if rng.random() < 0.05 and progress > 0.3:
        steps.append(
            (
                EventKind.SUPPLEMENT_REQUESTED,
                at(0.3),
                {"missing": [{"name": "Bản sao giấy tờ tùy thân", "note": "Bản sao bị mờ"}], "note": ""},
            )
        )
        if progress < 0.8:
            return steps
        steps.append((EventKind.SUPPLEMENTED, at(0.6), {"due_at": due.isoformat(), "note": ""}))
    if rng.random() < 0.02:
        steps.append((EventKind.REFUSED, at(0.5), {"reason": "Hồ sơ không đủ điều kiện theo quy định."}))
        return steps
    late = rng.random() < 0.04
    done_at = at(1.3 if late else rng.uniform(0.4, 0.98))
    if done_at > now:
        return steps
    steps.append((EventKind.RESULT_READY, done_at, {"result": ""}))
    returned = at((done_at - received).total_seconds() / span + rng.uniform(0.05, 0.6))
    if returned < now and rng.random() < 0.92:
        steps.append(
            (EventKind.RETURNED, returned, {"method": "tai_quay", "tracking_number": "", "receiver": ""})
        )
    return steps


def generate(
    station: Station,
    count: int,
    actor: str = "demo",
    seed: int = 20261125,
    days: int | None = None,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Create ``count`` dossiers spread over the last ``days`` working days."""
    from desk_app.services.catalog import load_seed

    rng = random.Random(seed)
    with station.uow(write=False) as uow:
        procs = uow.procedures.all()
    if not procs:
        from desk_app.services.catalog import seed_catalog

        seed_catalog(station.db)
        procs = load_seed()
    weights = [8 if p.field in ("Hộ tịch", "Chứng thực") else 1 for p in procs]
    provinces = dict(geo.provinces())
    unit_province = station.unit.code.rsplit(".H", 1)[-1]  # the H-part of the agency id is the province
    province = (
        (unit_province, provinces[unit_province])
        if unit_province in provinces
        else next(iter(provinces.items()))
    )
    communes = geo.communes(province[0]) if province[0] else []
    cal = station.calendar
    now = station.now()
    if days is None:
        days = max(5, min(count // 40 + 1, 2500))
    working: list[dt.date] = []
    day = now.date()
    while len(working) < days:
        if cal.is_working_day(day):
            working.append(day)
        day -= dt.timedelta(days=1)
    working.reverse()
    intake = IntakeService(station)
    done = 0
    while done < count:
        n = min(batch, count - done)
        reqs: list[tuple[IntakeRequest, dt.datetime]] = []
        histories = []
        for i in range(n):
            index = done + i
            d = working[min(index * len(working) // count, len(working) - 1)]
            received = _working_moment(station, d, rng)
            if received > now:
                received = now - dt.timedelta(minutes=rng.randint(1, 120))
            proc = rng.choices(procs, weights)[0]
            post = rng.random() < 0.08
            req = IntakeRequest(
                procedure_code=proc.code,
                applicant=make_person(rng, now.date(), province, communes),
                components=_components(proc, rng),
                sets=1,
                channel=Channel.POST if post else Channel.DESK,
                return_method=ReturnMethod.POST if post else ReturnMethod.DESK,
                return_address="Bưu điện văn hóa xã" if post else "",
                copies=rng.randint(1, 3),
                pages=rng.randint(1, 6),
            )
            due = cal.due_at(received, proc.time)
            reqs.append((req, received))
            histories.append(plan_history(rng, received, due, now, cal))
        intake.receive_many(actor, reqs, histories=histories)
        done += n
        if progress:
            progress(done, count)
    return done


def ensure_demo(app: App, dossiers: int, quiet: bool = False) -> int:
    """Initialise a demo unit, accounts and catalogue if missing; add ``dossiers``."""
    from desk_app.services.catalog import seed_catalog

    if not app.station.is_initialised:
        app.station.set_unit(DEMO_UNIT)
    with app.station.uow(write=False) as uow:
        has_catalog = uow.procedures.count() > 0
    if not has_catalog:
        seed_catalog(app.db)
    existing = {a.username for a in app.accounts.list()}
    for username, name, password, role, counter in DEMO_ACCOUNTS:
        if username not in existing:
            app.accounts.create(username, name, password, role, counter)

    def progress(done: int, total: int) -> None:
        if not quiet and total >= 20_000:
            print(f"\r  {done:,}/{total:,} hồ sơ", end="", file=sys.stderr, flush=True)

    made = generate(app.station, dossiers, actor="canbo1", progress=progress) if dossiers else 0
    if not quiet and dossiers >= 20_000:
        print(file=sys.stderr)
    return made


def one_pc_office_queues(queue: QueueService) -> list[str]:
    """Demo on one PC: every counter serves every queue the kiosk offers.

    The migration's sample counters split the queues (counter 1 calls only A), which
    suits a real office with several desks; on the demo's single PC it left B, C and
    D tickets that no one could call while the kiosk told citizens they were next.
    Returns the queue codes now served. Idempotent.
    """
    config = queue.config()
    offered = sorted({service.queue_code for service in config.services})
    for counter in config.counters:
        if sorted(counter.queue_codes) != offered:
            queue.save_counter(counter.no, counter.name, offered)
    return offered
