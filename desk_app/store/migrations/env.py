"""Alembic environment: runs on the engine handed over by ``Database``."""

from __future__ import annotations

from alembic import context

from desk_app.store.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` command line: build from the URL in the config
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: set sqlalchemy.url (e.g. -x or alembic.ini) to the station database URL")
    engine = create_engine(url)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
