"""The sync suite's faulty proxy plus one more fault: a request cut mid-body.

``truncate`` forwards the request head and only part of its body to the
server, then closes both connections: the server sees a chunk broken off in
the middle, the desk sees its connection dropped.
"""

from __future__ import annotations

import socket
import time

from tests.sync.proxy import FaultyProxy


class ChunkCuttingProxy(FaultyProxy):
    def __init__(self, upstream_port: int, *, truncate: float = 0.0, **rates: float):
        super().__init__(upstream_port, **rates)
        self.rates["truncate"] = truncate

    def _truncate(self, request: bytes) -> None:
        head_end = request.index(b"\r\n\r\n") + 4
        body = len(request) - head_end
        cut = head_end + max(1, body // 2) if body else head_end // 2
        try:
            with socket.create_connection(self.upstream, timeout=30) as up:
                up.sendall(request[:cut])
                time.sleep(0.01)
        except OSError:
            pass

    def _fault_before_forward(self, mode: str, request: bytes) -> bool:
        if mode != "truncate":
            return False
        self._truncate(request)
        return True
