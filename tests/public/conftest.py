"""Fixtures of the public-web tests: the sync tests' live server, PostgreSQL and stations."""

from __future__ import annotations

from tests.sync.conftest import db_url, pg_cluster, server, station_factory  # noqa: F401 - fixtures
