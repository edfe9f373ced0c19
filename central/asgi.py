"""ASGI entry point for ``uvicorn central.asgi:app`` (database from ``MOTCUA_CENTRAL_DB``)."""

import os

from central import logs
from central.app import create_app

logs.configure()
app = create_app(run_migrations=False, trusted_proxy=os.environ.get("MOTCUA_TRUSTED_PROXY") or None)
