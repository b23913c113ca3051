"""agent handoff

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:27:45.599550
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('faq_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('taken_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_sender_id'), ['sender_id'], unique=False)

    op.create_table('transcript_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=True),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', storage.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transcript_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_messages_sender_id'), ['sender_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transcript_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_messages_sender_id'))

    op.drop_table('transcript_messages')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_sender_id'))

    op.drop_table('handoffs')
    op.drop_table('agent_flags')
