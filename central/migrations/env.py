"""Alembic environment of the central server (engine handed over by ``central.db.migrate``)."""

from __future__ import annotations

from alembic import context

from central.models import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # `alembic` command line: build from the URL in the config
    from central.db import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # Several uvicorn workers may start at once: one migrates, the others wait.
        connection.exec_driver_sql("SELECT pg_advisory_lock(815001)")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_unlock(815001)")
        connection.commit()
