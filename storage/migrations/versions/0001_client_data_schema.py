"""client data schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 12:33:48.648275
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('subject_client_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_subject_client_id'), ['subject_client_id'], unique=False)

    op.create_table('clients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('trading_since', sa.Date(), nullable=False),
    sa.Column('avg_daily_assets_20d', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('major_violation_3y', sa.Boolean(), nullable=False),
    sa.Column('broker_related_party', sa.Boolean(), nullable=False),
    sa.Column('credit_account_elsewhere', sa.Boolean(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('vip_manager', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('securities',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('haircut_class', sa.String(length=32), nullable=False),
    sa.Column('last_price', storage.types.Money(precision=18, scale=4), nullable=False),
    sa.Column('price_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('credit_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('credit_line', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('line_set_on', sa.Date(), nullable=False),
    sa.Column('line_approved_by', sa.String(length=64), nullable=True),
    sa.Column('cash', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    op.create_table('risk_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=2), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_client_id'), ['client_id'], unique=False)

    op.create_table('credit_line_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('old_line', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('new_line', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('changed_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('notified_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['credit_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('credit_line_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_line_changes_account_id'), ['account_id'], unique=False)

    op.create_table('debts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('principal', storage.types.Money(precision=18, scale=2), nullable=True),
    sa.Column('security_code', sa.String(length=16), nullable=True),
    sa.Column('quantity', storage.types.Money(precision=18, scale=0), nullable=True),
    sa.Column('accrued', storage.types.Money(precision=18, scale=2), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['credit_accounts.id'], ),
    sa.ForeignKeyConstraint(['security_code'], ['securities.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('debts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debts_account_id'), ['account_id'], unique=False)

    op.create_table('margin_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('deadline', storage.types.UTCDateTime(), nullable=False),
    sa.Column('ratio_at_call', storage.types.Money(precision=10, scale=4), nullable=False),
    sa.Column('resolved_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['credit_accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('margin_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_margin_calls_account_id'), ['account_id'], unique=False)

    op.create_table('positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('security_code', sa.String(length=16), nullable=False),
    sa.Column('quantity', storage.types.Money(precision=18, scale=0), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['credit_accounts.id'], ),
    sa.ForeignKeyConstraint(['security_code'], ['securities.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'security_code')
    )
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_positions_account_id'), ['account_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_positions_account_id'))

    op.drop_table('positions')
    with op.batch_alter_table('margin_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_margin_calls_account_id'))

    op.drop_table('margin_calls')
    with op.batch_alter_table('debts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debts_account_id'))

    op.drop_table('debts')
    with op.batch_alter_table('credit_line_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_line_changes_account_id'))

    op.drop_table('credit_line_changes')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_assessments_client_id'))

    op.drop_table('risk_assessments')
    op.drop_table('credit_accounts')
    op.drop_table('securities')
    op.drop_table('clients')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject_client_id'))

    op.drop_table('audit_log')
