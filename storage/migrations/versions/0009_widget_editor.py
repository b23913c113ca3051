"""widget and editor: 没帮助 reasons, hot questions edited by the education team, question_log by time

Revision ID: 0009_widget_editor
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0009_widget_editor'
down_revision = '0008_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=16), nullable=True))
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_log_at'), ['at'], unique=False)
    op.create_table('hot_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('hot_questions')
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_log_at'))
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.drop_column('reason')
