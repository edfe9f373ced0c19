"""The after-15:00 rule comes from the procedure; the officer chooses for a conditional one."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from desk_app.domain.model import CutoffRule
from desk_app.workcalendar import VN_TZ
from tests.helpers.fakes import BIRTH_CODE, birth_request, sample_procedures

TODAY_17 = dt.datetime(2026, 11, 25, 17, 0, tzinfo=VN_TZ)
NEXT_17 = dt.datetime(2026, 11, 26, 17, 0, tzinfo=VN_TZ)


def _with_rule(app: Any, rule: CutoffRule) -> None:
    birth = next(p for p in sample_procedures() if p.code == BIRTH_CODE)
    with app.station.uow() as uow:
        uow.procedures.upsert_many([replace(birth, cutoff=rule)], "2026-11-25T08:00:00+07:00")
        uow.commit()


@pytest.mark.parametrize(
    ("rule", "return_today", "due", "offered"),
    [
        (CutoffRule.HARD, True, NEXT_17, False),  # chứng thực-like: the choice is ignored
        (CutoffRule.HARD, False, NEXT_17, False),
        (CutoffRule.CONDITIONAL, True, TODAY_17, True),  # hộ tịch: "trả ngay"
        (CutoffRule.CONDITIONAL, False, NEXT_17, True),
        (CutoffRule.NONE, False, TODAY_17, False),
    ],
)
def test_rule_and_choice_after_15h(  # type: ignore[no-untyped-def]
    app, clock, rule: CutoffRule, return_today: bool, due: dt.datetime, offered: bool
) -> None:
    _with_rule(app, rule)
    clock.set(dt.datetime(2026, 11, 25, 15, 20))
    with app.station.uow(write=False) as uow:
        proc = uow.procedures.get(BIRTH_CODE)
    assert proc is not None and proc.cutoff is rule  # stored and read back
    assert app.intake.offers_return_today(proc) is offered
    assert app.intake.preview_due(proc, return_today=return_today) == due
    dossier = app.intake.receive("canbo1", birth_request(return_today=return_today))
    assert dossier.due_at == due
    assert dossier.extra.get("return_today", False) is (rule is CutoffRule.CONDITIONAL and return_today)


def test_choice_not_offered_before_15h(app, clock) -> None:  # type: ignore[no-untyped-def]
    _with_rule(app, CutoffRule.CONDITIONAL)
    clock.set(dt.datetime(2026, 11, 25, 14, 0))
    with app.station.uow(write=False) as uow:
        proc = uow.procedures.get(BIRTH_CODE)
    assert proc is not None and not app.intake.offers_return_today(proc)
    assert "Thời hạn: Trong ngày làm việc" in app.intake.explain_due(proc)
