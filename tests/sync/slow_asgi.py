"""ASGI app for subprocess tests: the real server, optionally holding each push transaction open.

``MOTCUA_CENTRAL_DB``: database URL; ``MOTCUA_TEST_HOLD``: seconds to sleep after the
change rows are written and before the commit (so a kill lands mid-batch).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from central.app import create_app
from desk_app.workcalendar import VN_TZ

_now = dt.datetime.fromisoformat(os.environ.get("MOTCUA_TEST_NOW", "2026-11-25T09:00:00")).replace(
    tzinfo=VN_TZ
)
app = create_app(os.environ["MOTCUA_CENTRAL_DB"], auth_cache_ttl=0.0, head_cache_ttl=0.0, clock=lambda: _now)
_hold = float(os.environ.get("MOTCUA_TEST_HOLD", "0") or 0)
if _hold:

    def _sleep(_conn: Any, _rows: Any) -> None:
        time.sleep(_hold)

    app.state.central.store.after_append = _sleep
