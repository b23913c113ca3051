"""SQLAlchemy schema of the broker's client data. Money is exact Decimal (actions/data/types.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship

from storage.types import Money, UTCDateTime

# SQLAlchemy 1.4 ships no type information (it is all Any to mypy), hence the annotation.
Base: Any = declarative_base()
MONEY = Money(18, 2)
QTY = Money(18, 0)
PRICE = Money(18, 4)
RATIO = Money(10, 4)


class Client(Base):
    __tablename__ = "clients"
    id = Column(String(32), primary_key=True)  # C1001
    name = Column(String(64), nullable=False)
    birth_date = Column(Date, nullable=False)
    trading_since = Column(Date, nullable=False)  # first securities trade
    avg_daily_assets_20d = Column(MONEY, nullable=False)  # 前20个交易日日均证券类资产
    major_violation_3y = Column(Boolean, nullable=False, default=False)
    broker_related_party = Column(Boolean, nullable=False, default=False)
    credit_account_elsewhere = Column(Boolean, nullable=False, default=False)
    phone = Column(String(32))
    vip_manager = Column(String(64))

    assessments = relationship("RiskAssessment", back_populates="client", order_by="RiskAssessment.assessed_on")
    account = relationship("CreditAccount", back_populates="client", uselist=False)


class RiskAssessment(Base):
    __tablename__ = "risk_assessments"
    id = Column(Integer, primary_key=True)
    client_id = Column(String(32), ForeignKey("clients.id"), nullable=False, index=True)
    tier = Column(String(2), nullable=False)  # C1..C5
    assessed_on = Column(Date, nullable=False)  # expiry = + policy validity months
    client = relationship("Client", back_populates="assessments")


class CreditAccount(Base):
    __tablename__ = "credit_accounts"
    id = Column(Integer, primary_key=True)
    client_id = Column(String(32), ForeignKey("clients.id"), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default="active")  # active | closed
    opened_on = Column(Date, nullable=False)
    credit_line = Column(MONEY, nullable=False)
    line_set_on = Column(Date, nullable=False)
    line_approved_by = Column(String(64))  # set for VIP lines above the cap
    cash = Column(MONEY, nullable=False, default=Decimal("0"))
    client = relationship("Client", back_populates="account")
    positions = relationship("Position", back_populates="account")
    debts = relationship("Debt", back_populates="account")


class Security(Base):
    __tablename__ = "securities"
    code = Column(String(16), primary_key=True)  # 600519.SH
    name = Column(String(64), nullable=False)
    # haircut class = key of margin.haircuts in policy.yml (csi300, other_stock, etf, …)
    haircut_class = Column(String(32), nullable=False)
    last_price = Column(PRICE, nullable=False)
    price_at = Column(UTCDateTime(), nullable=False)


class Position(Base):
    __tablename__ = "positions"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("credit_accounts.id"), nullable=False, index=True)
    security_code = Column(String(16), ForeignKey("securities.code"), nullable=False)
    quantity = Column(QTY, nullable=False)
    account = relationship("CreditAccount", back_populates="positions")
    security = relationship("Security")
    __table_args__ = (UniqueConstraint("account_id", "security_code"),)


class Debt(Base):
    """A financing debt (principal in yuan) or a short position (quantity of a security)."""

    __tablename__ = "debts"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("credit_accounts.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # financing | short
    principal = Column(MONEY)  # financing
    security_code = Column(String(16), ForeignKey("securities.code"))  # short
    quantity = Column(QTY)  # short
    accrued = Column(MONEY, nullable=False, default=Decimal("0"))  # interest / fees
    opened_on = Column(Date, nullable=False)
    due_on = Column(Date, nullable=False)  # contract term end
    account = relationship("CreditAccount", back_populates="debts")
    security = relationship("Security")


class MarginCall(Base):
    __tablename__ = "margin_calls"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("credit_accounts.id"), nullable=False, index=True)
    state = Column(String(16), nullable=False, default="open")  # open | resolved | liquidated
    since = Column(Date, nullable=False)  # T: close below the call line
    deadline = Column(UTCDateTime(), nullable=False)  # close of T+2
    ratio_at_call = Column(RATIO, nullable=False)
    resolved_at = Column(UTCDateTime())


class CreditLineChange(Base):
    __tablename__ = "credit_line_changes"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("credit_accounts.id"), nullable=False, index=True)
    old_line = Column(MONEY, nullable=False)
    new_line = Column(MONEY, nullable=False)
    reason = Column(String(200), nullable=False)
    changed_at = Column(UTCDateTime(), nullable=False)
    notified_at = Column(UTCDateTime())


class AuditLog(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False)
    actor = Column(String(64), nullable=False)  # the verified client (or agent) id
    actor_role = Column(String(16), nullable=False, default="client")
    subject_client_id = Column(String(32), nullable=False, index=True)
    action = Column(String(64), nullable=False)
    detail = Column(Text)
    # tamper evidence: each row carries the hash of the one before it (services/records/audit.py)
    prev_hash = Column(String(64))
    row_hash = Column(String(64))


class AnswerFeedback(Base):
    """A client's 有帮助/没帮助 on a knowledge answer, for the education team."""

    __tablename__ = "answer_feedback"
    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False)
    sender_id = Column(String(128), nullable=False)
    faq_id = Column(String(64), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    helpful = Column(Boolean, nullable=False)
    comment = Column(String(500))
    reason = Column(String(16))  # 没帮助: 答非所问 / 看不懂 / 信息过时 / 其他
