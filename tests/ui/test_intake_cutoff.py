"""Intake form: the conditional 15:00 choice ("trả ngay") and the core's explanation."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desk_app.domain.model import CutoffRule
from tests.helpers.fakes import BIRTH_CODE, sample_procedures
from tests.ui.conftest import login, open_window
from tests.ui.keys import press, type_text

pytestmark = pytest.mark.gui


def test_conditional_cutoff_choice_at_intake(qtbot: Any, app: Any, clock: Any, printed: Any) -> None:  # noqa: ARG001
    birth = next(p for p in sample_procedures() if p.code == BIRTH_CODE)
    with app.station.uow() as uow:
        uow.procedures.upsert_many(
            [replace(birth, cutoff=CutoffRule.CONDITIONAL)], "2026-11-25T08:00:00+07:00"
        )
        uow.commit()
    clock.set(dt.datetime(2026, 11, 25, 15, 20))
    dialog = login(qtbot, app, "canbo1", "canbo123")
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5000)
    window = open_window(qtbot, app, dialog.account)
    try:
        form = window.intake
        type_text(form.proc_search, "khai sinh")
        press(form.proc_search, Qt.Key.Key_Return)
        assert form.procedure.code == BIRTH_CODE
        assert form.return_today.isVisible() and not form.return_today.isChecked()
        assert form.appointment.text() == "17:00 Thứ Năm, 26/11/2026"
        assert "Tiếp nhận sau 15:00: hẹn trả vào ngày làm việc tiếp theo." in form.appointment_why.text()
        form.return_today.setChecked(True)
        assert form.appointment.text() == "17:00 Thứ Tư, 25/11/2026"
        assert "trả trong ngày" in form.appointment_why.text()
        assert form.build_request().return_today is True
    finally:
        window.shutdown()
