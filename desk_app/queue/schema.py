"""Re-export: the queue's tables live with the other tables in ``desk_app.store.queue_schema``.

(The store's migrations create them, and the store must not import the queue.)
"""

from __future__ import annotations

from desk_app.store.queue_schema import (
    queue_counters,
    queue_events,
    queue_queues,
    queue_series,
    queue_services,
    queue_settings,
    queue_tickets,
)

__all__ = [
    "queue_settings",
    "queue_queues",
    "queue_services",
    "queue_counters",
    "queue_series",
    "queue_tickets",
    "queue_events",
]
