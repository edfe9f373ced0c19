"""Procedure catalogue use cases: import a file into the station database, seed, export.

The file formats (JSON schema, seed, .xlsx/.csv parsing and writing) live in
``desk_app.formats.catalog_files``, which has no database access; the names are
re-exported here for the desk's callers. An import is all-or-nothing so a unit
never runs on half a catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from desk_app.domain.model import Procedure
from desk_app.formats.catalog_files import (
    COLUMNS,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
    SCHEMA_VERSION,
    SEED_RESOURCE,
    CatalogImportError,
    component_key,
    components_text,
    dump_json,
    fee_text,
    load_seed,
    parse_catalog_file,
    parse_components,
    parse_fee,
    parse_level,
    parse_rows,
    parse_time,
    procedure_from_dict,
    procedure_to_dict,
    time_text,
    write_catalog_file,
)
from desk_app.store.db import Database
from desk_app.store.uow import UnitOfWork


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _store(db: Database, procedures: Sequence[Procedure]) -> int:
    with UnitOfWork(db) as uow:
        n = uow.procedures.upsert_many(procedures, _now_iso())
        uow.commit()
    return n


def import_catalog(db: Database, path: str | Path) -> int:
    """Parse then upsert in one transaction; returns the number of procedures imported."""
    return _store(db, parse_catalog_file(path))


def seed_catalog(db: Database) -> int:
    return _store(db, load_seed())


def export_catalog(procedures: Iterable[Procedure], path: str | Path) -> int:
    """Write procedures as .csv or .xlsx in the import layout; returns the row count."""
    return write_catalog_file(procedures, path)


def export_catalog_from_db(db: Database, path: str | Path) -> int:
    """The station's whole catalogue to a .csv or .xlsx file; returns the row count."""
    with UnitOfWork(db, write=False) as uow:
        procedures = uow.procedures.all()
    return write_catalog_file(procedures, path)


__all__ = [
    "COLUMNS",
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "SCHEMA_VERSION",
    "SEED_RESOURCE",
    "CatalogImportError",
    "component_key",
    "components_text",
    "dump_json",
    "export_catalog",
    "export_catalog_from_db",
    "fee_text",
    "import_catalog",
    "load_seed",
    "parse_catalog_file",
    "parse_components",
    "parse_fee",
    "parse_level",
    "parse_rows",
    "parse_time",
    "procedure_from_dict",
    "procedure_to_dict",
    "seed_catalog",
    "time_text",
]
