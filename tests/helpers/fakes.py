"""Test doubles shared across the suite: a settable clock and a small catalogue."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from desk_app.domain.model import (
    Component,
    FeeKind,
    FeeRule,
    IdKind,
    Procedure,
    ProcessingTime,
    ReceivedComponent,
)
from desk_app.services.intake import ApplicantInput, IntakeRequest
from desk_app.workcalendar import VN_TZ

BIRTH_CODE = "1.001193.000.00.00.H56"
COPY_CODE = "2.000815.000.00.00.H56"
MARRIAGE_STATUS_CODE = "1.004873.000.00.00.H56"


class FakeClock:
    """Callable clock the tests move by hand."""

    def __init__(self, start: dt.datetime):
        self.current = start if start.tzinfo else start.replace(tzinfo=VN_TZ)

    def __call__(self) -> dt.datetime:
        return self.current

    def set(self, when: dt.datetime) -> None:
        self.current = when if when.tzinfo else when.replace(tzinfo=VN_TZ)

    def advance(self, **kwargs: float) -> None:
        self.current += dt.timedelta(**kwargs)


def sample_procedures() -> list[Procedure]:
    identity = Component(
        "giay_to_tuy_than", "Căn cước công dân", originals=0, photocopies=1, alternatives=("Hộ chiếu",)
    )
    return [
        Procedure(
            code=BIRTH_CODE,
            name="Đăng ký khai sinh",
            field="Hộ tịch",
            time=ProcessingTime.same_day(),
            result="Giấy khai sinh (bản chính)",
            components=(
                Component("to_khai", "Tờ khai đăng ký khai sinh", originals=1),
                Component(
                    "giay_chung_sinh",
                    "Giấy chứng sinh",
                    originals=1,
                    alternatives=("Văn bản của người làm chứng xác nhận về việc sinh",),
                ),
                identity,
            ),
            lead_agency="UBND xã",
        ),
        Procedure(
            code=COPY_CODE,
            name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
            field="Chứng thực",
            time=ProcessingTime.same_day(),
            fee=FeeRule(FeeKind.PER_PAGE, amount=2000, later_amount=1000, later_from=3, cap=200_000),
            components=(Component("ban_chinh", "Bản chính giấy tờ cần chứng thực", originals=1),),
        ),
        Procedure(
            code=MARRIAGE_STATUS_CODE,
            name="Xác nhận tình trạng hôn nhân",
            field="Hộ tịch",
            time=ProcessingTime.working_days(3),
            components=(
                Component("to_khai", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", originals=1),
                identity,
            ),
        ),
    ]


def birth_request(**overrides: object) -> IntakeRequest:
    applicant = ApplicantInput(
        full_name="Nguyễn Văn Dũng",
        id_kind=IdKind.CCCD,
        id_number="056090001234",
        birth_date=dt.date(1990, 5, 17),
        phone="0905123456",
        street="Thôn Văn Đăng",
        commune_name="Xã Vĩnh Lương",
        province_name="Tỉnh Khánh Hòa",
    )
    req = IntakeRequest(
        procedure_code=BIRTH_CODE,
        applicant=applicant,
        components=[
            ReceivedComponent("to_khai", "Tờ khai đăng ký khai sinh", originals=1),
            ReceivedComponent("giay_chung_sinh", "Giấy chứng sinh", originals=1),
            ReceivedComponent("giay_to_tuy_than", "Căn cước công dân", photocopies=1),
        ],
    )
    for key, value in overrides.items():
        setattr(req, key, value)
    return req


def child_pythonpath(root: Path) -> str:
    """PYTHONPATH for a child process: the repository first, then whatever the
    parent had (the faketime pass puts its sleep fix there, see tests/faketime)."""
    return os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])
