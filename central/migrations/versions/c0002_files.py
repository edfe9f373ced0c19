"""central server: files (scans, signed e-results) uploaded in chunks, stored in the database or a folder

Revision ID: c0002_files
Revises: c0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002_files"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("storage", sa.String(8), nullable=False),  # db | dir
        sa.Column("unit_code", sa.String(), nullable=False),  # first uploader's unit
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("completed_at", sa.String(), nullable=True),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("pos", sa.BigInteger(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
