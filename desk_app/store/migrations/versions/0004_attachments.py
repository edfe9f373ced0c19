"""files: the station's content-addressed blobs (scans, signed results) and their upload state

Revision ID: 0004_attachments
Revises: 0003_procedure_sources
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_attachments"
down_revision = "0003_procedure_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("sha256", sa.String(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime", sa.String(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("dossier_id", sa.String(), nullable=False, server_default=""),  # first dossier naming it
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("uploaded_at", sa.String(), nullable=True),
    )
    op.create_index("ix_files_pending_upload", "files", ["uploaded_at"])


def downgrade() -> None:
    raise NotImplementedError("station databases are only migrated forward")
