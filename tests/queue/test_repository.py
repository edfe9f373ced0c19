"""The ticket repository inside the unit of work: rows in, plain ``Ticket`` records out."""

from __future__ import annotations

import pytest

from desk_app.domain.queue import InvalidTicketAction, QueueError, TicketNotFound, TicketState
from desk_app.queue.service import QueueService
from desk_app.store.db import Database
from desk_app.store.uow import UnitOfWork


def test_tickets_are_read_and_updated_through_the_unit_of_work(qdb: Database, service: QueueService) -> None:
    issued = service.confirm_printed(service.reserve_ticket("ho_tich").id)
    with UnitOfWork(qdb) as uow:
        assert uow.tickets.get(issued.id) == issued
        assert uow.tickets.settings()["priority_mode"] == "strict"
        counter = uow.tickets.counter(1)
        assert [t.id for t in uow.tickets.heads(issued.day, counter)] == [issued.id]
        called = uow.tickets.update(issued, [TicketState.WAITING], state=TicketState.CALLED, counter_no=1)
        assert called.state == TicketState.CALLED
        with pytest.raises(InvalidTicketAction, match="vừa được thay đổi"):
            uow.tickets.update(issued, [TicketState.WAITING], state=TicketState.CALLED)  # guarded
        with pytest.raises(TicketNotFound):
            uow.tickets.get("khong-co")
        with pytest.raises(QueueError, match="Quầy số 99"):
            uow.tickets.counter(99)
        # no commit: rolled back
    assert service.ticket(issued.id).state == TicketState.WAITING
