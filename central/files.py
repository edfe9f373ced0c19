"""Files of dossiers (scans, signed e-results): chunked, resumable, content-addressed uploads.

A device uploads a file it referenced in an event already pushed (so files follow
their events), in chunks at the offset the server confirms: a chunk lost or cut
mid-way is sent again from the server's offset, a chunk answered twice is
refused with the current offset (409), the finished file is checked against its
sha256. Files are served only to the unit that owns a dossier referencing the
file and the unit the dossier was routed to.

Storage is the database (``blob_chunks``; PostgreSQL in production) or a folder
(``MOTCUA_CENTRAL_FILES_DIR`` or ``app.state.files_dir``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Connection, text
from starlette.requests import ClientDisconnect

from central import service as svc
from central.app import MAX_FILE_CHUNK, authenticate

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_FILE = 200 * 2**20
MAX_CHUNK = MAX_FILE_CHUNK
READ_BLOCK = 1 << 20

router = APIRouter(prefix="/v1/files", tags=["files"])


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_sha(sha256: str) -> str:
    if not SHA_RE.match(sha256):
        raise HTTPException(400, "Mã băm tệp không hợp lệ.")
    return sha256


def files_dir(request: Request) -> Path | None:
    folder = getattr(request.app.state, "files_dir", None) or os.environ.get("MOTCUA_CENTRAL_FILES_DIR")
    return Path(folder) if folder else None


def _store(request: Request) -> svc.Store:
    store: svc.Store = request.app.state.central.store
    return store


def referenced_for_unit(conn: Connection, sha256: str, dossier_id: str, unit_code: str) -> bool:
    """An event of ``dossier_id``, a dossier owned by or routed to ``unit_code``, names the file.

    The client says which dossier; the lookup then reads that dossier's events only
    (``ix_changes_dossier``), whatever the size of the change log.
    """
    row = conn.execute(
        text(
            "SELECT 1 FROM changes WHERE dossier_id = :d AND kind = 'event' "
            "AND (unit_code = :u OR target_unit_code = :u) AND payload LIKE :pat LIMIT 1"
        ),
        {"d": dossier_id, "u": unit_code, "pat": f"%{sha256}%"},
    ).first()
    return row is not None


def _part_path(folder: Path, sha256: str, complete: bool) -> Path:
    sub = folder / sha256[:2]
    return sub / (sha256 if complete else f"{sha256}.part")


# ------------------------------------------------------------------ upload
def _status(conn: Connection, sha256: str, *, lock: bool = False, pg: bool = False) -> Any:
    sql = "SELECT size, received, complete, storage FROM blobs WHERE sha256 = :h"
    if lock and pg:
        sql += " FOR UPDATE"
    return conn.execute(text(sql), {"h": sha256}).first()


def upload_status(store: svc.Store, device: svc.DeviceInfo, sha256: str, dossier_id: str) -> dict[str, Any]:
    with store.read() as conn:
        if not referenced_for_unit(conn, sha256, dossier_id, device.unit_code):
            raise HTTPException(404, "Không có sự kiện nào của đơn vị tham chiếu tệp này.")
        row = _status(conn, sha256)
    if row is None:
        return {"received": 0, "complete": False}
    return {"received": int(row.received), "complete": bool(row.complete), "size": int(row.size)}


def put_chunk(
    store: svc.Store,
    folder: Path | None,
    device: svc.DeviceInfo,
    sha256: str,
    dossier_id: str,
    offset: int,
    size: int,
    chunk: bytes,
) -> dict[str, Any]:
    if not 0 < size <= MAX_FILE:
        raise HTTPException(413, "Tệp quá lớn.")
    if offset < 0 or offset + len(chunk) > size or not chunk:
        raise HTTPException(400, "Vị trí đoạn tệp không hợp lệ.")
    corrupted = False
    with store.write() as conn:
        if not referenced_for_unit(conn, sha256, dossier_id, device.unit_code):
            raise HTTPException(
                409, "Tệp chưa được sự kiện nào của đơn vị tham chiếu: hãy đồng bộ hồ sơ trước rồi gửi tệp."
            )
        row = _status(conn, sha256, lock=True, pg=store.pg)
        if row is None:
            storage = "dir" if folder is not None else "db"
            conn.execute(
                text(
                    "INSERT INTO blobs (sha256, size, received, complete, storage, unit_code, created_at) "
                    "VALUES (:h, :s, 0, :f, :st, :u, :now)"
                ),
                {"h": sha256, "s": size, "f": False, "st": storage, "u": device.unit_code, "now": _now()},
            )
            if store.pg:
                row = _status(conn, sha256, lock=True, pg=True)
            else:
                row = _status(conn, sha256)
        if row.complete:
            return {"received": int(row.size), "complete": True}
        if int(row.size) != size:
            raise HTTPException(400, "Kích thước tệp không khớp với lần gửi trước.")
        received = int(row.received)
        if offset != received:
            raise HTTPException(409, {"message": "Sai vị trí đoạn tệp.", "received": received})
        if row.storage == "dir":
            if folder is None:
                raise HTTPException(500, "Thư mục lưu tệp của máy chủ chưa được cấu hình.")
            _write_part(folder, sha256, offset, chunk)
        else:
            conn.execute(
                text("DELETE FROM blob_chunks WHERE sha256 = :h AND pos >= :o"), {"h": sha256, "o": offset}
            )
            conn.execute(
                text("INSERT INTO blob_chunks (sha256, pos, data) VALUES (:h, :o, :d)"),
                {"h": sha256, "o": offset, "d": chunk},
            )
        received = offset + len(chunk)
        complete = received == size
        if complete and _stored_hash(conn, folder, sha256, row.storage) != sha256:
            # Corrupted somewhere: start again from zero (committed, then refused).
            conn.execute(text("DELETE FROM blob_chunks WHERE sha256 = :h"), {"h": sha256})
            conn.execute(text("UPDATE blobs SET received = 0 WHERE sha256 = :h"), {"h": sha256})
            if folder is not None:
                _part_path(folder, sha256, False).unlink(missing_ok=True)
            corrupted = True
        elif complete and row.storage == "dir" and folder is not None:
            os.replace(_part_path(folder, sha256, False), _part_path(folder, sha256, True))
        if not corrupted:
            conn.execute(
                text("UPDATE blobs SET received = :r, complete = :c, completed_at = :at WHERE sha256 = :h"),
                {"r": received, "c": complete, "at": _now() if complete else None, "h": sha256},
            )
    if corrupted:
        raise HTTPException(422, {"message": "Nội dung tệp không khớp mã băm.", "received": 0})
    return {"received": received, "complete": complete}


def _write_part(folder: Path, sha256: str, offset: int, chunk: bytes) -> None:
    path = _part_path(folder, sha256, False)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, offset)  # drop whatever a cut request left beyond the confirmed offset
        os.pwrite(fd, chunk, offset)
        os.fsync(fd)
    finally:
        os.close(fd)


def _stored_hash(conn: Connection, folder: Path | None, sha256: str, storage: str) -> str:
    digest = hashlib.sha256()
    for block in _iter_blob(conn, folder, sha256, storage, complete=False):
        digest.update(block)
    return digest.hexdigest()


def _iter_blob(
    conn: Connection, folder: Path | None, sha256: str, storage: str, *, complete: bool
) -> Iterator[bytes]:
    if storage == "dir":
        if folder is None:
            raise HTTPException(500, "Thư mục lưu tệp của máy chủ chưa được cấu hình.")
        with _part_path(folder, sha256, complete).open("rb") as f:
            while block := f.read(READ_BLOCK):
                yield block
        return
    result = conn.execute(text("SELECT data FROM blob_chunks WHERE sha256 = :h ORDER BY pos"), {"h": sha256})
    for (data,) in result:
        yield bytes(data)


def read_blob(
    store: svc.Store, folder: Path | None, device: svc.DeviceInfo, sha256: str, dossier_id: str
) -> tuple[int, list[bytes]]:
    with store.read() as conn:
        if not referenced_for_unit(conn, sha256, dossier_id, device.unit_code):
            raise HTTPException(403, "Tệp không thuộc hồ sơ của đơn vị hoặc hồ sơ chuyển đến đơn vị.")
        row = _status(conn, sha256)
        if row is None or not row.complete:
            raise HTTPException(404, "Máy chủ chưa nhận đủ tệp này.")
        # Files are at most MAX_FILE; read in the worker thread, answered from memory.
        blocks = list(_iter_blob(conn, folder, sha256, row.storage, complete=True))
    return int(row.size), blocks


# ------------------------------------------------------------------ routes
# Which dossier's event names the file: the access check reads only that dossier's events.
Dossier = Query(..., alias="dossier", min_length=1, max_length=64)


@router.get("/{sha256}/upload")
async def get_upload_status(
    sha256: str,
    request: Request,
    dossier_id: str = Dossier,
    device: svc.DeviceInfo = Depends(authenticate),  # noqa: B008
) -> dict[str, Any]:
    return await run_in_threadpool(upload_status, _store(request), device, _check_sha(sha256), dossier_id)


@router.put("/{sha256}/upload")
async def upload_chunk(
    sha256: str,
    request: Request,
    dossier_id: str = Dossier,
    offset: int = Query(..., ge=0),
    size: int = Query(..., gt=0),
    device: svc.DeviceInfo = Depends(authenticate),  # noqa: B008
) -> Any:
    _check_sha(sha256)
    try:
        chunk = await request.body()
    except ClientDisconnect:  # the connection broke mid-chunk: nothing stored, the desk resumes
        return Response(status_code=499)
    if len(chunk) > MAX_CHUNK:
        raise HTTPException(413, "Đoạn tệp quá lớn.")
    return await run_in_threadpool(
        put_chunk, _store(request), files_dir(request), device, sha256, dossier_id, offset, size, chunk
    )


@router.get("/{sha256}")
async def download(
    sha256: str,
    request: Request,
    dossier_id: str = Dossier,
    device: svc.DeviceInfo = Depends(authenticate),  # noqa: B008
) -> StreamingResponse:
    size, blocks = await run_in_threadpool(
        read_blob, _store(request), files_dir(request), device, _check_sha(sha256), dossier_id
    )
    return StreamingResponse(
        iter(blocks),
        media_type="application/octet-stream",
        headers={"Content-Length": str(size), "X-Content-SHA256": sha256},
    )
