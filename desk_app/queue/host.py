"""The LAN queue host: the queue's HTTP API for the other counters, kiosks and TVs.

One station (the ``queue-host`` role, usually the kiosk PC) runs this next to its
SQLite database, so calling numbers works on the office LAN without internet and
a restart or power cut loses nothing (every action is committed, with
``synchronous=FULL``, before it is answered).

Every request except ``GET /health`` must carry the shared secret in the
``X-Queue-Secret`` header: missing → 401, wrong → 403 (compared in constant
time). Errors are JSON ``{"detail": <Vietnamese message>, "error": <class>}``:
404 unknown ticket, 409 a queue rule, 422 a malformed command, 503 the host's
disk / database failed.

Every write action is ``POST /commands/{name}`` with the command's fields as the
JSON body (``desk_app.queue.api.COMMANDS``); reads keep their own GET routes.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from desk_app.queue.api import COMMANDS, decode_command, encode_result
from desk_app.queue.models import QueueError, TicketNotFound
from desk_app.queue.service import QueueService
from desk_app.settings import DEFAULT_HOST_PORT, SECRET_RULE, check_secret_text  # noqa: F401 - re-exported
from desk_app.store.db import Database, StoreError, describe_sqlite_error

log = logging.getLogger(__name__)

DEFAULT_PORT = DEFAULT_HOST_PORT


def _json(data: Any) -> Response:
    # Plain json.dumps: FastAPI's jsonable_encoder walk costs more than the query itself.
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


class GroupWriter:
    """The host's single writer thread, with group commit.

    It takes the first waiting action plus every other action already waiting (up to
    ``max_group``) and runs them with ``QueueService.run_group``: one after another
    (so two counters never get the same ticket), each in its own SAVEPOINT, all in ONE
    ``BEGIN IMMEDIATE`` transaction, so the group pays one commit + fsync instead of one
    per action. A future is resolved only after the group's COMMIT returned. Alone, an
    action runs at once: nothing waits to fill a group.
    """

    def __init__(self, service: QueueService, max_group: int = 32):
        self.service = service
        self.max_group = max_group
        self._queue: queue.SimpleQueue[tuple[Callable[[Any], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.groups = 0  # statistics: transactions run and actions in them
        self.actions = 0

    def submit(self, call: Callable[[Any], Any]) -> Future[Any]:
        """Queue ``call(uow)``; the future holds its result once committed (or its error)."""
        fut: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("queue writer is shut down")
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="queue-writer", daemon=True)
                self._thread.start()
            self._queue.put((call, fut))
        return fut

    def shutdown(self, wait: bool = True, timeout: float | None = 10.0) -> None:
        """Finish what is queued, then stop the thread (idempotent)."""
        with self._lock:
            thread = self._thread
            if not self._closed:
                self._closed = True
                self._queue.put(None)
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_group:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            # A request whose client went away before its turn is not run (as with an executor).
            live = [(call, fut) for call, fut in batch if fut.set_running_or_notify_cancel()]
            if not live:
                continue
            try:
                results = self.service.run_group([call for call, _ in live])
            except BaseException as exc:  # run_group reports failures in its results; be safe anyway
                log.exception("queue writer group failed")
                results = [exc] * len(live)
            self.groups += 1
            self.actions += len(live)
            for (_, fut), result in zip(live, results, strict=True):
                if isinstance(result, BaseException):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)


def create_app(service: QueueService, secret: str) -> FastAPI:
    """The FastAPI app over ``service``; ``secret`` must be non-empty."""
    check_secret_text(secret)
    expected = secret.encode("utf-8")

    async def check_secret(x_queue_secret: str | None = Header(default=None)) -> None:
        if x_queue_secret is None:
            raise HTTPException(401, "Thiếu mã bí mật của máy chủ xếp hàng.")
        if not hmac.compare_digest(x_queue_secret.encode("utf-8"), expected):
            raise HTTPException(403, "Sai mã bí mật của máy chủ xếp hàng.")

    app = FastAPI(title="MotCua Desk — máy chủ xếp hàng", docs_url=None, redoc_url=None, openapi_url=None)
    # One writer thread: actions queue here instead of 40 threadpool threads fighting
    # over the store's write lock (and the GIL), and the actions waiting at the same
    # time share one transaction (group commit); reads stay on the shared threadpool.
    writer = GroupWriter(service)
    app.state.writer = writer

    auth = [Depends(check_secret)]

    @app.exception_handler(TicketNotFound)
    def _not_found(_: Request, exc: TicketNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=404)

    @app.exception_handler(QueueError)
    def _rule(_: Request, exc: QueueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=409)

    @app.exception_handler(OperationalError)
    def _db(_: Request, exc: OperationalError) -> JSONResponse:
        log.exception("queue host database failure")
        return JSONResponse({"detail": describe_sqlite_error(exc), "error": "StoreError"}, status_code=503)

    @app.exception_handler(StoreError)
    def _store(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": "StoreError"}, status_code=503)

    @app.get("/health")
    def health() -> Response:
        return _json({"ok": True})

    @app.get("/config", dependencies=auth)
    def config() -> Response:
        return _json(service.config().to_dict())

    @app.post("/commands/{name}", dependencies=auth)
    async def command(name: str, request: Request) -> Response:
        """Every write action: the body is the command's fields (``desk_app.queue.api``)."""
        if name not in COMMANDS:
            return JSONResponse({"detail": f"Không có thao tác “{name}”.", "error": "NotFound"}, 404)
        try:
            cmd = decode_command(name, await request.json())
        except (ValueError, ValidationError) as exc:  # not JSON / wrong fields: a client bug
            return JSONResponse({"detail": str(exc), "error": "BadRequest"}, status_code=422)
        result = await asyncio.wrap_future(writer.submit(service.action(cmd)))
        return _json(encode_result(result))

    @app.get("/tickets/{ticket_id}", dependencies=auth)
    def ticket(ticket_id: str) -> Response:
        return _json(service.ticket(ticket_id).to_dict())

    @app.get("/tickets/{ticket_id}/ahead", dependencies=auth)
    def ahead(ticket_id: str) -> Response:
        return _json({"people_ahead": service.people_ahead(ticket_id)})

    @app.get("/status", dependencies=auth)
    def status() -> Response:
        return _json(service.status().to_dict())

    @app.get("/calls/recent", dependencies=auth)
    def recent(limit: int = 10) -> Response:
        return _json({"calls": [c.to_dict() for c in service.recent_calls(min(max(limit, 1), 100))]})

    @app.get("/events", dependencies=auth)
    def events(since: int = 0, limit: int = 500) -> Response:
        return _json({"events": [e.to_dict() for e in service.events_since(since, min(max(limit, 1), 5000))]})

    return app


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class QueueHost:
    """Runs the API with uvicorn, blocking (``serve``) or in a thread (``start``/``stop``)."""

    def __init__(self, service: QueueService, secret: str, host: str = "0.0.0.0", port: int = DEFAULT_PORT):
        import uvicorn

        self.service = service
        self.host, self.port = host, port
        self.app = create_app(service, secret)
        self._config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            http="auto",
            loop="auto",
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None

    @classmethod
    def for_database(
        cls, db_path: str | Path, secret: str, host: str = "0.0.0.0", port: int = DEFAULT_PORT
    ) -> QueueHost:
        return cls(QueueService(Database(db_path)), secret, host, port)

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def serve(self) -> None:
        self._server.run()

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._server.run, name="queue-host", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"queue host did not start on {self.host}:{self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.app.state.writer.shutdown()
