"""query_margin_status: maintenance ratio, distance to each line, any open margin call."""

from __future__ import annotations

from decimal import Decimal
from typing import Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day, line, moment, points, ratio_pct, risk_reminder, yuan
from actions.personal import PersonalAction
from core import finance
from core.policy import Policy
from core.texts import client as client_text
from services.restrictions import LIQUIDATION_HANDOFF, asks_about_liquidation
from storage.repository import ClientRecord

NO_ACCOUNT = client_text.MARGIN_NO_ACCOUNT
NO_DEBT = client_text.MARGIN_NO_DEBT
LINE_NAMES = {
    "warning_line": client_text.LINE_WARNING,
    "call_line": client_text.LINE_CALL,
    "immediate_liquidation_line": client_text.LINE_LIQUIDATION,
}
ZONE_TEXT = {
    "withdrawable": client_text.ZONE_WITHDRAWABLE,
    "safe": client_text.ZONE_SAFE,
    "warning": client_text.ZONE_WARNING,
    "call": client_text.ZONE_CALL,
    "liquidation": client_text.ZONE_LIQUIDATION,
}

# Under the call line: what the client can do next, as buttons (titles are what the transcript shows).
MARGIN_CALL_FOLLOW_UPS = (
    (client_text.FOLLOW_UP_ADD_COLLATERAL, '/faq{"faq_id": "margincall_deadline"}'),
    (client_text.FOLLOW_UP_REPAY, '/faq{"faq_id": "trading_repayment_methods"}'),
    (client_text.FOLLOW_UP_HUMAN, "/request_human"),
)


def follow_ups(in_call: bool) -> List[Dict[str, str]]:
    return [{"title": t, "payload": p} for t, p in MARGIN_CALL_FOLLOW_UPS] if in_call else []


def debt_parts(snap: finance.Snapshot) -> str:
    """ "：融资负债…、融券卖出证券市值…" when the debt is made of more than one part."""
    parts = [
        text.format(amount=yuan(amount))
        for text, amount in (
            (client_text.MARGIN_DEBT_FINANCING, snap.financing_debt),
            (client_text.MARGIN_DEBT_SHORT, snap.short_value),
            (client_text.MARGIN_DEBT_ACCRUED, snap.accrued),
        )
        if amount > 0
    ]
    return client_text.MARGIN_DEBT_PARTS.format(parts="、".join(parts)) if len(parts) > 1 else ""


def falls_to_lines(snap: finance.Snapshot, policy: Policy) -> str:
    """How far the holdings may fall before the ratio reaches each line still below it."""
    parts = []
    for key, name in LINE_NAMES.items():
        target = policy.dec("margin_call." + key)
        fall = finance.fall_to_line(snap, target)
        if fall is None or fall <= 0:
            continue
        amount = finance.fall_in_money(snap, fall)
        parts.append(
            client_text.MARGIN_FALL.format(
                pct=fall.quantize(Decimal("0.01")),
                amount=yuan(amount),
                name=name,
                line=line(policy, "margin_call." + key),
            )
        )
    return client_text.MARGIN_FALLS.format(parts="，".join(parts)) if parts else ""


class ActionQueryMarginStatus(PersonalAction):
    """In a margin call, a question about liquidation also brings in a person."""

    NAME = "action_query_margin_status"
    LOOKUP = "margin_status"
    NO_ACCOUNT = NO_ACCOUNT

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy
    ) -> Optional[str]:
        account = record.account
        snap = account.snapshot
        ratio = snap.ratio
        if ratio is None:
            dispatcher.utter_message(text=NO_DEBT)
            return
        restore_to = policy.dec("margin_call.restore_to")
        zone = finance.zone(ratio, policy)
        lines = [
            client_text.MARGIN_RATIO.format(
                ratio=ratio_pct(ratio),
                assets=yuan(snap.total_assets),
                debt=yuan(snap.total_debt),
                parts=debt_parts(snap),
            )
            + ZONE_TEXT[zone].format(
                withdraw=line(policy, "margin_call.withdrawal_line"),
                warning=line(policy, "margin_call.warning_line"),
                call=line(policy, "margin_call.call_line"),
                liq=line(policy, "margin_call.immediate_liquidation_line"),
            ),
        ]
        distances = finance.line_distances(ratio, policy)
        parts = []
        for key, name in LINE_NAMES.items():
            where = client_text.MARGIN_ABOVE if distances[key] >= 0 else client_text.MARGIN_BELOW
            parts.append(
                client_text.MARGIN_DISTANCE.format(
                    name=name, line=line(policy, "margin_call." + key), where=where, points=points(distances[key])
                )
            )
        lines.append(client_text.MARGIN_DISTANCES.format(parts="；".join(parts)))
        falls = falls_to_lines(snap, policy)
        if falls:
            lines.append(falls)
        call = account.open_call
        cash_needed = finance.cash_to_restore(snap, restore_to)
        if call is not None:
            lines.append(
                client_text.MARGIN_OPEN_CALL.format(
                    since=day(call.since),
                    call=line(policy, "margin_call.call_line"),
                    deadline=moment(call.deadline),
                    restore=line(policy, "margin_call.restore_to"),
                    cash=yuan(cash_needed),
                    repay=yuan(finance.repayment_to_restore(snap, restore_to)),
                )
            )
        elif zone in ("warning", "call", "liquidation"):
            lines.append(
                client_text.MARGIN_RESTORE.format(
                    restore=line(policy, "margin_call.restore_to"), cash=yuan(cash_needed)
                )
            )
        elif zone == "withdrawable":
            lines.append(client_text.MARGIN_WITHDRAWABLE.format(cash=yuan(finance.withdrawable(snap, policy))))
        if account.as_of is not None:
            lines.append(client_text.DATA_AS_OF.format(at=moment(account.as_of)))
        lines.append(risk_reminder(policy))
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=follow_ups(call is not None or zone in ("call", "liquidation")),
            json_message={
                "personal": "margin_status",
                "ratio": str(ratio.quantize(Decimal("0.0001"))),
                "zone": zone,
                "margin_call": bool(call),
                "deadline": call.deadline.isoformat() if call else None,
                "cash_to_restore": str(cash_needed),
            },
        )
        text = (tracker.latest_message or {}).get("text") or ""
        return LIQUIDATION_HANDOFF if call is not None and asks_about_liquidation(text) else None
