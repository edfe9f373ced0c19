"""The sample forms in docs/forms are made by the real calendar, intake and workflow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.printing.conftest import pdf_text

RENDER = Path(__file__).parents[2] / "docs" / "forms" / "render.py"


def test_samples_come_from_intake_and_the_calendar(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("docs_forms_render", RENDER)
    assert spec is not None and spec.loader is not None
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    pdfs = render.build_samples(tmp_path / "work", month=False)
    receipt = " ".join(pdf_text(pdfs["receipt-mau01"], tmp_path).split())
    # Friday 20/11/2026 08:15 + 3 working days, the weekend and the 24/11 holiday skipped.
    assert "4. Thời gian nhận hồ sơ: 08 giờ 15 phút, ngày 20/11/2026" in receipt
    assert "5. Thời gian trả kết quả giải quyết hồ sơ: 08 giờ 15 phút, ngày 26/11/2026" in receipt
    assert "Liên 1: Lưu" in receipt
    apology = " ".join(pdf_text(pdfs["apology-mau04"], tmp_path).split())
    assert "thời gian trả kết quả mới là 17 giờ 00 phút, ngày 30/11/2026" in apology
