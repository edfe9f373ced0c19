"""Sample unit / procedure / dossier / events for the printing tests."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from desk_app.domain.lifecycle import DossierEvent, EventKind, Status
from desk_app.domain.model import (
    Address,
    Applicant,
    Channel,
    Component,
    Dossier,
    FeeKind,
    FeeRule,
    FormSet,
    Procedure,
    ProcessingTime,
    ReceivedComponent,
    ReturnMethod,
    Unit,
    UnitLevel,
)
from desk_app.workcalendar import WorkCalendar
from printing.context import FormContext

VN = dt.timezone(dt.timedelta(hours=7))
CODE = "000.21.31.H56-261120-0007"
# The sample dossier goes through the real working calendar: received on Friday
# 20/11/2026 08:15 (a working day), 2 working days -> Wednesday 25/11/2026 08:15
# (the weekend and the 24/11 holiday are skipped).
RECEIVED = dt.datetime(2026, 11, 20, 8, 15, tzinfo=VN)
DUE = WorkCalendar().due_at(RECEIVED, ProcessingTime.working_days(2))


def make_unit(form_set: FormSet = FormSet.TT03_2025) -> Unit:
    return Unit(
        code="000.21.31.H56",
        name="Ủy ban nhân dân phường Nha Trang",
        level=UnitLevel.PHUONG,
        form_set=form_set,
        parent_name="Ủy ban nhân dân tỉnh Khánh Hòa",
        place="Nha Trang",
        address="01 Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
        phone="02583822000",
        lookup_base_url="https://dichvucong.khanhhoa.gov.vn/tra-cuu?ma=",
    )


def make_procedure() -> Procedure:
    return Procedure(
        code="1.001193.000.00.00.H56",
        name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        field="Chứng thực",
        time=ProcessingTime.working_days(2),
        fee=FeeRule(FeeKind.PER_PAGE, amount=2000, later_amount=1000, later_from=3, cap=200_000),
        result="Bản sao được chứng thực",
        components=(
            Component("ban_chinh", "Bản chính giấy tờ, văn bản", originals=1),
            Component("ban_sao", "Bản sao cần chứng thực", photocopies=2),
        ),
        lead_agency="Phòng Văn hóa - Xã hội phường Nha Trang",
    )


def make_applicant(name: str = "Nguyễn Thị Hồng Nhung", street: str = "12 Lê Thánh Tôn") -> Applicant:
    return Applicant(
        id="a1",
        full_name=name,
        id_number="056301001234",
        birth_date=dt.date(2001, 5, 17),
        phone="0905123456",
        email="nhung.nguyen@example.vn",
        address=Address(street=street, commune_name="phường Nha Trang", province_name="tỉnh Khánh Hòa"),
    )


def make_dossier(
    code: str = CODE,
    applicant: Applicant | None = None,
    received: dt.datetime | None = None,
    due: dt.datetime | None = None,
    status: str = Status.RECEIVED.value,
    n: int = 7,
) -> Dossier:
    received = received or RECEIVED
    due = due or WorkCalendar().due_at(received, ProcessingTime.working_days(2))
    return Dossier(
        id=f"d-{code}",
        code=code,
        unit_code="000.21.31.H56",
        procedure_code="1.001193.000.00.00.H56",
        procedure_name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        field="Chứng thực",
        applicant=applicant or make_applicant(),
        channel=Channel.DESK,
        return_method=ReturnMethod.DESK,
        received_at=received,
        due_at=due,
        status=status,
        components=(
            ReceivedComponent("ban_chinh", "Bản chính giấy tờ, văn bản", originals=1),
            ReceivedComponent("ban_sao", "Bản sao cần chứng thực", photocopies=2),
            ReceivedComponent("cccd", "Căn cước công dân của người yêu cầu chứng thực", certified_copies=1),
        ),
        sets=1,
        fee=6000,
        officer="tran.an",
        logbook_volume="03/2026",
        logbook_number=n,
    )


def ev(
    kind: EventKind, at: dt.datetime, actor: str, payload: dict[str, object] | None = None, i: int = 0
) -> DossierEvent:
    return DossierEvent(
        id=f"e{i}",
        dossier_id=f"d-{CODE}",
        kind=kind,
        at=at,
        actor=actor,
        device_id="pc1",
        hlc=f"{at.isoformat()}-{i:04d}",
        payload=payload or {},
    )


def make_events() -> list[DossierEvent]:
    t = RECEIVED
    day = dt.timedelta(days=1)
    return [
        ev(EventKind.RECEIVED, t, "tran.an", {"due_at": DUE.isoformat()}, 1),
        ev(
            EventKind.TRANSFERRED,
            t + dt.timedelta(hours=2),
            "tran.an",
            {"to": "Phòng Văn hóa - Xã hội", "to_person": "Lê Văn Bình"},
            2,
        ),
        ev(
            EventKind.SUPPLEMENT_REQUESTED,
            t + dt.timedelta(hours=3),
            "le.binh",
            {
                "missing": [
                    {"name": "Bản chính Giấy khai sinh", "note": "để đối chiếu"},
                    {"name": "Tờ khai có chữ ký của người yêu cầu", "note": ""},
                ],
                "note": "Bổ sung trong 05 ngày làm việc",
            },
            3,
        ),
        ev(  # Monday 23/11 15:00: due on Wednesday, the next working day -> at risk
            EventKind.EXTENDED,
            t + 3 * day + dt.timedelta(hours=6, minutes=45),
            "le.binh",
            {
                "due_at": "2026-11-27T16:00:00+07:00",
                "previous_due_at": DUE.isoformat(),
                "reason": "Cần xác minh thông tin với cơ quan cấp giấy tờ",
            },
            4,
        ),
        ev(EventKind.RESULT_READY, t + 6 * day, "le.binh", {"result": "Bản sao chứng thực"}, 5),
        ev(
            EventKind.RETURNED,
            t + 7 * day,
            "tran.an",
            {"method": "tai_quay", "tracking_number": "", "receiver": "Nguyễn Thị Hồng Nhung"},
            6,
        ),
    ]


OFFICERS = {"tran.an": "Trần Văn An", "le.binh": "Lê Văn Bình"}


def make_ctx(form_set: FormSet = FormSet.TT03_2025, **kw: object) -> FormContext:
    params: dict[str, object] = {
        "unit": make_unit(form_set),
        "dossier": make_dossier(),
        "procedure": make_procedure(),
        "events": make_events(),
        "officer_names": OFFICERS,
        "printed_at": RECEIVED + dt.timedelta(minutes=5),
    }
    params.update(kw)
    return FormContext(**params)  # type: ignore[arg-type]


@pytest.fixture
def ctx() -> FormContext:
    return make_ctx()


def pdf_text(pdf: bytes, tmp_path: Path, layout: bool = False) -> str:
    """Text of the PDF via poppler's pdftotext (UTF-8)."""
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(src), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_images(
    pdf: bytes, tmp_path: Path, dpi: int = 200, first: int = 1, last: int = 1
) -> list[Image.Image]:
    src = tmp_path / "img.pdf"
    src.write_bytes(pdf)
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(first), "-l", str(last), str(src), str(prefix)],
        check=True,
    )
    return [Image.open(p) for p in sorted(tmp_path.glob("page*.png"))]


@pytest.fixture
def render_text(tmp_path: Path) -> Callable[[bytes], str]:
    return lambda pdf: pdf_text(pdf, tmp_path)
