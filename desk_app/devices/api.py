"""The contract between the queue (kiosk, counters) and the devices.

The queue code depends only on these types; drivers and simulators implement
them. All messages are Vietnamese because they are shown to staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class DeviceError(Exception):
    """An environment fault of a device; ``str(exc)`` is a Vietnamese message."""


class DeviceNotFoundError(DeviceError):
    """The port does not exist or the cable is unplugged."""


class PrinterError(DeviceError):
    """The ticket printer could not print."""


class PaperOutError(PrinterError):
    pass


class CoverOpenError(PrinterError):
    pass


class PrinterOfflineError(PrinterError):
    """No status answer: unplugged, powered off or wrong baud rate."""


@dataclass(frozen=True)
class TicketPrintJob:
    unit_name: str
    number: str  # e.g. "A023"
    service_name: str
    people_ahead: int
    issued_at: dt.datetime
    priority: bool = False
    qr_text: str = ""  # optional: e.g. a look-up URL for the ticket


@dataclass(frozen=True)
class PrintResult:
    bytes_sent: int
    seconds: float


class TicketPrinter(Protocol):
    def print_ticket(self, job: TicketPrintJob) -> PrintResult:
        """Print one ticket; raise ``PrinterError`` unless it verifiably printed."""
        ...

    def status(self) -> str:
        """'ok' or a Vietnamese description of the fault."""
        ...


@dataclass(frozen=True)
class CallAnnouncement:
    ticket_number: str  # "A023" or "1023"
    counter_no: int
    service_name: str = ""


class DisplayBoard(Protocol):
    def show_call(self, call: CallAnnouncement) -> None: ...


class Announcer(Protocol):
    def announce(self, call: CallAnnouncement) -> None:
        """Speak the call; must stay silent (no exception) without sound hardware."""
        ...
