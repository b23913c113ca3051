"""Schema migrations, demo data and the data-access layer (SQLite, or PostgreSQL via
BOT_TEST_DATABASE_URL — `make test` runs this file on both)."""

from decimal import Decimal

from sqlalchemy import func, inspect, select

from storage import migrate
from storage.db import engine_for, session_scope
from storage.models import AuditLog, Client, Position
from storage.repository import audit, audit_entries, has_open_margin_call, load_client
from storage.seed import seed


def test_schema_is_at_head(database_url):
    tables = set(inspect(engine_for(database_url)).get_table_names())
    assert {
        "clients",
        "risk_assessments",
        "credit_accounts",
        "securities",
        "positions",
        "debts",
        "margin_calls",
        "credit_line_changes",
        "audit_log",
        "answer_feedback",
        "alembic_version",
    } <= tables


def test_demo_clients_figures_come_from_positions(database_url):
    with session_scope(database_url) as s:
        c1 = load_client(s, "C1001")
        c2 = load_client(s, "C1002")
        c3 = load_client(s, "C1003")
        c4 = load_client(s, "C1004")
    assert c1.assessment.tier == "C3" and str(c1.assessment.assessed_on) == "2026-03-01"
    assert c1.account.snapshot.total_assets == Decimal("1300000")
    assert c1.account.snapshot.ratio == Decimal("2.6")
    assert c1.account.credit_line == Decimal("800000")
    assert c2.account is None and c2.assessment.tier == "C1"
    assert c3.account.snapshot.ratio == Decimal("1.28")
    assert c3.account.open_call is not None
    assert c3.account.open_call.deadline.isoformat() == "2026-11-27T07:00:00+00:00"  # 15:00 Shanghai
    assert c4.account.snapshot.ratio == Decimal("3.1")
    assert c4.account.snapshot.short_value == Decimal("1000000")
    assert c4.account.line_approved_by
    assert isinstance(c4.account.snapshot.cash, Decimal)


def test_seed_is_idempotent_and_upgrade_keeps_rows(database_url):
    with session_scope(database_url) as s:
        before = s.scalar(select(func.count()).select_from(Position))
        assert seed(s) == 0
    migrate.upgrade(database_url)  # re-running the migrations must not touch data
    with session_scope(database_url) as s:
        assert s.scalar(select(func.count()).select_from(Position)) == before
        assert s.get(Client, "C1001").name


def test_money_is_exact(database_url):
    with session_scope(database_url) as s:
        client = s.get(Client, "C1001")
        client.avg_daily_assets_20d = Decimal("1234567.89")
    with session_scope(database_url) as s:
        assert s.get(Client, "C1001").avg_daily_assets_20d == Decimal("1234567.89")
        s.get(Client, "C1001").avg_daily_assets_20d = Decimal("1300000")


def test_audit_log(database_url):
    with session_scope(database_url) as s:
        audit(s, actor="C1002", subject_client_id="C1002", action="test_lookup", detail="x")
    with session_scope(database_url) as s:
        rows = audit_entries(s, "C1002")
        assert rows[-1].action == "test_lookup" and rows[-1].actor == "C1002"
        assert rows[-1].at.tzinfo is not None
        assert s.scalar(select(func.count()).select_from(AuditLog)) >= 1


def test_unknown_client(database_url):
    with session_scope(database_url) as s:
        assert load_client(s, "C9999") is None
        assert load_client(s, "C1001' OR '1'='1") is None


def test_open_margin_call_check_agrees_with_the_full_record(database_url):
    with session_scope(database_url) as s:
        for client_id in ("C1001", "C1002", "C1003", "C1004", "C9999"):
            record = load_client(s, client_id)
            expected = bool(record and record.account and record.account.open_call)
            assert has_open_margin_call(s, client_id) == expected
        assert has_open_margin_call(s, "C1003")


def test_lookup_rows_agree_with_the_orm_relationships(database_url):
    """load_client reads plain rows; the ORM's relationships are the reference."""
    with session_scope(database_url) as s:
        for client in s.scalars(select(Client).order_by(Client.id)):
            record = load_client(s, client.id)
            assert (record.id, record.name, record.birth_date) == (client.id, client.name, client.birth_date)
            assert record.avg_daily_assets_20d == client.avg_daily_assets_20d
            account = client.account
            if account is None or account.status != "active":
                assert record.account is None
                continue
            snap = record.account.snapshot
            assert snap.cash == account.cash and record.account.credit_line == account.credit_line
            assert [(h.code, h.quantity, h.price) for h in snap.holdings] == [
                (p.security.code, p.quantity, p.security.last_price)
                for p in sorted(account.positions, key=lambda p: p.id)
            ]
            assert [(h.code, h.quantity) for h in snap.shorts] == [
                (d.security_code, d.quantity) for d in sorted(account.debts, key=lambda d: d.id) if d.kind == "short"
            ]
            assert snap.financing_debt == sum(d.principal for d in account.debts if d.kind == "financing")
            assert snap.accrued == sum(d.accrued for d in account.debts)


def test_lookup_reads_what_the_same_session_changed(database_url):
    with session_scope(database_url) as s:
        account = s.get(Client, "C1001").account
        account.cash += Decimal("1000")
        assert load_client(s, "C1001").account.snapshot.cash == account.cash
        s.rollback()
