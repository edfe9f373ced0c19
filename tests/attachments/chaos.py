"""The sync suite's faulty proxy plus one more fault: a request cut mid-body.

``truncate`` forwards the request head and only part of its body to the
server, then closes both connections: the server sees a chunk broken off in
the middle, the desk sees its connection dropped.
"""

from __future__ import annotations

import socket
import time

from tests.sync.proxy import FaultyProxy, _read_message


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

    def _serve(self, client: socket.socket) -> None:
        buf = bytearray()
        try:
            while True:
                request = _read_message(client, buf)
                if request is None:
                    return
                mode = self._draw()
                self.stats[mode] += 1
                if mode == "drop":
                    return
                if mode == "truncate":
                    self._truncate(request)
                    return
                response = self._forward(request)
                if mode == "duplicate":
                    response = self._forward(request) or response
                if response is None or mode == "lose":
                    return
                if mode == "cut":
                    client.sendall(response[: len(response) // 2])
                    return
                client.sendall(response)
        except OSError:
            return
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()
