"""Local store: SQLite (WAL) through SQLAlchemy Core, alembic migrations, unit of work."""
