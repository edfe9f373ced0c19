"""Where a station keeps its files, and logging to a rotating file.

A station's files (database, WAL, backups, logs, credentials) are readable by
its user only: files 0600 in folders 0700, whatever the umask.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

APP_NAME = "MotCuaDesk"
APP_AUTHOR = "MotCua"
FILE_MODE = 0o600
DIR_MODE = 0o700
# Windows has no POSIX modes (os.getuid, os.fchmod): there the profile folders' ACLs keep files private.
POSIX_MODES = hasattr(os, "getuid") and hasattr(os, "fchmod")
LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 5


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) 0700 whatever the umask; an existing folder is left alone."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE, exist_ok=True)
        if POSIX_MODES:
            os.chmod(d, DIR_MODE)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND | os.O_CREAT) -> int:
    """``os.open`` that creates 0600 and tightens an existing file we own to 0600."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        st = os.fstat(fd)
        if POSIX_MODES and st.st_uid == os.getuid() and st.st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def data_dir() -> Path:
    override = os.environ.get("MOTCUA_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs  # only where no folder is given (a few ms at every start otherwise)

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_db_path() -> Path:
    return data_dir() / "station.sqlite3"


def config_dir() -> Path:
    override = os.environ.get("MOTCUA_DATA_DIR")
    if override:
        return Path(override) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    override = os.environ.get("MOTCUA_DATA_DIR")
    if override:
        return Path(override) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and each new one after rotation) are 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        return open(
            open_private(Path(self.baseFilename)), self.mode, encoding=self.encoding, errors=self.errors
        )


def setup_file_logging(level: int = logging.INFO) -> Path:
    """Named loggers go to a rotating file in the platform log folder (support staff read it).

    Log lines carry ids, never names, CCCD or phone numbers: SQL parameters are
    hidden from database errors (``desk_app.store.db``).
    """
    folder = log_dir()
    make_private_dir(folder)
    path = folder / "motcua.log"
    handler = PrivateRotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(min(root.level or level, level))
    root.addHandler(handler)
    return path
