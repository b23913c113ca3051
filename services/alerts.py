"""Proactive alerts: margin calls, credit-line changes and warning-line crossings reach
the client first — in the chat they have open, or when they next open it, and through
the SMS/app-push sender.

Every alert is created once per risk event (a unique event key), so re-running a
scan or receiving the same event twice never alerts twice.

    python -m services.alerts scan                                  # the scheduled re-check
    python -m services.alerts margin-call C1001 [--since 2026-11-26]
    python -m services.alerts price 600519.SH 200
    python -m services.alerts market-cut 0.2 [--reason "…"] [--dry-run] [--batch 100]
                                            # reason by default: the policy's market-cut trigger
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Dict, Iterator, List, Optional, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock, finance
from core.errors import Invalid, NotFound
from core.formatting import line, moment, ratio_pct, risk_reminder
from core.policy import Policy, fmt_pct, fmt_yuan, get_policy
from core.texts import api as api_text
from core.texts import client as client_text
from storage import delivery
from storage.content import Alert, OutboxMessage
from storage.db import session_scope
from storage.models import Client, CreditAccount, CreditLineChange, MarginCall, Security
from storage.repository import load_client

log = logging.getLogger(__name__)

FOLLOW_UPS = {
    "margin_call": [client_text.ASK_HOW_MUCH, client_text.ASK_HOW_TO_ADD, client_text.FOLLOW_UP_HUMAN],
    "warning": [client_text.ASK_RATIO, client_text.ASK_HOW_TO_ADD, client_text.FOLLOW_UP_HUMAN],
    "line_change": [client_text.ASK_AVAILABLE, client_text.ASK_WHY_CUT, client_text.FOLLOW_UP_HUMAN],
}


class Sender(Protocol):
    """An SMS / app-push gateway. The demo one writes to the outbox table."""

    def send(self, session: Session, alert: Alert, phone: Optional[str]) -> None: ...


class OutboxSender:
    def send(self, session: Session, alert: Alert, phone: Optional[str]) -> None:
        for channel, address in (("sms", phone), ("push", alert.client_id)):
            session.add(
                OutboxMessage(
                    alert_id=alert.id,
                    client_id=alert.client_id,
                    channel=channel,
                    address=address,
                    text=alert.text,
                    created_at=clock.now(),
                )
            )


def _exists(session: Session, key: str) -> bool:
    return session.scalars(select(Alert.id).where(Alert.event_key == key)).first() is not None


def _create(session: Session, sender: Sender, client_id: str, key: str, kind: str, text: str) -> None:
    """A new alert and its outbox messages; callers check `_exists` first, before any
    work to write the text (a repeated scan then costs one query per event)."""
    alert = Alert(client_id=client_id, event_key=key, kind=kind, text=text, created_at=clock.now())
    session.add(alert)
    session.flush()
    client = session.get(Client, client_id)
    sender.send(session, alert, client.phone if client else None)


def scan(sender: Optional[Sender] = None) -> int:
    """Create the alerts that risk events call for; returns how many were new.

    Scans may run at the same time (the scheduled one, a risk event, the CLI). When
    two create the same alert, the event key's unique constraint stops the second
    at commit; its whole transaction (outbox included) is rolled back and it runs
    once more, now seeing the other's alert."""
    sender = sender or OutboxSender()
    try:
        return _scan_once(sender)
    except IntegrityError:
        log.info("a concurrent scan created the same alert first; scanning again")
        return _scan_once(sender)


def _scan_once(sender: Sender) -> int:
    policy = get_policy()
    created = 0
    with session_scope() as session:
        for call, client_id in session.execute(
            select(MarginCall, CreditAccount.client_id)
            .join(CreditAccount, CreditAccount.id == MarginCall.account_id)
            .where(MarginCall.state == "open")
        ).all():
            key = f"margin_call:{call.id}"
            if _exists(session, key):
                continue
            record = load_client(session, client_id)
            snap = record.account.snapshot if record and record.account else None
            ratio = snap.ratio if snap and snap.ratio else call.ratio_at_call
            cash = finance.cash_to_restore(snap, policy.dec("margin_call.restore_to")) if snap else None
            text = client_text.ALERT_MARGIN_CALL.format(
                ratio=ratio_pct(ratio),
                call=line(policy, "margin_call.call_line"),
                deadline=moment(call.deadline),
                restore=line(policy, "margin_call.restore_to"),
                cash=client_text.ALERT_MARGIN_CALL_CASH.format(cash=fmt_yuan(cash)) if cash is not None else "",
                reminder=risk_reminder(policy),
            )
            _create(session, sender, client_id, key, "margin_call", text)
            created += 1
        for change, client_id in session.execute(
            select(CreditLineChange, CreditAccount.client_id)
            .join(CreditAccount, CreditAccount.id == CreditLineChange.account_id)
            .where(CreditLineChange.notified_at.is_(None))
        ).all():
            change.notified_at = clock.now()
            key = f"line_change:{change.id}"
            if _exists(session, key):
                continue
            verb = client_text.LINE_CUT if change.new_line < change.old_line else client_text.LINE_CHANGED
            text = client_text.ALERT_LINE_CHANGE.format(
                reason=change.reason,
                at=moment(change.changed_at),
                old=fmt_yuan(change.old_line),
                verb=verb,
                new=fmt_yuan(change.new_line),
            )
            _create(session, sender, client_id, key, "line_change", text)
            created += 1
        created += _warnings(session, sender, policy)
    return created


def _warnings(session: Session, sender: Sender, policy: Policy) -> int:
    """Ratios under the warning line after a price move (once per client per day)."""
    created = 0
    warning = policy.dec("margin_call.warning_line")
    for client_id in session.scalars(select(CreditAccount.client_id).where(CreditAccount.status == "active")):
        key = f"warning:{client_id}:{clock.today().isoformat()}"
        if _exists(session, key):
            continue
        record = load_client(session, client_id)
        if record is None or record.account is None or record.account.open_call is not None:
            continue
        ratio = record.account.snapshot.ratio
        if ratio is None or ratio >= warning:
            continue
        zone = finance.zone(ratio, policy)
        text = client_text.ALERT_WARNING.format(
            ratio=ratio_pct(ratio),
            warning=line(policy, "margin_call.warning_line"),
            below_call=client_text.ALERT_WARNING_BELOW_CALL if zone in ("call", "liquidation") else "",
            restore=line(policy, "margin_call.restore_to"),
            cash=fmt_yuan(finance.cash_to_restore(record.account.snapshot, policy.dec("margin_call.restore_to"))),
            reminder=risk_reminder(policy),
        )
        _create(session, sender, client_id, key, "warning", text)
        created += 1
    return created


# -- risk events (CLI and the broker's risk API) ---------------------------------------
def record_margin_call(client_id: str, since: Optional[date] = None) -> int:
    """The close of `since` (T) was below the call line: open a margin call due at T+2 close."""
    policy = get_policy()
    since = since or clock.today()
    with session_scope() as session:
        record = load_client(session, client_id)
        account = session.scalars(select(CreditAccount).where(CreditAccount.client_id == client_id)).first()
        if record is None or account is None:
            raise NotFound(api_text.NO_CREDIT_ACCOUNT.format(client_id=client_id))
        existing = session.scalars(
            select(MarginCall).where(MarginCall.account_id == account.id, MarginCall.state == "open")
        ).first()
        if existing is not None:  # the same event again: nothing new
            return existing.id
        deadline_day = clock.add_trading_days(since, int(policy.get("margin_call.deadline_trading_days")))
        call = MarginCall(
            account_id=account.id,
            state="open",
            since=since,
            deadline=datetime.combine(deadline_day, dtime(15, 0), clock.TZ),
            ratio_at_call=(record.account.snapshot.ratio or Decimal(0)).quantize(Decimal("0.0001")),
        )
        session.add(call)
        session.flush()
        return call.id


def record_price(code: str, price: Decimal) -> None:
    with session_scope() as session:
        security = session.get(Security, code)
        if security is None:
            raise NotFound(api_text.NO_SECURITY.format(code=code))
        security.last_price, security.price_at = price, clock.now()


def market_cut_reason(policy: Optional[Policy] = None) -> str:
    """The reason a market-wide cut gives clients by default: the policy's trigger."""
    policy = policy or get_policy()
    return client_text.MARKET_CUT_REASON.format(
        index=policy.get("quota.market_cut_trigger_index"),
        fall=fmt_pct(policy.get("quota.market_cut_trigger_index_fall")),
    )


def market_cut(fraction: Decimal, reason: str, dry_run: bool = True, batch: int = 100) -> Iterator[Dict]:
    """Cut every active credit line by `fraction` (≤ the policy's maximum), one
    transaction per batch; yields each affected client, then a summary."""
    limit = get_policy().dec("quota.max_market_cut")
    if not Decimal(0) < fraction <= limit:
        raise Invalid(api_text.MARKET_CUT_RANGE.format(limit=fmt_pct(limit)))
    with session_scope() as session:
        ids = [
            a.id
            for a in session.scalars(
                select(CreditAccount).where(CreditAccount.status == "active").order_by(CreditAccount.id)
            )
        ]
    done = 0
    for start in range(0, len(ids), batch):
        with session_scope() as session:  # one transaction per batch
            for account in session.scalars(
                select(CreditAccount).where(CreditAccount.id.in_(ids[start : start + batch]))
            ):
                old = account.credit_line
                new = finance.money(old * (1 - fraction))
                yield {"client_id": account.client_id, "old": old, "new": new}
                if not dry_run:
                    account.credit_line, account.line_set_on = new, clock.today()
                    session.add(
                        CreditLineChange(
                            account_id=account.id, old_line=old, new_line=new, reason=reason, changed_at=clock.now()
                        )
                    )
                done += 1
            if dry_run:
                session.rollback()
    alerted = 0 if dry_run else scan()
    yield {"summary": True, "accounts": done, "alerts": alerted, "dry_run": dry_run}


# -- delivery -------------------------------------------------------------------------
def pending(client_ids: List[str]) -> List[Alert]:
    return delivery.undelivered(Alert, Alert.client_id, client_ids)


def mark_delivered(ids: List[int]) -> None:
    delivery.mark_delivered(Alert, ids, clock.now())


def mark_read(alert_id: int, client_id: str) -> bool:
    """Record when the client's widget showed the alert; True when this was the first time."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is not None and alert.client_id == client_id and alert.read_at is None:
            alert.read_at = clock.now()
            return True
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.alerts")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scan")
    mc = sub.add_parser("margin-call")
    mc.add_argument("client_id")
    mc.add_argument("--since", type=date.fromisoformat)
    pr = sub.add_parser("price")
    pr.add_argument("code")
    pr.add_argument("price", type=Decimal)
    cut = sub.add_parser("market-cut")
    cut.add_argument("fraction", type=Decimal, help="e.g. 0.2 for 20%%")
    cut.add_argument("--reason", default=None, help="default: the policy's trigger (quota.market_cut_trigger_*)")
    cut.add_argument("--dry-run", action="store_true")
    cut.add_argument("--batch", type=int, default=100)
    args = parser.parse_args(argv)
    if args.command == "market-cut":
        for row in market_cut(args.fraction, args.reason or market_cut_reason(), args.dry_run, args.batch):
            if row.get("summary"):
                print(f"{'[dry run] ' if row['dry_run'] else ''}{row['accounts']} accounts, {row['alerts']} alerts")
            else:
                print(f"{row['client_id']}: {fmt_yuan(row['old'])} → {fmt_yuan(row['new'])}", flush=True)
        return 0
    if args.command == "margin-call":
        print(f"margin call {record_margin_call(args.client_id, args.since)}")
    elif args.command == "price":
        record_price(args.code, args.price)
    print(f"alerts created: {scan()}")  # every event is followed by the re-check
    return 0


if __name__ == "__main__":
    sys.exit(main())
