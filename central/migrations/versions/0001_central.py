"""central server: units, devices, enrolment codes, change log, dossiers, leases

Revision ID: c0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_devices_unit", "devices", ["unit_code"])
    op.create_table(
        "enrol_codes",
        sa.Column("code_hash", sa.String(), primary_key=True),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("expires_at", sa.String(), nullable=False),
        sa.Column("used_at", sa.String(), nullable=True),
        sa.Column("device_id", sa.String(), nullable=True),
    )
    op.create_table(
        "changes",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("change_id", sa.String(), nullable=False, unique=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("target_unit_code", sa.String(), nullable=False),
        sa.Column("dossier_id", sa.String(), nullable=True),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_changes_unit_seq", "changes", ["unit_code", "seq"])
    op.create_index("ix_changes_target_seq", "changes", ["target_unit_code", "seq"])
    op.create_index("ix_changes_dossier", "changes", ["dossier_id"])
    op.create_table(
        "dossiers",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("target_unit_code", sa.String(), nullable=False),
        sa.Column("received_at", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
    )
    op.create_index("ix_central_dossiers_code", "dossiers", ["code"])
    op.create_index("ix_central_dossiers_unit", "dossiers", ["unit_code"])
    op.create_index("ix_central_dossiers_target", "dossiers", ["target_unit_code"])
    op.create_table(
        "unit_heads",
        sa.Column("unit_code", sa.String(), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "lease_counters",
        sa.Column("unit_code", sa.String(), primary_key=True),
        sa.Column("day", sa.String(), primary_key=True),
        sa.Column("next_free", sa.Integer(), nullable=False),
    )
    op.create_table(
        "lease_grants",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
    )
    op.create_index("ix_lease_grants_unit_day", "lease_grants", ["unit_code", "day"])


def downgrade() -> None:
    for name in (
        "lease_grants",
        "lease_counters",
        "unit_heads",
        "dossiers",
        "changes",
        "enrol_codes",
        "devices",
        "units",
    ):
        op.drop_table(name)
