"""index dossiers.applicant_id and flagged conflicts

Without it every change to an applicant row made SQLite scan all dossiers to
check the foreign key (about 1 s per returning applicant at 1,000,000 dossiers).

Revision ID: 0002b
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002b"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossiers_applicant", "dossiers", ["applicant_id"])
    # Few dossiers ever conflict: a partial index makes the dashboard count free.
    op.create_index(
        "ix_dossiers_conflict", "dossiers", ["has_conflict"], sqlite_where=sa.text("has_conflict = 1")
    )


def downgrade() -> None:
    raise NotImplementedError("station databases are only migrated forward")
