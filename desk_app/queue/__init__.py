"""The ticket queue (xếp hàng, lấy số). No Qt.

``models`` (records and errors, kept in ``desk_app.domain.queue``), ``rules``
(pure: who is called next), ``api`` (one typed command per write action, the
``COMMANDS`` table, the ``QueueApi`` base), ``service`` (the rules applied to this
station's database through ``uow.tickets``, group commit), ``ticket_printing``
(the kiosk's two-phase issuing), ``host`` / ``client`` (the LAN API and its
client, over the same commands), ``lan_host`` (start/stop with the station),
``stats`` (figures from events).
"""

from desk_app.queue.api import COMMANDS, Command, QueueApi
from desk_app.queue.models import (
    CallRecord,
    CounterNow,
    EventKind,
    InvalidTicketAction,
    IssueResult,
    PriorityMode,
    PriorityReason,
    QueueConfig,
    QueueError,
    QueueEvent,
    QueueStatus,
    QueueUnavailable,
    ServiceInfo,
    Ticket,
    TicketNotFound,
    TicketState,
)
from desk_app.queue.service import LocalQueueClient, QueueService
from desk_app.queue.ticket_printing import issue_with_printer, reprint_with_printer

__all__ = [
    "COMMANDS",
    "Command",
    "CallRecord",
    "CounterNow",
    "EventKind",
    "InvalidTicketAction",
    "IssueResult",
    "LocalQueueClient",
    "PriorityMode",
    "PriorityReason",
    "QueueApi",
    "QueueConfig",
    "QueueError",
    "QueueEvent",
    "QueueService",
    "QueueStatus",
    "QueueUnavailable",
    "ServiceInfo",
    "Ticket",
    "TicketNotFound",
    "TicketState",
    "issue_with_printer",
    "reprint_with_printer",
]
