"""Demo data of shared/spec/interfaces.md ("Demo data").

Only positions, cash, prices and debts are stored; the maintenance ratios of the
spec (260%, 128%, 310%) come out of them through actions/finance.py, and a test
checks that they do. Idempotent: existing clients are left untouched.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal as D
from typing import Dict, List, Optional, Tuple, TypedDict

from sqlalchemy.orm import Session

from core import clock
from core.finance import add_months
from core.policy import get_policy
from storage.models import Client, CreditAccount, CreditLineChange, Debt, MarginCall, Position, RiskAssessment, Security

PRICE_AT = datetime(2026, 11, 26, 15, 0, tzinfo=clock.TZ)

SECURITIES = [
    # code, name, haircut class (policy margin.haircuts), last price
    ("600519.SH", "贵州茅台", "csi300", D("1600")),
    ("600036.SH", "招商银行", "csi300", D("40")),
    ("300750.SZ", "宁德时代", "csi300", D("200")),
    ("002594.SZ", "比亚迪", "csi300", D("250")),
    ("601318.SH", "中国平安", "csi300", D("50")),
    ("600900.SH", "长江电力", "csi300", D("30")),
    ("510050.SH", "华夏上证50ETF", "etf", D("3")),
    ("019547.SH", "24国债10", "government_bond", D("100")),
]

# id, name, birth, trading since, 20-day average assets, tier, assessed on, phone, VIP manager
CLIENTS = [
    ("C1001", "张伟", date(1985, 4, 12), date(2015, 3, 2), D("1300000"), "C3", date(2026, 3, 1), "13800001001", None),
    ("C1002", "李娜", date(1990, 8, 23), date(2023, 1, 9), D("280000"), "C1", date(2026, 5, 10), "13800001002", None),
    ("C1003", "王强", date(1978, 11, 2), date(2012, 6, 18), D("3200000"), "C4", date(2025, 12, 1), "13800001003", None),
    (
        "C1004",
        "赵敏",
        date(1970, 1, 30),
        date(2005, 9, 5),
        D("18600000"),
        "C5",
        date(2024, 6, 1),
        "13800001004",
        "VIP客户经理 陈静",
    ),
]


class AccountSpec(TypedDict):
    opened: date
    line: D
    line_set_on: date
    approved_by: Optional[str]
    cash: D
    positions: List[Tuple[str, int]]  # code, quantity
    financing: List[Tuple[D, date]]  # principal, opened on
    shorts: List[Tuple[str, int, date]]  # code, quantity, opened on


ACCOUNTS: Dict[str, AccountSpec] = {
    # client: opened, line, line set on, approved by, cash, positions, financing debts, shorts
    "C1001": dict(
        opened=date(2025, 9, 1),
        line=D("800000"),
        line_set_on=date(2026, 4, 7),
        approved_by=None,
        cash=D("100000"),
        positions=[("600519.SH", 500), ("600036.SH", 10000)],
        financing=[(D("500000"), date(2026, 9, 15))],
        shorts=[],
    ),
    "C1003": dict(
        opened=date(2024, 3, 11),
        line=D("3000000"),
        line_set_on=date(2026, 6, 15),
        approved_by=None,
        cash=D("200000"),
        positions=[("300750.SZ", 10000), ("002594.SZ", 4000)],
        financing=[(D("2500000"), date(2026, 10, 20))],
        shorts=[],
    ),
    "C1004": dict(
        opened=date(2021, 5, 6),
        line=D("20000000"),
        line_set_on=date(2026, 1, 8),
        approved_by="风控委员会（VIP个案审批）",
        cash=D("2600000"),
        positions=[("601318.SH", 100000), ("600900.SH", 200000), ("510050.SH", 1000000), ("019547.SH", 20000)],
        financing=[(D("5000000"), date(2026, 10, 9))],
        shorts=[("600036.SH", 25000, date(2026, 11, 2))],
    ),
}

LINE_CHANGES = [
    # client, old, new, reason, when, notified
    (
        "C1001",
        D("1000000"),
        D("800000"),
        "因市场波动（沪深300单日下跌超过5%）",
        datetime(2026, 4, 7, 15, 30, tzinfo=clock.TZ),
        datetime(2026, 4, 7, 16, 5, tzinfo=clock.TZ),
    ),
    (
        "C1003",
        D("2000000"),
        D("3000000"),
        "客户申请提额，按成长型授信策略审批",
        datetime(2026, 6, 15, 10, 0, tzinfo=clock.TZ),
        datetime(2026, 6, 15, 10, 2, tzinfo=clock.TZ),
    ),
]


def seed(session: Session) -> int:
    """Insert the demo data that is missing; returns the number of clients added."""
    policy = get_policy()
    term = int(policy.get("contract.max_term_months"))
    for code, name, haircut_class, price in SECURITIES:
        if session.get(Security, code) is None:
            session.add(
                Security(code=code, name=name, haircut_class=haircut_class, last_price=price, price_at=PRICE_AT)
            )
    session.flush()
    added = 0
    for cid, name, birth, since, avg, tier, assessed, phone, vip in CLIENTS:
        if session.get(Client, cid) is not None:
            continue
        added += 1
        session.add(
            Client(
                id=cid,
                name=name,
                birth_date=birth,
                trading_since=since,
                avg_daily_assets_20d=avg,
                phone=phone,
                vip_manager=vip,
            )
        )
        session.add(RiskAssessment(client_id=cid, tier=tier, assessed_on=assessed))
        spec = ACCOUNTS.get(cid)
        if spec is None:
            continue
        account = CreditAccount(
            client_id=cid,
            opened_on=spec["opened"],
            credit_line=spec["line"],
            line_set_on=spec["line_set_on"],
            line_approved_by=spec["approved_by"],
            cash=spec["cash"],
        )
        session.add(account)
        session.flush()
        for code, qty in spec["positions"]:
            session.add(Position(account_id=account.id, security_code=code, quantity=D(qty)))
        for principal, opened in spec["financing"]:
            session.add(
                Debt(
                    account_id=account.id,
                    kind="financing",
                    principal=principal,
                    opened_on=opened,
                    due_on=add_months(opened, term),
                )
            )
        for code, qty, opened in spec["shorts"]:
            session.add(
                Debt(
                    account_id=account.id,
                    kind="short",
                    security_code=code,
                    quantity=D(qty),
                    opened_on=opened,
                    due_on=add_months(opened, term),
                )
            )
        for who, old, new, reason, when, notified in LINE_CHANGES:
            if who == cid:
                session.add(
                    CreditLineChange(
                        account_id=account.id,
                        old_line=old,
                        new_line=new,
                        reason=reason,
                        changed_at=when,
                        notified_at=notified,
                    )
                )
        if cid == "C1003":  # closed below 130% on 2026-11-25 → restore by close of T+2
            since_day = date(2026, 11, 25)
            deadline_day = clock.add_trading_days(since_day, int(policy.get("margin_call.deadline_trading_days")))
            session.add(
                MarginCall(
                    account_id=account.id,
                    state="open",
                    since=since_day,
                    deadline=datetime.combine(deadline_day, time(15, 0), clock.TZ),
                    ratio_at_call=D("1.28"),
                )
            )
    return added
