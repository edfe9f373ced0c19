"""Fakes for the queue tests: a ticket printer that can be told to fail, an announcer."""

from __future__ import annotations

import threading

from desk_app.devices.api import (
    CallAnnouncement,
    PaperOutError,
    PrinterError,
    PrintResult,
    TicketPrintJob,
)


class FakeTicketPrinter:
    """Records jobs; ``fail_next`` / ``fail_always`` make it raise like a real printer."""

    def __init__(self) -> None:
        self.jobs: list[TicketPrintJob] = []
        self.fail_next: PrinterError | None = None
        self.fail_always: PrinterError | None = None
        self.delay = 0.0
        self._lock = threading.Lock()

    def print_ticket(self, job: TicketPrintJob) -> PrintResult:
        if self.delay:
            threading.Event().wait(self.delay)
        with self._lock:
            err, self.fail_next = self.fail_next, None
            err = err or self.fail_always
            if err is not None:
                raise err
            self.jobs.append(job)
        return PrintResult(bytes_sent=300, seconds=0.01)

    def status(self) -> str:
        return "ok"


def paper_out() -> PaperOutError:
    return PaperOutError("Máy in số thứ tự hết giấy. Hãy thay cuộn giấy rồi bấm “In lại”.")


class FakeAnnouncer:
    def __init__(self) -> None:
        self.calls: list[CallAnnouncement] = []

    def announce(self, call: CallAnnouncement) -> None:
        self.calls.append(call)


class FakeBoard:
    def __init__(self) -> None:
        self.calls: list[CallAnnouncement] = []

    def show_call(self, call: CallAnnouncement) -> None:
        self.calls.append(call)
