"""A faulty HTTP/1.1 proxy for loopback tests (threads, no dependencies).

It reads whole requests (head + Content-Length body) from the desk, forwards
each over a fresh upstream connection and, per request, may misbehave:

* ``drop``       close the desk's connection before forwarding (request lost);
* ``lose``       forward, let the server commit, then close without answering;
* ``cut``        forward, then send only half of the response and close;
* ``delay``      sleep before forwarding;
* ``duplicate``  send the request to the server twice, answer with the second;
* ``down``       (a switch, not a draw) refuse everything: the network is out.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter


def _read_message(sock: socket.socket, buf: bytearray) -> bytes | None:
    """One HTTP message (head + Content-Length body) from ``sock``; None on EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head_end = buf.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buf[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buf) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    message = bytes(buf[: head_end + length])
    del buf[: head_end + length]
    return message


class FaultyProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int = 1,
        drop: float = 0.0,
        lose: float = 0.0,
        cut: float = 0.0,
        delay: float = 0.0,
        duplicate: float = 0.0,
        max_delay: float = 0.3,
    ):
        self.upstream = ("127.0.0.1", upstream_port)
        self.rates = {"drop": drop, "lose": lose, "cut": cut, "delay": delay, "duplicate": duplicate}
        self.max_delay = max_delay
        self.rng = random.Random(seed)
        self.down = False
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_rates(self, **rates: float) -> None:
        with self._lock:
            self.rates.update(rates)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()

    # -------------------------------------------------------------- internals
    def _draw(self) -> str:
        with self._lock:
            x = self.rng.random()
            for mode, rate in self.rates.items():
                if x < rate:
                    return mode
                x -= rate
            return "ok"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _forward(self, request: bytes) -> bytes | None:
        try:
            with socket.create_connection(self.upstream, timeout=30) as up:
                up.sendall(request)
                return _read_message(up, bytearray())
        except OSError:
            return None

    def _fault_before_forward(self, mode: str, request: bytes) -> bool:
        """A subclass's own fault for ``mode``; True ends the connection. None here."""
        return False

    def _serve(self, client: socket.socket) -> None:
        buf = bytearray()
        try:
            while True:
                request = _read_message(client, buf)
                if request is None:
                    return
                if self.down:
                    self.stats["down"] += 1
                    return
                mode = self._draw()
                self.stats[mode] += 1
                if mode == "drop" or self._fault_before_forward(mode, request):
                    return
                if mode == "delay":
                    time.sleep(self.rng.random() * self.max_delay)
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
