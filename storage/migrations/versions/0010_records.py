"""records and privacy: audit hash chain, risk-reminder record, verified conversations

Revision ID: 0010_records
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import storage.types
from storage.records import GENESIS, audit_row_hash

revision = "0010_records"
down_revision = "0009_widget_editor"
branch_labels = None
depends_on = None

# risk_notices is append-only: the database itself refuses to change a row
SQLITE_TRIGGER = """
CREATE TRIGGER risk_notices_append_only BEFORE UPDATE ON risk_notices
BEGIN SELECT RAISE(ABORT, 'risk_notices is append-only'); END
"""
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION risk_notices_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'risk_notices is append-only'; END $$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER risk_notices_append_only BEFORE UPDATE ON risk_notices
FOR EACH ROW EXECUTE FUNCTION risk_notices_append_only()
"""


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "risk_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_risk_notices_at", "risk_notices", ["at"])
    op.create_index("ix_risk_notices_client_id", "risk_notices", ["client_id"])
    op.create_table(
        "conversation_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("first_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sender_id", "client_id"),
    )
    op.create_index("ix_conversation_clients_sender_id", "conversation_clients", ["sender_id"])
    op.create_index("ix_conversation_clients_client_id", "conversation_clients", ["client_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)
    _seal_existing(bind, chain)


def _seal_existing(bind, chain) -> None:
    """Chain the audit rows written before this migration, in id order."""
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", storage.types.UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("actor_role", sa.String()),
        sa.column("subject_client_id", sa.String()),
        sa.column("action", sa.String()),
        sa.column("detail", sa.Text()),
        sa.column("prev_hash", sa.String()),
        sa.column("row_hash", sa.String()),
    )
    prev, last_id = GENESIS, 0
    for row in bind.execute(sa.select(audit).order_by(audit.c.id)).mappings().all():
        digest = audit_row_hash(
            prev,
            row["id"],
            row["at"],
            row["actor"],
            row["actor_role"],
            row["subject_client_id"],
            row["action"],
            row["detail"],
        )
        bind.execute(audit.update().where(audit.c.id == row["id"]).values(prev_hash=prev, row_hash=digest))
        prev, last_id = digest, row["id"]
    bind.execute(chain.insert().values(id=1, last_id=last_id, last_hash=prev, base_id=0, base_hash=GENESIS))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS risk_notices_append_only ON risk_notices")
        op.execute("DROP FUNCTION IF EXISTS risk_notices_append_only()")
    op.drop_index("ix_conversation_clients_client_id", table_name="conversation_clients")
    op.drop_index("ix_conversation_clients_sender_id", table_name="conversation_clients")
    op.drop_table("conversation_clients")
    op.drop_index("ix_risk_notices_client_id", table_name="risk_notices")
    op.drop_index("ix_risk_notices_at", table_name="risk_notices")
    op.drop_table("risk_notices")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
