"""ASGI entry point for ``uvicorn central.asgi:app`` (database from ``MOTCUA_CENTRAL_DB``)."""

from central import logs
from central.app import create_app

logs.configure()
app = create_app(run_migrations=False)
