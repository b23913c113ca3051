"""simulate_margin: what-if on the client's own account ("跌10%会怎样", "再融资10万后比例多少")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, line, ratio_pct, risk_reminder, yuan
from actions.personal import PersonalAction
from core import finance
from core.policy import Policy, plain
from services.restrictions import new_credit_blocks
from storage.repository import ClientRecord

ASK = "请告诉我要测算的情形，例如“如果持仓下跌10%会怎样”或“再融资10万元后维持担保比例是多少”。"
MAX_AMOUNT = Decimal("1000000000")  # 10亿: anything above is a typo, not a plan
RISE_WORDS = ("涨", "上升", "升")
ZONE_TEXT = {
    "no_debt": "没有负债，不涉及维持担保比例",
    "withdrawable": "高于提取线{withdraw}",
    "safe": "处于正常区间",
    "warning": "低于警戒线{warning}，会收到预警通知",
    "call": "低于追保线{call}，将触发追保",
    "liquidation": "低于即时平仓线{liq}，可能被立即强制平仓",
}


def _first_decimal(values: List) -> Optional[Decimal]:
    for v in values:
        try:
            return Decimal(str(v))
        except (InvalidOperation, ValueError):
            continue
    return None


def read_inputs(tracker: Tracker) -> Tuple[Optional[Decimal], Optional[Decimal], List[str]]:
    """(price change %, extra financing amount, problems) with ranges validated."""
    problems: List[str] = []
    pct = _first_decimal(entity_values(tracker, "percent"))
    amount = _first_decimal(entity_values(tracker, "amount"))
    text = (tracker.latest_message or {}).get("text") or ""
    if pct is not None:
        rising = any(w in text for w in RISE_WORDS) and "跌" not in text
        if not Decimal(0) < pct <= (Decimal(500) if rising else Decimal(100)):
            problems.append("涨跌幅需在0到100%之间（跌幅）")
            pct = None
        else:
            pct = pct if rising else -pct
    if amount is not None and not Decimal(0) < amount <= MAX_AMOUNT:
        problems.append("金额需大于0且不超过10亿元")
        amount = None
    return pct, amount, problems


def _ratio(ratio: Optional[Decimal]) -> Optional[str]:
    return None if ratio is None else str(ratio.quantize(Decimal("0.0001")))


def describe(ratio: Optional[Decimal], policy: Policy) -> str:
    zone = finance.zone(ratio, policy)
    text = ZONE_TEXT[zone].format(
        withdraw=line(policy, "margin_call.withdrawal_line"),
        warning=line(policy, "margin_call.warning_line"),
        call=line(policy, "margin_call.call_line"),
        liq=line(policy, "margin_call.immediate_liquidation_line"),
    )
    return (ratio_pct(ratio) + "，" + text) if ratio is not None else text


class ActionSimulateMargin(PersonalAction):
    NAME = "action_simulate_margin"
    NO_ACCOUNT = "您目前没有信用账户，无法测算维持担保比例。"

    def audit_detail(self, tracker: Tracker) -> str:
        pct, amount, _ = read_inputs(tracker)
        return f"what-if change={pct} financing={amount}"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        pct, amount, problems = read_inputs(tracker)
        if problems:
            dispatcher.utter_message(text="抱歉，" + "；".join(problems) + "。" + ASK)
            return
        if pct is None and amount is None:
            dispatcher.utter_message(text=ASK)
            return
        account = record.account
        before = account.snapshot
        after = before
        steps = []
        if amount is not None:
            after = finance.after_financing(after, amount)
            steps.append(f"再融资买入{yuan(amount)}")
        if pct is not None:
            after = finance.after_price_move(after, pct)
            steps.append(f"持仓市值{'上涨' if pct > 0 else '下跌'}{plain(abs(pct))}%")
        lines = [
            f"按当前持仓测算，若{'、'.join(steps)}：",
            f"维持担保比例由{describe(before.ratio, policy)}，变为{describe(after.ratio, policy)}。",
        ]
        if amount is not None:
            available = finance.available_quota(account.credit_line, before)
            if amount > available:
                lines.append(f"注意：您的可用额度为{yuan(available)}，不足以再融资{yuan(amount)}。")
            blocks = new_credit_blocks(record, policy)
            if blocks:
                lines.append("注意：" + "；".join(blocks) + "。")
        fall = finance.fall_to_line(after, policy.dec("margin_call.call_line"))
        if fall is not None and after.ratio is not None and fall > 0:
            lines.append(
                f"在此基础上，持仓市值再下跌约{fall.quantize(Decimal('0.1'))}%将触及追保线"
                f"{line(policy, 'margin_call.call_line')}。"
            )
        lines.append("以上为按当前价格的简化测算，不构成投资建议。")
        lines.append(risk_reminder(policy))
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={
                "personal": "what_if",
                "ratio_before": _ratio(before.ratio),
                "ratio_after": _ratio(after.ratio),
            },
        )
