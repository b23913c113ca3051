"""answer feedback from the chat widget

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("faq_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_answer_feedback_faq_id", "answer_feedback", ["faq_id"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_faq_id", table_name="answer_feedback")
    op.drop_table("answer_feedback")
