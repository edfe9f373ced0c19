"""The periodic report as PDF (text extracted with pypdf) and ``motcua report`` end to end."""

from __future__ import annotations

import io
import json
import unicodedata

import openpyxl
import pypdf

from desk_app.cli import main
from desk_app.reports.indicators import Tally
from printing.reports import render_periodic_pdf
from tests.reports.test_excel import report


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())  # wrapped header cells: one space


def test_pdf_has_the_title_numbers_charts_and_indicators() -> None:
    hotich = Tally(
        received_online=2,
        received_direct=1234,
        carried_over=3,
        early=600,
        on_time=500,
        late=7,
        in_time=100,
        overdue=32,
    )
    data = render_periodic_pdf(
        report([("Hộ tịch", hotich), ("=cmd|' /C calc'!A0", Tally(received_direct=1))])
    )
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Kỳ báo cáo: Tháng 11/2026",
        "Hộ tịch",
        "1.239",  # received total of the field (2 + 1234 + 3), Vietnamese thousands separator
        "1.107",  # resolved
        "Từ kỳ trước chuyển qua",
        "Tổng cộng",
        "Hồ sơ đã giải quyết theo lĩnh vực",
        "Tỷ lệ giải quyết đúng hạn theo tháng",
        "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
        "chưa có dữ liệu",
        "THỦ TRƯỞNG ĐƠN VỊ",
        "=cmd|' /C calc'!A0",  # user text printed as it is
    ):
        assert expected in text, expected


def test_report_commands(capsys, history_app, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import desk_app.bootstrap as bootstrap

    real_open = bootstrap.open_station
    clock = history_app.station.clock
    db = str(history_app.db.path)
    history_app.close()
    monkeypatch.setattr(bootstrap, "open_station", lambda path: real_open(path, clock=clock))

    def run(*argv: str) -> tuple[int, str, str]:
        # As the launcher assembles it: printing.reports injects the PDF renderer.
        code = main(list(argv), extra_commands=("printing.reports",))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("report", "periodic", "--db", db, "--period", "2026-11")
    assert code == 0 and "Hộ tịch" in out and "Tổng cộng" in out and "Tháng 11/2026" in out
    code, out, _ = run(
        "report", "summary", "--db", db, "--from", "2026-10-01", "--to", "2026-11-25", "--format", "json"
    )
    summary = json.loads(out)
    assert summary["queue"]["issued"] == 2
    assert code == 0 and summary["period"]["from"] == "2026-10-01" and len(summary["by_month"]) == 2
    total = summary["total"]
    assert total["received_total"] == total["resolved"] + total["in_progress"] + total["dropped"]
    code, out, _ = run("report", "indicators", "--db", db, "--period", "2026-Q4", "--field", "Hộ tịch")
    assert code == 0 and "2.1" in out and "chưa có dữ liệu" in out and "Lọc theo: lĩnh vực Hộ tịch" in out
    xlsx, pdf = tmp_path / "bc.xlsx", tmp_path / "bc.pdf"
    assert (
        run("report", "periodic", "--db", db, "--period", "2026-11", "--format", "xlsx", "--out", str(xlsx))[
            0
        ]
        == 0
    )
    ws = openpyxl.load_workbook(xlsx)["Báo cáo TTHC"]
    assert ws["A5"].value.startswith("Kỳ báo cáo: Tháng 11/2026")
    assert (
        run("report", "periodic", "--db", db, "--period", "2026-11", "--format", "pdf", "--out", str(pdf))[0]
        == 0
    )
    assert "Tháng 11/2026" in pdf_text(pdf.read_bytes())
    code, _, err = run("report")
    assert code == 2 and "summary" in err and "periodic" in err  # the help, on stderr
    code, _, err = run("report", "summary", "--db", db, "--period", "tháng 11")
    assert code == 1 and "Kỳ báo cáo “tháng 11” không hợp lệ" in err and "Traceback" not in err
    code, _, err = run("report", "summary", "--db", db, "--from", "2026-11-01")
    assert code == 1 and "Cần cả --from và --to" in err
    code, _, err = run("report", "periodic", "--db", db, "--format", "xlsx")
    assert code == 1 and "--out" in err
    code, _, err = run(
        "report", "periodic", "--db", db, "--format", "xlsx", "--out", str(tmp_path / "no" / "x.xlsx")
    )
    assert code == 1 and "Không ghi được tệp" in err


def test_preview_command(capsys, history_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import desk_app.bootstrap as bootstrap
    from desk_app.services.queries import DossierFilter

    code = history_app.queries.page(DossierFilter(search="Nguyễn Văn Dũng"), limit=2)[-1].code
    real_open = bootstrap.open_station
    clock = history_app.station.clock
    db = str(history_app.db.path)
    history_app.close()
    monkeypatch.setattr(bootstrap, "open_station", lambda path: real_open(path, clock=clock))
    assert main(["report", "preview", "--db", db, code]) == 0
    out = capsys.readouterr().out
    assert "[2.1] Hồ sơ đã bị yêu cầu bổ sung 2 lần" in out and "→" in out
    assert main(["report", "preview", "--db", db]) == 0
    everything = capsys.readouterr().out
    assert f"{code} [2.1] Hồ sơ đã bị yêu cầu bổ sung 2 lần" in everything and "[4.2]" in everything
