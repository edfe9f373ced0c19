"""Where a station keeps its sync token: the OS credential store, else an encrypted file.

The token lets a device push and pull a unit's dossiers, so it is not kept in
the station database (a copied or backed-up database would carry it). The OS
store (Windows Credential Manager, macOS Keychain, Secret Service) is used
through ``keyring`` when one is available; otherwise (a headless Linux box, a
kiosk without a desktop session) the token is encrypted with Fernet
(``cryptography``) into ``sync-credentials.json`` beside the station database,
with the key in ``credentials.key`` in the user's config folder; both files
are 0600. ``MOTCUA_CREDENTIALS=file`` forces the file store (tests, support).

Older versions kept the token in plain text in ``meta.sync_token``:
``station_token`` moves it into the store on first use and deletes it there.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete

from desk_app.config import config_dir, data_dir, make_private_dir, open_private
from desk_app.store import schema

if TYPE_CHECKING:
    from desk_app.services.station import Station

log = logging.getLogger(__name__)

SERVICE = "MotCuaDesk sync token"
TOKEN_FILE = "sync-credentials.json"
KEY_FILE = "credentials.key"
LEGACY_META_KEY = "sync_token"
BACKEND_ENV = "MOTCUA_CREDENTIALS"


def _os_keyring() -> Any | None:
    """The OS credential store, or None where there is none (or the file store is forced)."""
    if os.environ.get(BACKEND_ENV, "").lower() == "file":
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


# ---------------------------------------------------------------- encrypted file
def _fernet() -> Any:
    from cryptography.fernet import Fernet

    key_path = config_dir() / KEY_FILE
    if not key_path.exists():
        make_private_dir(key_path.parent)
        # Written whole under a unique name, then linked into place: a second process
        # starting at the same moment never reads a half-written key, nor replaces one in use.
        partial = key_path.with_name(f"{KEY_FILE}.{os.getpid()}.{uuid.uuid4().hex}")
        with os.fdopen(open_private(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb") as fh:
            fh.write(Fernet.generate_key())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(partial, key_path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return Fernet(key_path.read_bytes().strip())


def _token_path(folder: Path | None) -> Path:
    return (folder or data_dir()) / TOKEN_FILE


def _read_file(folder: Path | None) -> dict[str, str]:
    path = _token_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("credential file %s is unreadable; the station must enrol again", path.name)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_file(folder: Path | None, entries: dict[str, str]) -> None:
    path = _token_path(folder)
    make_private_dir(path.parent)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    with os.fdopen(open_private(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "w", encoding="utf-8") as fh:
        json.dump(entries, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, path)


def _file_get(station_id: str, folder: Path | None) -> str | None:
    from cryptography.fernet import InvalidToken

    sealed = _read_file(folder).get(station_id)
    if sealed is None:
        return None
    try:
        return str(_fernet().decrypt(sealed.encode("ascii")).decode("utf-8"))
    except (InvalidToken, ValueError):
        log.warning("sync token of station %s cannot be decrypted here; enrol again", station_id)
        return None


def _file_set(station_id: str, token: str, folder: Path | None) -> None:
    entries = _read_file(folder)
    entries[station_id] = _fernet().encrypt(token.encode("utf-8")).decode("ascii")
    _write_file(folder, entries)


def _file_delete(station_id: str, folder: Path | None) -> None:
    entries = _read_file(folder)
    if entries.pop(station_id, None) is not None:
        _write_file(folder, entries)


# ---------------------------------------------------------------- public API
# Every sync request needs the token: read the store once per process (an OS
# store may answer over D-Bus in tens of milliseconds).
_cache: dict[tuple[str, Path | None], str] = {}


def get_token(station_id: str, *, folder: Path | None = None) -> str | None:
    """The station's sync token, or None when it has none (not enrolled).

    ``folder`` is where the encrypted-file store keeps its file (the station's
    data folder, the folder of its database).
    """
    cached = _cache.get((station_id, folder))
    if cached is not None:
        return cached
    token = _load(station_id, folder)
    if token:
        _cache[(station_id, folder)] = token
    return token


def _load(station_id: str, folder: Path | None) -> str | None:
    backend = _os_keyring()
    if backend is not None:
        try:
            token = backend.get_password(SERVICE, station_id)
        except Exception:  # a locked or broken OS store: the file may still have it
            log.warning("OS credential store unavailable; using the encrypted file")
        else:
            if token:
                return str(token)
    return _file_get(station_id, folder)


def set_token(station_id: str, token: str, *, folder: Path | None = None) -> None:
    _cache.pop((station_id, folder), None)
    backend = _os_keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, station_id, token)
        except Exception:
            log.warning("OS credential store unavailable; storing the token in the encrypted file")
        else:
            _file_delete(station_id, folder)  # one copy only
            return
    _file_set(station_id, token, folder)


def delete_token(station_id: str, *, folder: Path | None = None) -> None:
    _cache.pop((station_id, folder), None)
    backend = _os_keyring()
    if backend is not None:
        try:
            backend.delete_password(SERVICE, station_id)
        except Exception:  # absent, or the store is unavailable
            log.debug("no token of station %s in the OS store", station_id)
    _file_delete(station_id, folder)


def _forget_legacy(conn: Connection) -> None:
    # secure_delete zeroes the deleted row in the file instead of leaving it in a free page.
    conn.exec_driver_sql("PRAGMA secure_delete=ON")
    conn.execute(delete(schema.meta).where(schema.meta.c.key == LEGACY_META_KEY))
    conn.exec_driver_sql("PRAGMA secure_delete=OFF")


def station_token(station: Station) -> str | None:
    """The sync token of a station; a plain token left in ``meta`` by older versions is moved here."""
    folder = station.db.path.parent
    token = get_token(station.device_id, folder=folder)
    if token:
        return token
    with station.uow() as uow:
        legacy = uow.meta.get(LEGACY_META_KEY)
        if not legacy:
            return None
        set_token(station.device_id, legacy, folder=folder)
        _forget_legacy(uow.conn)
        uow.commit()
    log.info("sync token of station %s moved out of the database", station.device_id)
    return str(legacy)


def store_station_token(station: Station, token: str) -> None:
    """Keep a newly issued token; a plain one left by an older version is deleted."""
    set_token(station.device_id, token, folder=station.db.path.parent)
    with station.uow() as uow:
        _forget_legacy(uow.conn)
        uow.commit()


__all__ = ["delete_token", "get_token", "set_token", "station_token", "store_station_token"]
