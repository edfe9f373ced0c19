"""Where a station keeps its files, and logging to a rotating file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

APP_NAME = "MotCuaDesk"
APP_AUTHOR = "MotCua"


def data_dir() -> Path:
    override = os.environ.get("MOTCUA_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def default_db_path() -> Path:
    return data_dir() / "station.sqlite3"


def log_dir() -> Path:
    override = os.environ.get("MOTCUA_DATA_DIR")
    return Path(override) / "logs" if override else Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def setup_file_logging(level: int = logging.INFO) -> Path:
    """Named loggers go to a rotating file in the platform log folder (support staff read it)."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "motcua.log"
    import logging.handlers  # only when the GUI sets up its log file

    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(min(root.level or level, level))
    root.addHandler(handler)
    return path
