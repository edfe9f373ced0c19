"""Pure rules of the queue: which ticket is called next, how a number reads.

No database, no clock: ``QueueService`` feeds them plain ``Ticket`` records, and
the tests drive them directly (see the design notes in ``service.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from desk_app.queue.models import PriorityMode, Ticket


def format_label(queue_code: str, number: int) -> str:
    return f"{queue_code}{number:03d}"


def pick_next(
    candidates: Sequence[Ticket],
    mode: str,
    every: int,
    streaks: dict[str, int],
) -> Ticket | None:
    """Choose the next ticket among waiting ``candidates`` (pure; see module doc)."""
    if not candidates:
        return None
    front = [t for t in candidates if t.front_at]
    if front:
        return min(front, key=lambda t: (t.front_at or "", t.issued_at or "", t.id))
    by_queue: dict[str, list[Ticket]] = {}
    for t in candidates:
        by_queue.setdefault(t.queue_code, []).append(t)
    heads: list[tuple[bool, Ticket]] = []
    for code, tickets in by_queue.items():
        pri = min((t for t in tickets if t.priority), key=lambda t: (t.issued_at or "", t.id), default=None)
        nor = min(
            (t for t in tickets if not t.priority), key=lambda t: (t.issued_at or "", t.id), default=None
        )
        if mode == PriorityMode.INTERLEAVED:
            use_pri = pri is not None and (nor is None or streaks.get(code, 0) >= max(every, 0))
        else:
            use_pri = pri is not None
        head = pri if use_pri else nor
        assert head is not None
        heads.append((use_pri, head))
    if mode == PriorityMode.STRICT and any(p for p, _ in heads):
        heads = [h for h in heads if h[0]]
    return min(heads, key=lambda h: (h[1].issued_at or "", h[1].id))[1]
