"""How uvicorn serves the central server: slow clients cannot starve it.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has no
deadline for a request's *headers*: a client that opens a connection and sends its
headers one byte a minute (slowloris) holds a file descriptor forever, and a few
hundred of them exhaust the process's descriptors so that ``/health`` and every
real station fail. ``GuardedH11Protocol`` adds:

* a header deadline (``MOTCUA_HEADER_TIMEOUT``, 10 s) from the connection's start
  (or the end of the previous response) to the end of the request's headers;
* a body idle timeout (``MOTCUA_BODY_IDLE_TIMEOUT``, 30 s without a byte of body);
* a connection cap (``MOTCUA_MAX_CONNECTIONS``, 200; keep it below ``ulimit -n``):
  past it, the oldest connection still waiting for its headers is closed, so a
  client that sends a whole request at once (a station, a health probe) always
  gets in while slow ones are shed.

The settings come from the environment so that every worker process gets them.
The TLS reverse proxy in front should have the same kind of limits (see README).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


class GuardedH11Protocol(H11Protocol):
    header_timeout = _env_float("MOTCUA_HEADER_TIMEOUT", 10.0)
    body_idle_timeout = _env_float("MOTCUA_BODY_IDLE_TIMEOUT", 30.0)
    max_connections = int(_env_float("MOTCUA_MAX_CONNECTIONS", 200))

    _guard: asyncio.TimerHandle | None = None

    def _waiting(self) -> dict[GuardedH11Protocol, None]:
        """Connections of this server still waiting for request headers, oldest first."""
        state = self.server_state
        waiting: dict[GuardedH11Protocol, None] | None = getattr(state, "motcua_waiting", None)
        if waiting is None:
            waiting = {}
            state.motcua_waiting = waiting  # type: ignore[attr-defined]
        return waiting

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _expire(self) -> None:
        self._guard = None
        self._waiting().pop(self, None)
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        waiting = self._waiting()
        if len(self.connections) > self.max_connections:
            victim = next(iter(waiting), None) or self
            waiting.pop(victim, None)
            victim._disarm()
            if not victim.transport.is_closing():
                victim.transport.close()
            if victim is self:
                return
        waiting[self] = None
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            return  # still in the headers: the header deadline keeps running
        self._waiting().pop(self, None)
        if state is h11.SEND_BODY:
            self._arm(self.body_idle_timeout)
        else:
            self._disarm()  # the application has the request; its own time is not ours to cut

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._waiting()[self] = None
            self._arm(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._waiting().pop(self, None)
        super().connection_lost(exc)


def uvicorn_options() -> dict[str, Any]:
    """uvicorn settings shared by ``motcua-central serve`` and the tests' live server."""
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,  # request line + headers
        # X-Forwarded-For is read by the app itself, and only from the configured proxy
        "proxy_headers": False,
        "server_header": False,
    }
