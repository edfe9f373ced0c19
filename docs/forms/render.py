"""Regenerate the sample PNGs in this folder: python docs/forms/render.py (needs pdftoppm).

The samples are made the way the counter makes them: a real station database, the
shipped catalogue, the real working calendar (holidays, government decisions) and
the intake and workflow services, under a fixed clock. No date on a sample is typed
by hand: the receipt of a dossier received on Friday 20/11/2026 shows the appointment
the calendar gives (the weekend and the 24/11 holiday skipped).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from desk_app.bootstrap import App, open_station  # noqa: E402
from desk_app.domain.lifecycle import EventKind  # noqa: E402
from desk_app.domain.model import ReceivedComponent, Role, Unit, UnitLevel  # noqa: E402
from desk_app.services.catalog import seed_catalog  # noqa: E402
from desk_app.services.intake import ApplicantInput, IntakeRequest  # noqa: E402
from desk_app.workcalendar import VN_TZ  # noqa: E402
from printing.printouts import render_dossier_form, render_logbook_range  # noqa: E402

UNIT = Unit(
    code="000.21.31.H56",
    name="Ủy ban nhân dân phường Nha Trang",
    level=UnitLevel.PHUONG,
    parent_name="Ủy ban nhân dân tỉnh Khánh Hòa",
    place="Nha Trang",
    address="01 Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
    phone="0258 3822 000",
    lookup_base_url="https://dichvucong.khanhhoa.gov.vn/tra-cuu?ma=",
)
MARRIAGE_STATUS = "1.004873.000.00.00.H12"  # Xác nhận tình trạng hôn nhân, 3 working days
COPY = "2.000815.000.00.00.H12"  # Chứng thực bản sao từ bản chính, same day (hard 15:00 rule)
NAMES = ("Nguyễn Thị Hồng Nhung", "Tôn Nữ Thị Phương Thảo", "Trần Văn Bình", "Lê Minh Tâm")


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, *args: int) -> None:
        self.now = dt.datetime(*args, tzinfo=VN_TZ)  # type: ignore[misc]


def applicant(i: int) -> ApplicantInput:
    return ApplicantInput(
        full_name=NAMES[i % len(NAMES)],
        id_number=f"05630100{1000 + i:04d}",
        phone="0905123456",
        street=f"{i + 3} Lê Thánh Tôn, tổ dân phố {i % 9 + 1}",
        commune_name="Phường Nha Trang",
        province_name="Tỉnh Khánh Hòa",
    )


def marriage_status_request(i: int) -> IntakeRequest:
    return IntakeRequest(
        procedure_code=MARRIAGE_STATUS,
        applicant=applicant(i),
        components=[
            ReceivedComponent("to_khai", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân", originals=1),
            ReceivedComponent("giay_to_tuy_than", "Căn cước công dân", photocopies=1),
        ],
    )


def open_sample_station(workdir: Path, clock: Clock) -> App:
    app = open_station(workdir / "station.sqlite3", clock=clock)
    app.station.set_unit(UNIT)
    seed_catalog(app.db)
    app.accounts.create("tran.an", "Trần Văn An", "mat-khau-mau", Role.OFFICER, 1)
    return app


def build_samples(workdir: Path, month: bool = True) -> dict[str, bytes]:
    """PDFs of the sample forms, made through intake and workflow under a fixed clock.

    ``month`` False skips the month of receipts behind the logbook (quicker, for tests).
    """
    clock = Clock(dt.datetime(2026, 11, 2, 7, 40, tzinfo=VN_TZ))
    app = open_sample_station(workdir, clock)
    try:
        # A month of receipts for the logbook: only on the calendar's working days.
        cal = app.station.calendar
        day = dt.date(2026, 11, 2)
        i = 0
        received: list[tuple[str, dt.date]] = []
        section = "Công chức Tư pháp - Hộ tịch"
        while month and day < dt.date(2026, 11, 20):
            if cal.is_working_day(day):
                for k in range(3):
                    clock.set(day.year, day.month, day.day, 8 + 2 * k, 5 + 7 * k)
                    code = app.intake.receive("tran.an", marriage_status_request(i)).code
                    app.workflow.act("tran.an", code, EventKind.TRANSFERRED, to=section)
                    received.append((code, day))
                    i += 1
            day += dt.timedelta(days=1)
        # Most are settled on time, a few late, the last ones still open.
        for n, (code, got) in enumerate(received[:-4]):
            ready = cal.add_working_days(got, 2 if n % 5 else 4)
            clock.set(ready.year, ready.month, ready.day, 15, 30)
            app.workflow.act("tran.an", code, EventKind.RESULT_READY)
            back = cal.next_working_day(ready)
            clock.set(back.year, back.month, back.day, 9, 10)
            app.workflow.act("tran.an", code, EventKind.RETURNED, method="tai_quay")

        # The sample dossier: Friday 20/11/2026 08:15.
        clock.set(2026, 11, 20, 8, 15)
        code = app.intake.receive("tran.an", marriage_status_request(0)).code
        out = {"receipt-mau01": render_dossier_form(app, "receipt", code)}
        clock.set(2026, 11, 20, 10, 15)
        app.workflow.act(
            "tran.an", code, EventKind.TRANSFERRED, to="Công chức Tư pháp - Hộ tịch", to_person="Lê Văn Bình"
        )
        # Wednesday 25/11: due the next working day, not ready -> apology with a new date.
        clock.set(2026, 11, 25, 14, 0)
        app.workflow.act(
            "tran.an",
            code,
            EventKind.EXTENDED,
            due_at=app.station.calendar.add_working_days(dt.date(2026, 11, 25), 3),
            reason="Cần xác minh tình trạng hôn nhân tại nơi cư trú trước đây",
        )
        out["apology-mau04"] = render_dossier_form(app, "apology", code)
        clock.set(2026, 11, 27, 9, 30)
        app.workflow.act("tran.an", code, EventKind.RESULT_READY)
        clock.set(2026, 11, 30, 8, 0)
        app.workflow.act("tran.an", code, EventKind.RETURNED, method="tai_quay")
        out["control-mau06"] = render_dossier_form(app, "control", code)

        # A copy certification missing papers, with a reason for each: Mẫu 02 at intake.
        clock.set(2026, 11, 20, 9, 40)
        req = IntakeRequest(
            procedure_code=COPY,
            applicant=applicant(2),
            incomplete_action="supplement",
            missing=[
                {
                    "name": "Bản chính giấy tờ cần chứng thực",
                    "note": "chỉ mang bản photo, cần bản chính để đối chiếu",
                },
                {"name": "Căn cước công dân", "note": "thẻ đã hết hạn sử dụng"},
            ],
        )
        supplement_code = app.intake.receive("tran.an", req).code
        out["supplement-mau02"] = render_dossier_form(app, "supplement", supplement_code)
        clock.set(2026, 11, 30, 16, 0)
        out["logbook-mau07"] = render_logbook_range(app, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        return out
    finally:
        app.close()


def png(pdf: bytes, name: str, dpi: int = 110, page: int = 1) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "f.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(dpi),
                "-png",
                "-singlefile",
                "-f",
                str(page),
                "-l",
                str(page),
                str(src),
                str(HERE / name),
            ],
            check=True,
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pdfs = build_samples(Path(tmp))
    for name, pdf in pdfs.items():
        if name.startswith("logbook"):
            png(pdf, name + "-page1", dpi=90)
        else:
            png(pdf, name)


if __name__ == "__main__":
    main()
