"""The period picker: every offered key parses back to the period it names (property test)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from central.web.router import period_choices
from desk_app.reports.periods import parse_period


@given(st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_choice_key_parses_to_its_label(today: dt.date) -> None:
    choices = period_choices(today)
    assert [c.group for c in choices].count("Tháng") == 12 and len({c.key for c in choices}) == len(choices)
    for c in choices:
        period = parse_period(c.key)
        assert period.label == c.label
        assert period.first <= today  # the running period and the ones before it
    first = parse_period(choices[0].key)
    assert first.first <= today <= first.last  # the default is the running month
