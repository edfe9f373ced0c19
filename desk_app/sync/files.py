"""Sending and fetching dossier files (scans, signed e-results) separately from events.

A file goes up only once every event that names it has been acknowledged by the
server (files follow their events). Upload is resumable and idempotent: the
client asks the server how much it holds, sends chunks from there, and after any
fault (connection cut mid-chunk, answer lost, 409) asks again and carries on;
the server checks the finished file against its sha256. A station fetches the
files of a dossier routed to it on demand, verified against the hash too.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select, text, update

from desk_app import credentials
from desk_app.attachments.model import file_hashes
from desk_app.attachments.service import record_file
from desk_app.attachments.store import FileStore, FileStoreError
from desk_app.services.intake import ensure_dossier
from desk_app.services.station import Station
from desk_app.store import schema as s
from desk_app.store.repositories import iso
from desk_app.sync.client import OFFLINE_HINT, SyncError, error_for, transport_error

log = logging.getLogger("desk_app.sync.files")

CHUNK_SIZE = 1 << 20
MAX_ATTEMPTS = 30
FileProgress = Callable[[int, int], None]  # (bytes done, bytes total) for the status strip


@dataclass
class FileReport:
    uploaded: int = 0
    bytes_sent: int = 0
    already: int = 0  # the server had the whole file
    waiting: int = 0  # events not acknowledged yet
    failed: list[tuple[str, str]] = field(default_factory=list)


# Files named by events still in the outbox (not yet acknowledged, or refused).
_UNACKED_SQL = text(
    "SELECT e.payload FROM outbox o JOIN dossier_events e ON o.kind = 'event' AND e.id = o.id "
    "WHERE e.kind IN ('attached', 'result_signed')"
)


class FileSync:
    def __init__(
        self,
        station: Station,
        http: httpx.Client,
        files: FileStore | None = None,
        *,
        chunk_size: int = CHUNK_SIZE,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delay: float = 0.05,
    ):
        self.station = station
        self.http = http
        self.files = files or FileStore.beside(station.db.path)
        self.chunk_size = chunk_size
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay

    def _headers(self) -> dict[str, str]:
        token = credentials.station_token(self.station)
        if not token:
            raise SyncError("Trạm chưa đăng ký với máy chủ trung tâm.", auth=True)
        return {"Authorization": f"Bearer {token}"}

    # -------------------------------------------------------------- upload
    def pending(self) -> tuple[list[tuple[str, int, str]], int]:
        """(sha256, size, dossier id) of files to send now, and how many wait for their events."""
        with self.station.db.read() as conn:
            rows = conn.execute(
                select(s.files.c.sha256, s.files.c.size, s.files.c.dossier_id)
                .where(s.files.c.uploaded_at.is_(None), s.files.c.present.is_(True))
                .order_by(s.files.c.created_at)
            ).all()
            blocked: set[str] = set()
            for (payload,) in conn.execute(_UNACKED_SQL):
                body = json.loads(payload) if isinstance(payload, str) else payload
                if isinstance(body, dict) and body.get("sha256"):
                    blocked.add(str(body["sha256"]))
        ready = [(r.sha256, int(r.size), r.dossier_id) for r in rows if r.sha256 not in blocked]
        return ready, len(rows) - len(ready)

    def upload_all(self, progress: FileProgress | None = None) -> FileReport:
        report = FileReport()
        ready, report.waiting = self.pending()
        total = sum(size for _, size, _ in ready)
        done = 0
        if progress is not None and ready:
            progress(0, total)
        for sha, size, dossier_id in ready:
            base = done

            def step(sent: int, base: int = base) -> None:
                if progress is not None:
                    progress(base + sent, total)

            try:
                sent = self.upload(sha, dossier_id, step)
            except SyncError as exc:
                if exc.auth:
                    raise
                report.failed.append((sha, str(exc)))
                done += size
                continue
            if sent:
                report.uploaded += 1
                report.bytes_sent += sent
            else:
                report.already += 1
            done += size
            with self.station.uow() as uow:
                uow.conn.execute(
                    update(s.files).where(s.files.c.sha256 == sha).values(uploaded_at=iso(self.station.now()))
                )
                uow.commit()
        return report

    def upload(self, sha256: str, dossier_id: str, progress: Callable[[int], None] | None = None) -> int:
        """Send one file (named by an event of ``dossier_id``) from where the server stopped;
        returns the bytes sent by this call."""
        size = self.files.size(sha256)
        url = f"/v1/files/{sha256}/upload"
        where = {"dossier": dossier_id}
        sent = 0
        attempts = 0
        offset = self._server_offset(url, where)
        with self.files.open(sha256) as f:
            while offset is None or offset < size:
                if offset is None:  # the last answer was lost: ask where the server is
                    attempts += 1
                    if attempts > self.max_attempts:
                        raise SyncError("Gửi tệp không thành công sau nhiều lần thử. " + OFFLINE_HINT)
                    time.sleep(self.retry_delay)
                    offset = self._server_offset(url, where)
                    continue
                f.seek(offset)
                chunk = f.read(self.chunk_size)
                try:
                    response = self.http.put(
                        url,
                        params={**where, "offset": offset, "size": size},
                        content=chunk,
                        headers={**self._headers(), "content-type": "application/octet-stream"},
                    )
                except httpx.HTTPError as exc:
                    log.info("file chunk lost (%s); resuming", type(exc).__name__)
                    offset = None
                    continue
                if response.status_code == 409 and _received(response) is not None:
                    offset = _received(response)
                    continue
                if response.status_code == 422:  # the server found the file corrupted: restart
                    offset = 0
                    attempts += 1
                    continue
                if response.status_code >= 500 or response.status_code == 429:
                    offset = None
                    continue
                if response.status_code >= 400:
                    raise error_for(response)
                try:
                    body = response.json()
                except ValueError:  # cut half-way
                    offset = None
                    continue
                sent += len(chunk)
                offset = int(body.get("received", offset + len(chunk)))
                if body.get("complete"):
                    offset = size
                if progress is not None:
                    progress(min(offset, size))
        return sent

    def _server_offset(self, url: str, params: dict[str, str]) -> int | None:
        try:
            response = self.http.get(url, params=params, headers=self._headers())
        except httpx.HTTPError:
            return None
        if response.status_code >= 500 or response.status_code == 429:
            return None
        if response.status_code >= 400:
            raise error_for(response)
        try:
            body = response.json()
        except ValueError:
            return None
        if body.get("complete"):
            return int(body.get("size", 0)) or self.files_size_hint
        return int(body.get("received", 0))

    files_size_hint = 1 << 62  # "complete": any offset past the end stops the loop

    # -------------------------------------------------------------- fetch
    def fetch(self, sha256: str, dossier_id: str, pages: int = 0) -> bool:
        """Bring one file from the server (verified by its hash); False if it was already here."""
        if self.files.has(sha256):
            return False
        last: Exception | None = None
        for _ in range(self.max_attempts):
            try:
                with self.http.stream(
                    "GET", f"/v1/files/{sha256}", params={"dossier": dossier_id}, headers=self._headers()
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        if response.status_code >= 500:
                            last = error_for(response)
                            continue
                        raise error_for(response)
                    size = int(response.headers.get("content-length", "0"))
                    self.files.put_stream(response.iter_bytes(), sha256, size)
            except (httpx.HTTPError, FileStoreError) as exc:
                if isinstance(exc, FileStoreError) and "mã băm" not in str(exc):
                    raise
                last = exc
                time.sleep(self.retry_delay)
                continue
            with self.station.uow() as uow:
                size = self.files.size(sha256)
                record_file(uow, sha256, size, pages, now=self.station.now(), dossier_id=dossier_id)
                uow.conn.execute(
                    update(s.files)
                    .where(s.files.c.sha256 == sha256)
                    .values(uploaded_at=iso(self.station.now()))
                )
                uow.commit()
            return True
        if isinstance(last, httpx.HTTPError):
            raise transport_error(last) from last
        raise SyncError("Không tải được tệp từ máy chủ. " + OFFLINE_HINT) from last

    def fetch_for_dossier(self, code_or_id: str) -> int:
        """Fetch the files a dossier's events name that this station lacks; returns how many."""
        with self.station.uow(write=False) as uow:
            dossier = ensure_dossier(uow, code_or_id)
            events = uow.dossiers.events(dossier.id)
        pages = {str(e.payload.get("sha256")): int(e.payload.get("pages", 0) or 0) for e in events}
        fetched = 0
        for sha in sorted(file_hashes(events)):
            if self.fetch(sha, dossier.id, pages.get(sha, 0)):
                fetched += 1
        return fetched


def _received(response: httpx.Response) -> int | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    if isinstance(detail, dict) and isinstance(detail.get("received"), int):
        return int(detail["received"])
    return None


def fetch_from_server(station: Station, sha256: str, dossier_id: str, pages: int = 0) -> bool:
    """Fetch one file with the station's enrolment (the viewer calls it on demand)."""
    from desk_app.sync.client import make_http, server_url

    url = server_url(station)
    if not url:
        raise SyncError("Tệp chưa có trên máy này và trạm chưa đăng ký với máy chủ để tải về.")
    with make_http(url) as http:
        return FileSync(station, http).fetch(sha256, dossier_id, pages)
