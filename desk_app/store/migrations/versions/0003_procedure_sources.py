"""procedures: after-15:00 cut-off rule, source of the row's facts, code verified;
units: the one-stop body's name (NĐ 118/2025)

Revision ID: 0003_procedure_sources
Revises: 0002b
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_procedure_sources"
down_revision = "0002b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("procedures") as batch:
        # 'hard' keeps the behaviour catalogues had before the rule was per procedure.
        batch.add_column(sa.Column("cutoff", sa.String(), nullable=False, server_default="hard"))
        batch.add_column(sa.Column("source", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("code_verified", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("body_name", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    raise NotImplementedError("station databases are only migrated forward")
