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
from services.restrictions import LIQUIDATION_HANDOFF, asks_about_liquidation
from storage.repository import ClientRecord

NO_ACCOUNT = "您目前没有信用账户，因此没有维持担保比例。"
NO_DEBT = "您的信用账户目前没有融资或融券负债，维持担保比例不适用，也不会触发追保。"
LINE_NAMES = {"warning_line": "警戒线", "call_line": "追保线", "immediate_liquidation_line": "即时平仓线"}
ZONE_TEXT = {
    "withdrawable": "高于提取线，可以提取部分资金或证券（提取后仍需不低于{withdraw}）。",
    "safe": "处于正常区间。",
    "warning": "已低于警戒线{warning}，请关注风险，考虑追加担保物或减少负债。",
    "call": "已低于追保线{call}。",
    "liquidation": "已低于即时平仓线{liq}，示例证券可能随时强制平仓。",
}

# Under the call line: what the client can do next, as buttons (titles are what the transcript shows).
MARGIN_CALL_FOLLOW_UPS = (
    ("追加担保物", '/faq{"faq_id": "margincall_deadline"}'),
    ("还款", '/faq{"faq_id": "trading_repayment_methods"}'),
    ("联系人工", "/request_human"),
)


def follow_ups(in_call: bool) -> List[Dict[str, str]]:
    return [{"title": t, "payload": p} for t, p in MARGIN_CALL_FOLLOW_UPS] if in_call else []


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
            f"您当前的维持担保比例为{ratio_pct(ratio)}（资产{yuan(snap.total_assets)} ÷ 负债{yuan(snap.total_debt)}），"
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
            where = "高于" if distances[key] >= 0 else "低于"
            parts.append(f"{name}{line(policy, 'margin_call.' + key)}：{where}{points(distances[key])}")
        lines.append("距各条线：" + "；".join(parts) + "。")
        call = account.open_call
        cash_needed = finance.cash_to_restore(snap, restore_to)
        if call is not None:
            lines.append(
                f"您有一笔追保通知：{day(call.since)}收盘比例低于{line(policy, 'margin_call.call_line')}，"
                f"须在{moment(call.deadline)}（收盘）前将比例恢复到{line(policy, 'margin_call.restore_to')}以上；"
                f"按当前数据需追加现金约{yuan(cash_needed)}，或直接还款约"
                f"{yuan(finance.repayment_to_restore(snap, restore_to))}。逾期未补足，将从下一交易日起被强制平仓；"
                "追保期间暂停新的融资买入和融券卖出。"
            )
        elif zone in ("warning", "call", "liquidation"):
            lines.append(f"恢复到{line(policy, 'margin_call.restore_to')}约需追加现金{yuan(cash_needed)}。")
        elif zone == "withdrawable":
            lines.append(f"按当前数据，最多可提取现金约{yuan(finance.withdrawable(snap, policy))}。")
        if account.as_of is not None:
            lines.append(f"（数据截至{moment(account.as_of)}，以交易系统为准）")
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
