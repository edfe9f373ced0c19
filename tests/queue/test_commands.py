"""One typed command per write action, one table, one rule each (``desk_app.queue.api``)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from desk_app.queue import api
from desk_app.queue.api import COMMANDS, CallNext, QueueApi, Transfer, decode_command
from desk_app.queue.service import _HANDLERS, QueueService


def test_every_command_has_exactly_one_rule_whose_parameters_are_its_fields() -> None:
    assert set(_HANDLERS) == set(COMMANDS.values())
    for cls, rule in _HANDLERS.items():
        params = list(inspect.signature(rule).parameters)[2:]  # self, uow
        assert params == [f.name for f in dataclasses.fields(cls)], cls.__name__


def test_every_command_has_its_typed_wrapper_on_the_api() -> None:
    for name, cls in COMMANDS.items():
        wrapper = getattr(QueueApi, name)
        assert list(inspect.signature(wrapper).parameters)[1:] == [f.name for f in dataclasses.fields(cls)], (
            name
        )


def test_commands_decode_from_json_with_types_checked() -> None:
    assert decode_command("call_next", {"counter_no": 2, "officer": "an"}) == CallNext(2, "an")
    assert decode_command("transfer", {"ticket_id": "t", "counter_no": 1, "to_counter": 3}) == Transfer(
        "t", 1, "", None, 3
    )
    with pytest.raises(KeyError):
        decode_command("drop_table", {})
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        decode_command("call_next", {"officer": "an"})  # counter_no missing


def test_a_command_runs_the_same_in_process_and_in_a_group(service: QueueService) -> None:
    t = service.confirm_printed(service.reserve_ticket("ho_tich").id)
    called = service.execute(api.CallNext(1, "an"))
    assert called is not None and called.id == t.id
    [finished] = service.run_group([service.action(api.Start(t.id, 1, "an"))])
    assert finished.state == "serving"
