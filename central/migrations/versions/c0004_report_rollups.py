"""central server: per-dossier report rows, their steps and fixes, daily/monthly/yearly roll-ups,
and the freshness of each unit's data (the province dashboard's fast path, ``central.rollups``)

Revision ID: c0004_report_rollups
Revises: c0003_notices
Create Date: 2026-11-30

The upgrade fills the new tables from the change log already stored (the same
code as ``motcua-central reports rebuild``), so an existing server's figures are
right as soon as it is migrated.
"""

import sqlalchemy as sa
from alembic import op

revision = "c0004_report_rollups"
down_revision = "c0003_notices"
branch_labels = None
depends_on = None

Big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = (
    "rcv_online",
    "rcv_direct",
    "rcv_post",
    "n_open",
    "n_overdue",
    "early",
    "on_time",
    "late",
    "dropped",
    "digitised",
    "results_digitised",
    "results_signed",
    "comp_open",
    "reused_open",
    "comp",
    "reused",
    "supplement_requests",
    "refusals",
    "extensions",
    "returned_by_post",
    "rated_rcv",
    "dissat_rcv",
    "rated_open",
    "dissat_open",
)


def _counters() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(c, sa.Integer(), nullable=False, server_default="0") for c in COLUMNS]


def upgrade() -> None:
    op.create_table(
        "report_dossiers",
        sa.Column("dossier_id", sa.String(), primary_key=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),  # competent unit (routing target or receiver)
        sa.Column("receiving_unit", sa.String(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("procedure_code", sa.String(), nullable=False),
        sa.Column("procedure_name", sa.Text(), nullable=False),
        sa.Column("applicant_name", sa.Text(), nullable=False),  # personal data: drill-down lists only
        sa.Column("head_seq", Big, nullable=False),
        sa.Column("received_us", Big, nullable=False),
        sa.Column("due_us", Big, nullable=True),
        sa.Column("finished_us", Big, nullable=True),
        sa.Column("last_event_us", Big, nullable=False),
        sa.Column("deadline_us", Big, nullable=True),
        sa.Column("overdue_after_us", Big, nullable=True),
        sa.Column("irregular", sa.Integer(), nullable=False),
    )
    op.create_index("ix_report_dossiers_unit_received", "report_dossiers", ["unit", "received_us"])
    op.create_index("ix_report_dossiers_received", "report_dossiers", ["received_us"])
    op.create_index("ix_report_dossiers_last_event", "report_dossiers", ["last_event_us"])
    op.create_index(
        "ix_report_dossiers_open",
        "report_dossiers",
        ["unit", "overdue_after_us"],
        postgresql_where=sa.text("finished_us IS NULL"),
        sqlite_where=sa.text("finished_us IS NULL"),
    )
    op.create_index(
        "ix_report_dossiers_irregular",
        "report_dossiers",
        ["unit"],
        postgresql_where=sa.text("irregular = 1"),
        sqlite_where=sa.text("irregular = 1"),
    )
    op.create_table(
        "report_steps",
        sa.Column("dossier_id", sa.String(), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("at_us", Big, nullable=False),
        sa.Column("strict", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        *_counters(),
    )
    op.create_index("ix_report_steps_at", "report_steps", ["at_us"])
    op.create_index("ix_report_steps_unit_at", "report_steps", ["unit", "at_us"])  # drill-down lists
    op.create_table(
        "report_fixes",
        sa.Column("dossier_id", sa.String(), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("finished_us", Big, nullable=False),
        sa.Column("at_us", Big, nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        *_counters(),
    )
    op.create_index("ix_report_fixes_at", "report_fixes", ["at_us"])
    op.create_table(
        "report_rollups",
        # f: per (unit, field, channel); u: per unit (field, channel ""); p: per field (unit, channel "")
        sa.Column("scope", sa.String(1), primary_key=True),
        sa.Column("grain", sa.String(1), primary_key=True),  # d | m | y
        sa.Column("bucket", sa.String(10), primary_key=True),  # first day of the bucket, YYYY-MM-DD
        sa.Column("unit", sa.String(), primary_key=True),
        sa.Column("field", sa.Text(), primary_key=True),
        sa.Column("channel", sa.String(), primary_key=True),
        *_counters(),
    )
    op.create_index("ix_report_rollups_unit", "report_rollups", ["scope", "unit", "grain", "bucket"])
    op.create_table(
        "unit_freshness",
        sa.Column("unit_code", sa.String(), primary_key=True),
        sa.Column("last_change_at", sa.String(), nullable=False),
    )
    from central.rollups import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    for table in ("unit_freshness", "report_rollups", "report_fixes", "report_steps", "report_dossiers"):
        op.drop_table(table)
