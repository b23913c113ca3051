"""integrity: change requests (two people for every change clients see), flagged history events

Revision ID: 0007_integrity
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007_integrity"
down_revision = "0006_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("faq_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("result_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["faq_id"], ["kb_entries.faq_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kb_change_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_change_requests_faq_id"), ["faq_id"], unique=False)
    with op.batch_alter_table("kb_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("kb_events", schema=None) as batch_op:
        batch_op.drop_column("flagged")
    with op.batch_alter_table("kb_change_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_change_requests_faq_id"))
    op.drop_table("kb_change_requests")
