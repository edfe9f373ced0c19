"""What the models ask of every form: the body's name, the legal basis in force, Mẫu 04."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import printing
from desk_app.domain.errors import DomainError
from desk_app.domain.model import FormSet
from tests.printing.conftest import VN, make_ctx, make_unit, pdf_text

FORMS = ("receipt", "supplement", "refusal", "apology", "stop", "control")


@pytest.mark.parametrize("form", FORMS)
def test_a_2026_document_in_the_legacy_layout_does_not_cite_tt01_2018(form: str, tmp_path: Path) -> None:
    text = " ".join(pdf_text(printing.render_form(form, make_ctx(FormSet.TT01_2018)), tmp_path).split())
    assert "01/2018" not in text
    assert "Mẫu số" not in text


def test_the_legacy_layout_keeps_its_basis_for_old_documents(tmp_path: Path) -> None:
    old = make_ctx(FormSet.TT01_2018, printed_at=dt.datetime(2025, 9, 14, 9, 0, tzinfo=VN))
    text = " ".join(pdf_text(printing.render_form("receipt", old), tmp_path).split())
    assert "Mẫu số 01 ban hành kèm theo Thông tư số 01/2018/TT-VPCP" in text


def test_forms_name_the_units_own_body(tmp_path: Path) -> None:
    from dataclasses import replace

    unit = replace(make_unit(), body_name="Bộ phận Một cửa phường Nha Trang")
    for form in FORMS:
        text = " ".join(pdf_text(printing.render_form(form, make_ctx(unit=unit)), tmp_path).split())
        assert "BỘ PHẬN MỘT CỬA PHƯỜNG NHA TRANG" in text, form
        assert "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" not in text.upper(), form


def test_apology_without_an_extension_or_with_the_same_date_is_refused() -> None:
    with pytest.raises(DomainError, match="Chưa có đề nghị gia hạn"):
        printing.render_form("apology", make_ctx(events=[]))
    same = make_ctx(events=[], new_due_at=make_ctx().dossier.due_at)
    with pytest.raises(DomainError, match="phải sau thời hạn cũ"):
        printing.render_form("apology", same)


def test_apology_title_as_the_model_lists_it(tmp_path: Path) -> None:
    text = " ".join(pdf_text(printing.render_form("apology", make_ctx()), tmp_path).split())
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert "GIẢI QUYẾT HỒ SƠ Kính gửi" not in text  # no trailing "hồ sơ" in the title
