"""knowledge publishing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:15:51.311935
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('editors',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('username')
    )
    op.create_table('kb_entries',
    sa.Column('faq_id', sa.String(length=64), nullable=False),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('lock', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('faq_id')
    )
    op.create_table('kb_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('faq_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('diff', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kb_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_events_faq_id'), ['faq_id'], unique=False)

    op.create_table('kb_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lectures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('question_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('likely_faq_id', sa.String(length=64), nullable=True),
    sa.Column('score', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_log_likely_faq_id'), ['likely_faq_id'], unique=False)

    op.create_table('kb_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('faq_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=True),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('reviewed_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('published_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['faq_id'], ['kb_entries.faq_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('faq_id', 'version')
    )
    with op.batch_alter_table('kb_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_versions_faq_id'), ['faq_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('kb_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_versions_faq_id'))

    op.drop_table('kb_versions')
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_log_likely_faq_id'))

    op.drop_table('question_log')
    op.drop_table('lectures')
    op.drop_table('kb_state')
    with op.batch_alter_table('kb_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_events_faq_id'))

    op.drop_table('kb_events')
    op.drop_table('kb_entries')
    op.drop_table('editors')
