"""queue tables (tickets, events, config) with seed defaults

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

import desk_app.store.queue_schema  # noqa: F401  (registers the tables on metadata for autogenerate)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    settings = op.create_table(
        "queue_settings",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    queues = op.create_table(
        "queue_queues",
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    services = op.create_table(
        "queue_services",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("queue_code", sa.String(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    counters = op.create_table(
        "queue_counters",
        sa.Column("no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("queue_codes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("no"),
    )
    op.create_table(
        "queue_series",
        sa.Column("queue_code", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("normal_streak", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("queue_code", "day"),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("queue_code", sa.String(), nullable=False),
        sa.Column("series", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("service_id", sa.String(), nullable=False),
        sa.Column("service_name", sa.Text(), nullable=False),
        sa.Column("priority_reason", sa.String(), nullable=True),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reserved_at", sa.String(), nullable=False),
        sa.Column("issued_at", sa.String(), nullable=True),
        sa.Column("front_at", sa.String(), nullable=True),
        sa.Column("target_counter", sa.Integer(), nullable=True),
        sa.Column("counter_no", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(), nullable=False),
        sa.Column("called_at", sa.String(), nullable=True),
        sa.Column("started_at", sa.String(), nullable=True),
        sa.Column("finished_at", sa.String(), nullable=True),
        sa.Column("no_show_at", sa.String(), nullable=True),
        sa.Column("dossier_ids", sa.JSON(), nullable=False),
        sa.Column("print_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series", "day", "number", name="uq_queue_tickets_number"),
    )
    with op.batch_alter_table("queue_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_queue_tickets_day_state", ["day", "state"], unique=False)
        batch_op.create_index(
            "ix_queue_tickets_waiting",
            ["queue_code", "day", "state", "priority", "issued_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_queue_tickets_counter", ["counter_no", "state"], unique=False)
    op.create_table(
        "queue_events",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("ticket_label", sa.String(), nullable=False),
        sa.Column("queue_code", sa.String(), nullable=False),
        sa.Column("counter_no", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("queue_events", schema=None) as batch_op:
        batch_op.create_index("ix_queue_events_day", ["day"], unique=False)
        batch_op.create_index("ix_queue_events_ticket", ["ticket_id"], unique=False)

    # Seed defaults: a commune office can start issuing numbers right away.
    op.bulk_insert(
        settings,
        [
            {"key": "priority_mode", "value": "strict"},  # strict | interleaved
            {"key": "interleave_every", "value": 3},  # interleaved: one priority after every N normal
            {"key": "no_show_tolerance_min", "value": 10},
            {"key": "service_level_min", "value": 15},
            {"key": "office_name", "value": "Bộ phận Một cửa"},
        ],
    )
    op.bulk_insert(
        queues,
        [
            {"code": "A", "name": "Hộ tịch", "sort": 1, "active": True},
            {"code": "B", "name": "Chứng thực", "sort": 2, "active": True},
            {"code": "C", "name": "Đất đai – Xây dựng", "sort": 3, "active": True},
            {"code": "D", "name": "Khác", "sort": 4, "active": True},
        ],
    )
    op.bulk_insert(
        services,
        [
            {
                "id": "ho_tich",
                "name": "Hộ tịch (khai sinh, kết hôn, khai tử)",
                "queue_code": "A",
                "sort": 1,
                "active": True,
            },
            {
                "id": "chung_thuc",
                "name": "Chứng thực bản sao, chữ ký",
                "queue_code": "B",
                "sort": 2,
                "active": True,
            },
            {"id": "dat_dai", "name": "Đất đai – Xây dựng", "queue_code": "C", "sort": 3, "active": True},
            {"id": "khac", "name": "Thủ tục khác", "queue_code": "D", "sort": 4, "active": True},
        ],
    )
    op.bulk_insert(
        counters,
        [
            {"no": 1, "name": "Quầy 1", "queue_codes": ["A"], "active": True},
            {"no": 2, "name": "Quầy 2", "queue_codes": ["B"], "active": True},
            {"no": 3, "name": "Quầy 3", "queue_codes": ["C"], "active": True},
            {"no": 4, "name": "Quầy 4", "queue_codes": ["A", "B", "C", "D"], "active": True},
        ],
    )


def downgrade() -> None:
    for name in (
        "queue_events",
        "queue_tickets",
        "queue_series",
        "queue_counters",
        "queue_services",
        "queue_queues",
        "queue_settings",
    ):
        op.drop_table(name)
