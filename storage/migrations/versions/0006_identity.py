"""identity: staff accounts can be disabled and carry a token version; failed logins

Revision ID: 0006_identity
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0006_identity'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('editors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('token_version', sa.Integer(), nullable=False, server_default='0'))

    op.create_table('staff_login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_login_failures_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_login_failures_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_failures_username'))
        batch_op.drop_index(batch_op.f('ix_staff_login_failures_ip'))
        batch_op.drop_index(batch_op.f('ix_staff_login_failures_at'))

    op.drop_table('staff_login_failures')
    with op.batch_alter_table('editors', schema=None) as batch_op:
        batch_op.drop_column('token_version')
        batch_op.drop_column('active')
