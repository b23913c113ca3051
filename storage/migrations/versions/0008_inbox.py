"""agents' inbox: hand-off priority, agent name, typing signal and kind; notes, canned replies, ratings

Revision ID: 0008_inbox
Revises: 0005
Create Date: 2026-12-01 09:40:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0008_inbox'
down_revision = '0007_integrity'
branch_labels = None
depends_on = None

# The shared library starts with a few replies; agents edit it from the console.
CANNED = [
    ("问候", "您好，我是示例证券两融客服，很高兴为您服务。请问有什么可以帮您？"),
    ("追保期限", "您的维持担保比例低于{{ margin_call.call_line | pct }}时需要追保：请在T+{{ margin_call.deadline_trading_days | int }}日收盘前，通过转入现金、证券或还款，把比例恢复到{{ margin_call.restore_to | pct }}以上，否则将从T+{{ margin_call.liquidation_from_day | int }}日起强制平仓。"),
    ("融资利率", "目前融资年利率为{{ interest.financing_annual_rate | pct }}，按实际使用金额和天数计息。"),
    ("服务时间", "人工客服服务时间为交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}，热线{{ broker.hotline | raw }}。"),
    ("结束语", "感谢您的耐心，还有其他问题随时联系我们。祝您投资顺利！"),
]


def upgrade() -> None:
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('agent_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('agent_typing_at', storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='chat', nullable=False))
        batch_op.create_index('ix_handoffs_state_priority', ['state', 'priority', 'created_at'], unique=False)
    op.create_table('handoff_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('agent_name', sa.String(length=64), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoff_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_notes_handoff_id'), ['handoff_id'], unique=False)
    canned = op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('handoff_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('handoff_id')
    )
    with op.batch_alter_table('handoff_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_ratings_at'), ['at'], unique=False)
    now = datetime.now(timezone.utc)
    op.bulk_insert(canned, [{"title": t, "body": b, "updated_by": "system", "updated_at": now} for t, b in CANNED])


def downgrade() -> None:
    with op.batch_alter_table('handoff_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_ratings_at'))
    op.drop_table('handoff_ratings')
    op.drop_table('canned_replies')
    with op.batch_alter_table('handoff_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_notes_handoff_id'))
    op.drop_table('handoff_notes')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_handoffs_state_priority')
        batch_op.drop_column('kind')
        batch_op.drop_column('agent_typing_at')
        batch_op.drop_column('agent_name')
        batch_op.drop_column('priority')
