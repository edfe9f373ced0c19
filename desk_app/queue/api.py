"""The queue's API: one typed command per write action, one table, one base class.

Every write action of the queue (issue, call, recall, …) is a frozen dataclass
here, listed once in ``COMMANDS``. The three ways to reach the queue share it:

* ``QueueService`` (this station's database) runs a command with the rule method
  registered for it (``service.handles``), alone or in a group commit;
* ``LocalQueueClient`` hands commands to the service in-process;
* the LAN ``QueueClient`` posts ``{"name": …, fields…}`` to the host's one route
  ``POST /commands/{name}``, and ``queue/host.py`` decodes it with the same table
  (pydantic validates the fields from the dataclass).

``QueueApi`` is what kiosks, counters and displays use: the named methods
(``call_next(…)``) are thin typed wrappers over ``execute(command)``, written once
here for all three; the reads (status, ticket, …) are abstract. Adding an action:
its rule in ``service.py`` (``@handles(NewCommand)``), one command class below
(plus its wrapper), and its test.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from desk_app.queue.models import CallRecord, QueueConfig, QueueEvent, QueueStatus, Ticket

R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class Command(Generic[R]):
    """A write action of the queue; ``R`` is what running it returns."""

    name: ClassVar[str]

    def arguments(self) -> dict[str, Any]:
        """The fields by name (shallow): the rule method's keyword arguments and the JSON body."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class ReserveTicket(Command[Ticket]):
    """Phase 1 of issuing: the next number of the day, ``printing`` (not queued)."""

    name: ClassVar[str] = "reserve_ticket"
    service_id: str
    priority_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class ConfirmPrinted(Command[Ticket]):
    """Phase 2: the paper is out, the ticket joins the queue."""

    name: ClassVar[str] = "confirm_printed"
    ticket_id: str


@dataclasses.dataclass(frozen=True)
class MarkPrintFailed(Command[Ticket]):
    name: ClassVar[str] = "mark_print_failed"
    ticket_id: str
    error: str


@dataclasses.dataclass(frozen=True)
class BeginReprint(Command[Ticket]):
    name: ClassVar[str] = "begin_reprint"
    ticket_id: str


@dataclasses.dataclass(frozen=True)
class CallNext(Command["Ticket | None"]):
    name: ClassVar[str] = "call_next"
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class Recall(Command[Ticket]):
    name: ClassVar[str] = "recall"
    ticket_id: str
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class NoShow(Command[Ticket]):
    name: ClassVar[str] = "no_show"
    ticket_id: str
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class Transfer(Command[Ticket]):
    name: ClassVar[str] = "transfer"
    ticket_id: str
    counter_no: int
    officer: str = ""
    to_queue: str | None = None
    to_counter: int | None = None


@dataclasses.dataclass(frozen=True)
class Start(Command[Ticket]):
    name: ClassVar[str] = "start"
    ticket_id: str
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class Finish(Command[Ticket]):
    name: ClassVar[str] = "finish"
    ticket_id: str
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class WalkIn(Command[Ticket]):
    name: ClassVar[str] = "walk_in"
    counter_no: int
    officer: str = ""
    queue_code: str | None = None
    service_id: str | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class LinkDossier(Command[Ticket]):
    name: ClassVar[str] = "link_dossier"
    ticket_id: str
    dossier_id: str
    counter_no: int
    officer: str = ""


@dataclasses.dataclass(frozen=True)
class Cancel(Command[Ticket]):
    name: ClassVar[str] = "cancel"
    ticket_id: str
    counter_no: int | None
    officer: str = ""
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class RateVisit(Command[Ticket]):
    """The citizen's rating of a visit without a dossier (a payload validated by
    ``desk_app.domain.ratings.rating_payload``); the officer never writes it."""

    name: ClassVar[str] = "rate"
    ticket_id: str
    payload: dict[str, Any]


#: THE table: command name → class (the host's route, the client's URL, the group-commit dispatch).
COMMANDS: dict[str, type[Command[Any]]] = {
    cls.name: cls
    for cls in (
        ReserveTicket,
        ConfirmPrinted,
        MarkPrintFailed,
        BeginReprint,
        CallNext,
        Recall,
        NoShow,
        Transfer,
        Start,
        Finish,
        WalkIn,
        LinkDossier,
        Cancel,
        RateVisit,
    )
}


_ADAPTERS: dict[str, Any] = {}


def _adapter(cls: type[Command[Any]]) -> Any:
    adapter = _ADAPTERS.get(cls.name)
    if adapter is None:
        from pydantic import TypeAdapter  # only the host decodes JSON commands

        adapter = _ADAPTERS[cls.name] = TypeAdapter(cls)
    return adapter


def decode_command(name: str, body: Any) -> Command[Any]:
    """The command ``name`` from a JSON body; ``KeyError`` for an unknown name,
    ``pydantic.ValidationError`` for a bad body (wrong types, missing fields)."""
    cls = COMMANDS[name]
    command: Command[Any] = _adapter(cls).validate_python(body)
    return command


def encode_result(result: Ticket | None) -> dict[str, Any]:
    return {"ticket": result.to_dict() if result is not None else None}


def decode_result(data: dict[str, Any]) -> Ticket | None:
    raw = data.get("ticket")
    return Ticket.from_dict(raw) if raw else None


class QueueApi(ABC):
    """What kiosks, counters and displays use: ``QueueService``, ``LocalQueueClient``
    and the LAN ``QueueClient`` all provide it."""

    @abstractmethod
    def execute(self, command: Command[R]) -> R:
        """Run one write action (a committed result, or a ``QueueError``)."""

    # ------------------------------------------------------------- reads
    @abstractmethod
    def config(self) -> QueueConfig: ...

    @abstractmethod
    def people_ahead(self, ticket_id: str) -> int: ...

    @abstractmethod
    def ticket(self, ticket_id: str) -> Ticket: ...

    @abstractmethod
    def status(self) -> QueueStatus: ...

    @abstractmethod
    def recent_calls(self, limit: int = 10) -> list[CallRecord]: ...

    @abstractmethod
    def events_since(self, seq: int, limit: int = 500) -> list[QueueEvent]: ...

    # ------------------------------------------------------------- writes (typed wrappers)
    def reserve_ticket(self, service_id: str, priority_reason: str | None = None) -> Ticket:
        return self.execute(ReserveTicket(service_id, priority_reason))

    def confirm_printed(self, ticket_id: str) -> Ticket:
        return self.execute(ConfirmPrinted(ticket_id))

    def mark_print_failed(self, ticket_id: str, error: str) -> Ticket:
        return self.execute(MarkPrintFailed(ticket_id, error))

    def begin_reprint(self, ticket_id: str) -> Ticket:
        return self.execute(BeginReprint(ticket_id))

    def call_next(self, counter_no: int, officer: str) -> Ticket | None:
        return self.execute(CallNext(counter_no, officer))

    def recall(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self.execute(Recall(ticket_id, counter_no, officer))

    def no_show(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self.execute(NoShow(ticket_id, counter_no, officer))

    def transfer(
        self,
        ticket_id: str,
        counter_no: int,
        officer: str,
        to_queue: str | None = None,
        to_counter: int | None = None,
    ) -> Ticket:
        return self.execute(Transfer(ticket_id, counter_no, officer, to_queue, to_counter))

    def start(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self.execute(Start(ticket_id, counter_no, officer))

    def finish(self, ticket_id: str, counter_no: int, officer: str) -> Ticket:
        return self.execute(Finish(ticket_id, counter_no, officer))

    def walk_in(
        self,
        counter_no: int,
        officer: str,
        queue_code: str | None = None,
        service_id: str | None = None,
        note: str = "",
    ) -> Ticket:
        return self.execute(WalkIn(counter_no, officer, queue_code, service_id, note))

    def link_dossier(self, ticket_id: str, dossier_id: str, counter_no: int, officer: str) -> Ticket:
        return self.execute(LinkDossier(ticket_id, dossier_id, counter_no, officer))

    def cancel(self, ticket_id: str, counter_no: int | None, officer: str, reason: str = "") -> Ticket:
        return self.execute(Cancel(ticket_id, counter_no, officer, reason))

    def rate(self, ticket_id: str, payload: dict[str, Any]) -> Ticket:
        return self.execute(RateVisit(ticket_id, payload))
