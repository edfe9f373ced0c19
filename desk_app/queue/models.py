"""Re-export: the queue's records and errors live in ``desk_app.domain.queue``.

(Plain data, shared by the queue's rules and the store's ticket repository; the
store must not import ``desk_app.queue``.)
"""

from desk_app.domain.queue import *  # noqa: F403
