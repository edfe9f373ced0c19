"""The intake form records the citizen's consent and channel for notices (issue 15, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from desk_app.notices.rules import CHANNEL_LABELS

pytestmark = pytest.mark.gui


def test_notify_channel_goes_into_the_request_and_is_cleared(window: Any, qtbot: Any, app: Any) -> None:  # noqa: ARG001
    form = window.intake
    combo = form.notify_channel
    assert [combo.itemText(i) for i in range(combo.count())] == list(CHANNEL_LABELS.values())
    assert form.build_request().notify_channel == ""  # no consent unless the citizen agrees
    combo.setCurrentIndex(combo.findData("zalo"))
    assert form.build_request().notify_channel == "zalo"
    form.clear()
    assert combo.currentData() == ""
