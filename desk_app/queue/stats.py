"""Queue statistics, computed from the append-only events only.

Definitions (per queue, counter, officer and day):

* waiting time = first ``called`` − ``issued`` (a ticket's first call; the wait
  after a transfer is not counted again). Attributed to the ticket's issuing
  queue and day, and to the counter / officer that called it.
* service time = ``finished`` − ``started`` per service leg; a transfer while
  serving ends the leg. Attributed to the counter / officer of the leg.
  Walk-ins have service time but no waiting time.
* service level = share of issued tickets called within the threshold (default
  15 min). For queues and days the denominator is every issued ticket, so a
  ticket never called counts as missed; for counters and officers it is the
  tickets they called.
* no-show = tickets whose final state is no-show (a late recall undoes it).
Tickets that failed to print never have an ``issued`` event and are not counted.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from desk_app.queue.models import EventKind, QueueEvent


@dataclass
class GroupStats:
    key: str
    issued: int = 0
    priority: int = 0
    called: int = 0
    called_within: int = 0
    served: int = 0
    no_show: int = 0
    transferred: int = 0
    walk_in: int = 0
    wait_seconds: list[float] = field(default_factory=list)
    service_seconds: list[float] = field(default_factory=list)
    level_base: int = 0  # denominator of the service level

    @property
    def avg_wait_s(self) -> float | None:
        return statistics.fmean(self.wait_seconds) if self.wait_seconds else None

    @property
    def max_wait_s(self) -> float | None:
        return max(self.wait_seconds) if self.wait_seconds else None

    @property
    def avg_service_s(self) -> float | None:
        return statistics.fmean(self.service_seconds) if self.service_seconds else None

    @property
    def service_level(self) -> float | None:
        return self.called_within / self.level_base if self.level_base else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "issued": self.issued,
            "priority": self.priority,
            "called": self.called,
            "called_within": self.called_within,
            "served": self.served,
            "no_show": self.no_show,
            "transferred": self.transferred,
            "walk_in": self.walk_in,
            "avg_wait_s": self.avg_wait_s,
            "max_wait_s": self.max_wait_s,
            "avg_service_s": self.avg_service_s,
            "service_level": self.service_level,
        }


@dataclass
class QueueStats:
    threshold_min: int
    total: GroupStats
    by_queue: dict[str, GroupStats]
    by_counter: dict[str, GroupStats]
    by_officer: dict[str, GroupStats]
    by_day: dict[str, GroupStats]

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold_min": self.threshold_min,
            "total": self.total.to_dict(),
            **{
                name: {k: g.to_dict() for k, g in getattr(self, name).items()}
                for name in ("by_queue", "by_counter", "by_officer", "by_day")
            },
        }


@dataclass
class _Ticket:
    queue: str = ""
    day: str = ""
    issued_at: dt.datetime | None = None
    called: bool = False
    leg: tuple[dt.datetime, str, str] | None = None  # started at, counter, officer
    last_kind: str = ""


def compute_stats(events: Iterable[QueueEvent], threshold_min: int = 15) -> QueueStats:
    """Fold events (any order; sorted by ``seq``) into statistics."""
    threshold = dt.timedelta(minutes=threshold_min)
    total = GroupStats("Tổng")
    by: dict[str, dict[str, GroupStats]] = {"queue": {}, "counter": {}, "officer": {}, "day": {}}

    def group(kind: str, key: str) -> GroupStats:
        return by[kind].setdefault(key, GroupStats(key))

    tickets: dict[str, _Ticket] = {}
    for e in sorted(events, key=lambda e: e.seq):
        t = tickets.setdefault(e.ticket_id, _Ticket())
        at = dt.datetime.fromisoformat(e.at)
        counter = str(e.counter_no) if e.counter_no is not None else ""
        if e.kind in (EventKind.RESERVED, EventKind.PRINT_FAILED):
            continue  # not issued yet (two-phase issuing)
        if e.kind == EventKind.ISSUED:
            t.queue, t.day, t.issued_at = e.queue_code, e.day, at
            prio = bool(e.payload.get("priority_reason"))
            for g in (total, group("queue", t.queue), group("day", t.day)):
                g.issued += 1
                g.level_base += 1
                g.priority += prio
        elif e.kind == EventKind.WALK_IN:
            t.queue, t.day, t.called = e.queue_code, e.day, True
            for g in (
                total,
                group("queue", e.queue_code),
                group("day", e.day),
                group("counter", counter),
                group("officer", e.officer),
            ):
                g.walk_in += 1
        elif e.kind == EventKind.CALLED and not t.called and t.issued_at is not None:
            t.called = True
            wait = (at - t.issued_at).total_seconds()
            within = at - t.issued_at <= threshold
            for g in (
                total,
                group("queue", t.queue),
                group("day", t.day),
                group("counter", counter),
                group("officer", e.officer),
            ):
                g.called += 1
                g.called_within += within
                g.wait_seconds.append(wait)
            for g in (group("counter", counter), group("officer", e.officer)):
                g.level_base += 1
        elif e.kind == EventKind.STARTED:
            t.leg = (at, counter, e.officer)
        elif e.kind in (EventKind.FINISHED, EventKind.TRANSFERRED) and t.leg is not None:
            started, leg_counter, leg_officer = t.leg
            t.leg = None
            seconds = (at - started).total_seconds()
            groups = [
                total,
                group("queue", t.queue or e.queue_code),
                group("day", t.day or e.day),
                group("counter", leg_counter),
                group("officer", leg_officer),
            ]
            for g in groups:
                g.service_seconds.append(seconds)
                if e.kind == EventKind.FINISHED:
                    g.served += 1
        if e.kind == EventKind.TRANSFERRED:
            for g in (total, group("queue", t.queue or e.queue_code), group("counter", counter)):
                g.transferred += 1
        if e.kind not in (EventKind.DOSSIER_LINKED, EventKind.RATED):
            t.last_kind = e.kind
        if e.kind == EventKind.NO_SHOW:
            t.leg = None
    for tid, t in tickets.items():
        del tid
        if t.last_kind == EventKind.NO_SHOW:
            for g in (total, group("queue", t.queue), group("day", t.day)):
                g.no_show += 1
    return QueueStats(threshold_min, total, by["queue"], by["counter"], by["officer"], by["day"])


def stats_for_days(
    service: Any, first: str, last: str | None = None, threshold_min: int | None = None
) -> QueueStats:
    """Statistics over ``first``..``last`` (YYYY-MM-DD) from a ``QueueService``."""
    if threshold_min is None:
        threshold_min = service.config().service_level_min
    return compute_stats(service.events_for_days(first, last or first), threshold_min)


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def format_report(stats: QueueStats, queue_names: dict[str, str] | None = None) -> str:
    """Plain-text Vietnamese report (for the CLI)."""
    names = queue_names or {}
    head = (
        f"{'Nhóm':<28}{'Phát':>6}{'Gọi':>6}{'Xong':>6}{'Vắng':>6}{'Chờ TB':>9}{'Phục vụ TB':>12}"
        f"{'Đạt ≤' + str(stats.threshold_min) + 'ph':>11}"
    )
    lines = [f"Thời gian tính bằng phút. Đạt = tỷ lệ được gọi trong {stats.threshold_min} phút.", head]

    def row(label: str, g: GroupStats) -> str:
        return (
            f"{label[:27]:<28}{g.issued:>6}{g.called:>6}{g.served:>6}{g.no_show:>6}"
            f"{_minutes(g.avg_wait_s):>9}{_minutes(g.avg_service_s):>12}{_percent(g.service_level):>11}"
        )

    lines.append(row("Tổng cộng", stats.total))
    sections: tuple[tuple[str, dict[str, GroupStats], Callable[[str], str]], ...] = (
        ("Hàng đợi", stats.by_queue, lambda k: f"{k} {names.get(k, '')}".strip()),
        ("Quầy", stats.by_counter, lambda k: f"Quầy {k}" if k else "(không quầy)"),
        ("Cán bộ", stats.by_officer, lambda k: k or "(không rõ)"),
        ("Ngày", stats.by_day, lambda k: k),
    )
    for title, groups, label in sections:
        if groups:
            lines.append(f"— {title}")
            lines.extend(row(label(k), groups[k]) for k in sorted(groups))
    return "\n".join(lines)
