"""report rows: one period-independent row per dossier for the reports, and its marks

Revision ID: 0006_report_rows
Revises: 0005_notices
Create Date: 2026-11-30

The rows are derived from the events (``desk_app.reports.rows``); the dossiers
that exist are filled in batches here (3–4 minutes for 1,000,000 dossiers with
4 million events on the development machine, see ``docs/reports.md``).
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0006_report_rows"
down_revision = "0005_notices"
branch_labels = None
depends_on = None

log = logging.getLogger("desk_app.store.migrations")


def upgrade() -> None:
    op.create_table(
        "dossier_report_rows",
        sa.Column("received_at", sa.String(), nullable=False),
        sa.Column("dossier_id", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("procedure_code", sa.String(), nullable=False),
        sa.Column("officer", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("competent_unit", sa.String(), nullable=False),
        sa.Column("first_event_at", sa.String(), nullable=False),
        sa.Column("last_event_at", sa.String(), nullable=False),
        sa.Column("regular", sa.Integer(), nullable=False),
        sa.Column("exact_from", sa.String(), nullable=False),
        sa.Column("finished_at", sa.String(), nullable=True),
        sa.Column("finish", sa.String(), nullable=False),
        sa.Column("resolved_at", sa.String(), nullable=True),
        sa.Column("dropped_at", sa.String(), nullable=True),
        sa.Column("overdue_from", sa.String(), nullable=True),
        sa.Column("deadline", sa.String(), nullable=True),
        sa.Column("appointment", sa.String(), nullable=True),
        sa.Column("paused_since", sa.String(), nullable=True),
        sa.Column("supplement_requests", sa.Integer(), nullable=False),
        sa.Column("over_limit_at", sa.String(), nullable=True),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("flags", sa.String(), nullable=False),
        sa.Column("components_digitised", sa.Integer(), nullable=False),
        sa.Column("components_reused", sa.Integer(), nullable=False),
        sa.Column("result_digitised", sa.Integer(), nullable=False),
        sa.Column("result_signed", sa.Integer(), nullable=False),
        sa.Column("component_files_at", sa.String(), nullable=False),
        sa.Column("result_files_at", sa.String(), nullable=False),
        sa.Column("rating", sa.String(), nullable=True),
        sa.Column("long_lived", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("received_at", "dossier_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dossier_report_marks",
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("dossier_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("at", "dossier_id", "kind", "n"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dossier_report_days",
        sa.Column("received_day", sa.String(), nullable=False),
        sa.Column("finished_day", sa.String(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("procedure_code", sa.String(), nullable=False),
        sa.Column("officer", sa.String(), nullable=False),
        sa.Column("competent_unit", sa.String(), nullable=False),
        sa.Column("finish", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("components_digitised", sa.Integer(), nullable=False),
        sa.Column("components_reused", sa.Integer(), nullable=False),
        sa.Column("digitised", sa.Integer(), nullable=False),
        sa.Column("results_digitised", sa.Integer(), nullable=False),
        sa.Column("results_signed", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("dissatisfied", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "received_day",
            "finished_day",
            "field",
            "channel",
            "procedure_code",
            "officer",
            "competent_unit",
            "finish",
        ),
        sqlite_with_rowid=False,
    )
    # Fill before indexing: one sort per index instead of a b-tree insert per row.
    from desk_app.store.report_rows import backfill

    written = backfill(op.get_bind())
    log.info("report rows: %d dossiers", written)
    op.create_index("ix_report_rows_dossier", "dossier_report_rows", ["dossier_id"], unique=True)
    op.create_index("ix_report_rows_finished", "dossier_report_rows", ["finished_at"])
    op.create_index("ix_report_rows_unit_received", "dossier_report_rows", ["competent_unit", "received_at"])
    op.create_index("ix_report_rows_field_received", "dossier_report_rows", ["field", "received_at"])
    op.create_index(
        "ix_report_rows_irregular",
        "dossier_report_rows",
        ["exact_from"],
        sqlite_where=sa.text("regular = 0"),
    )
    op.create_index(
        "ix_report_rows_long",
        "dossier_report_rows",
        ["received_at"],
        sqlite_where=sa.text("long_lived = 1"),
    )
    op.create_index(
        "ix_report_rows_unsettled_finished",
        "dossier_report_rows",
        ["finished_at"],
        sqlite_where=sa.text("settled = 0"),
    )
    op.create_index("ix_report_days_finished", "dossier_report_days", ["finished_day", "received_day"])
    op.create_index("ix_report_marks_dossier", "dossier_report_marks", ["dossier_id"])


def downgrade() -> None:
    raise NotImplementedError("station databases are only migrated forward")
