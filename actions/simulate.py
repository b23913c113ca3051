"""simulate_margin: what-if on the client's own account ("跌10%会怎样", "再融资10万后比例多少").

A Rasa form (`simulate_form`, domain.yml) collects what the simulation needs: the move
(market fall or rise, new financing, cash or collateral added, repayment, withdrawal)
and its figure ("跌15%", "15个点", "20万", "30w", "一半"). `validate_simulate_form`
reads both from each message; a figure given with the request completes the form at
once; "算了" leaves it (rule in data/rules.yml → action_leave_simulation). The result
is stated against each line of policy.yml (warning, call, immediate liquidation,
withdrawal); a client in a margin call is told that first.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import BaseAction, entity_values, line, ratio_pct, risk_reminder, verified_client_id, yuan
from actions.estimate import estimate
from actions.personal import PersonalAction
from core import finance
from core.policy import Policy, get_policy, plain
from core.text import normalize
from core.values import cn_number
from services.restrictions import new_credit_blocks
from storage.repository import ClientRecord

ASK = "请告诉我要测算的情形，例如“如果持仓下跌10%会怎样”或“再融资10万元后维持担保比例是多少”。"
MAX_AMOUNT = Decimal("1000000000")  # 10亿: anything above is a typo, not a plan
RISE_WORDS = ("涨", "上升", "升")
SLOT_KIND = "sim_kind"
SLOT_FIGURE = "sim_figure"
NO_FIGURE = "skip"  # figure slot value when the form should end at once (not logged in, an estimate)
ZONE_TEXT = {
    "no_debt": "没有负债，不涉及维持担保比例",
    "withdrawable": "高于提取线{withdraw}",
    "safe": "处于正常区间",
    "warning": "低于警戒线{warning}，会收到预警通知",
    "call": "低于追保线{call}，将触发追保",
    "liquidation": "低于即时平仓线{liq}，可能被立即强制平仓",
}
# move → words that name it (checked in this order: the first match wins)
KIND_WORDS: List[Tuple[str, Tuple[str, ...]]] = [
    ("withdraw", ("取出", "提取", "提现", "出金", "转出", "取钱", "取走", "能取", "取")),
    ("repay", ("还款", "还钱", "偿还", "还掉", "还了", "还上", "先还", "归还")),
    ("collateral", ("担保物", "担保品", "转入股票", "股票转入", "划入", "转股票")),
    ("cash", ("追加现金", "存入", "入金", "转入", "存", "补钱", "补仓", "追加", "加钱", "补")),
    ("finance", ("再融资", "融资", "借", "加杠杆", "买入", "融")),
    ("rise", ("上涨", "涨", "上升", "反弹")),
    ("fall", ("下跌", "跌", "亏", "缩水", "腰斩", "回撤", "暴跌", "降")),
]
KIND_TEXT = {
    "fall": "持仓市值下跌",
    "rise": "持仓市值上涨",
    "finance": "再融资买入",
    "cash": "追加现金",
    "collateral": "转入担保证券",
    "repay": "直接还款",
    "withdraw": "提取现金",
}
CANCEL = re.compile(r"^(?:算了|不算了|不用了|不测了|取消|退出|不要了|先不了|不需要了|没事了)")
_POINTS = re.compile(r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百]+)\s*(?:个百分点|个点|点)")
_HALF = re.compile(r"一半|腰斩|对半")
_PCT_KINDS = ("fall", "rise")


def _first_decimal(values: List) -> Optional[Decimal]:
    for v in values:
        try:
            return Decimal(str(v))
        except (InvalidOperation, ValueError):
            continue
    return None


def kind_in(text: str) -> Optional[str]:
    t = normalize(text)
    for kind, words in KIND_WORDS:
        if any(w in t for w in words):
            return kind
    return None


def figure_in(text: str, entities: List[Dict[str, Any]]) -> Optional[str]:
    """ "pct:15" or "amt:200000" from a message, or None ("跌15%", "15个点", "一半", "30w")."""
    t = normalize(text)
    pct = _first_decimal([e.get("value") for e in entities if e.get("entity") == "percent"])
    if pct is None:
        m = _POINTS.search(t)
        if m:
            pct = Decimal(m.group(1)) if m.group(1)[0].isdigit() else cn_number(m.group(1))
        elif _HALF.search(t):
            pct = Decimal(50)
    if pct is not None:
        return f"pct:{plain(pct)}"
    amount = _first_decimal([e.get("value") for e in entities if e.get("entity") == "amount"])
    return None if amount is None else f"amt:{plain(amount)}"


def read_inputs(tracker: Tracker) -> Tuple[Optional[Decimal], Optional[Decimal], List[str]]:
    """(price change %, extra financing amount, problems) with ranges validated: from the
    latest message, as before the form existed."""
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


def check_figure(kind: str, figure: str) -> Optional[str]:
    """A problem with the figure for that move, or None."""
    unit, _, raw = figure.partition(":")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return "没有读懂这个数字"
    if not value.is_finite():
        return "没有读懂这个数字"
    if unit == "pct":
        if kind not in _PCT_KINDS:
            return "这个情形需要一个金额，例如“20万”"
        limit = Decimal(500) if kind == "rise" else Decimal(100)
        if not Decimal(0) < value <= limit:
            return "涨跌幅需在0到100%之间（跌幅）"
    elif not Decimal(0) < value <= MAX_AMOUNT:
        return "金额需大于0且不超过10亿元"
    return None


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


def against_lines(ratio: Optional[Decimal], policy: Policy) -> str:
    """ "对照各条线：警戒线150%：高于…" for a simulated ratio."""
    if ratio is None:
        return ""
    parts = []
    for key, name in (
        ("warning_line", "警戒线"),
        ("call_line", "追保线"),
        ("immediate_liquidation_line", "即时平仓线"),
        ("withdrawal_line", "提取线"),
    ):
        value = policy.dec(f"margin_call.{key}")
        where = "高于" if ratio >= value else "低于"
        parts.append(f"{name}{line(policy, 'margin_call.' + key)}{where}")
    return "对照各条线：" + "，".join(parts) + "。"


def apply_move(snapshot: finance.Snapshot, kind: str, figure: str) -> finance.Snapshot:
    unit, _, raw = figure.partition(":")
    value = Decimal(raw)
    if kind in _PCT_KINDS:
        if unit == "amt":  # "跌了20万": a fall of that much market value
            sec = snapshot.securities_value
            value = (value / sec * 100) if sec > 0 else Decimal(0)
        return finance.after_price_move(snapshot, value if kind == "rise" else -value)
    if kind == "finance":
        return finance.after_financing(snapshot, value)
    if kind == "cash":
        return replace(snapshot, cash=snapshot.cash + value)
    if kind == "collateral":
        added = finance.Holding("NEW", "转入担保证券", Decimal(1), value, "other_stock")
        return replace(snapshot, holdings=[*snapshot.holdings, added])
    if kind == "repay":
        return replace(snapshot, financing_debt=max(finance.ZERO, snapshot.financing_debt - value))
    if kind == "withdraw":
        return replace(snapshot, cash=snapshot.cash - value)
    return snapshot


def figure_text(kind: str, figure: str) -> str:
    unit, _, raw = figure.partition(":")
    amount = yuan(Decimal(raw)) if unit == "amt" else f"{raw}%"
    return KIND_TEXT[kind] + amount


class ValidateSimulateForm(FormValidationAction):
    """Reads the move and its figure from each message while the form is open."""

    def name(self) -> str:
        return "validate_simulate_form"

    async def extract_sim_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The move: named in the request ("跌了会怎样", "再融资"), else a market fall; a later
        message may change it, but only together with its figure ("再融资20万")."""
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        kind = kind_in(text)
        if tracker.get_slot("requested_slot") is None:  # the request that opens the form
            return {SLOT_KIND: kind or tracker.get_slot(SLOT_KIND) or "fall"}
        if kind and figure_in(text, latest.get("entities") or []) and not CANCEL.match(normalize(text)):
            return {SLOT_KIND: kind}
        return {}

    async def extract_sim_figure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        entities = latest.get("entities") or []
        if CANCEL.match(normalize(text)):
            return {}  # nothing extracted: the form rejects, and the "算了" rule ends it
        activating = tracker.get_slot("requested_slot") is None
        if activating and (verified_client_id(tracker) is None or estimate(text, entities, get_policy()) is not None):
            return {SLOT_FIGURE: NO_FIGURE}  # the simulation action answers (login, or the estimate)
        figure = figure_in(text, entities)
        # nothing for the simulation in this message (another question): extract nothing,
        # so the form rejects and the question is answered by its own rule
        return {SLOT_FIGURE: figure} if figure else {}

    def validate_sim_kind(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return {SLOT_KIND: slot_value if slot_value in KIND_TEXT else "fall"}

    def validate_sim_figure(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if slot_value in (None, NO_FIGURE):
            return {SLOT_FIGURE: slot_value}
        kind = tracker.get_slot(SLOT_KIND) or "fall"
        problem = check_figure(kind, str(slot_value))
        if problem:
            dispatcher.utter_message(text=f"抱歉，{problem}。")
            return {SLOT_FIGURE: None}
        return {SLOT_FIGURE: slot_value}


class ActionLeaveSimulation(BaseAction):
    NAME = "action_leave_simulation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="好的，已退出测算。还有其他融资融券问题可以继续问我。")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(SLOT_KIND, None), SlotSet(SLOT_FIGURE, None)]


class ActionSimulateMargin(PersonalAction):
    NAME = "action_simulate_margin"
    NO_ACCOUNT = "您目前没有信用账户，无法测算维持担保比例。"
    RESET = [SlotSet(SLOT_KIND, None), SlotSet(SLOT_FIGURE, None)]

    def audit_detail(self, tracker: Tracker) -> str:
        figure = tracker.get_slot(SLOT_FIGURE)
        if figure and figure != NO_FIGURE:
            return f"what-if {tracker.get_slot(SLOT_KIND) or 'fall'} {figure}"
        pct, amount, _ = read_inputs(tracker)
        return f"what-if change={pct} financing={amount}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return [*(await super().run(dispatcher, tracker, domain)), *self.RESET]

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        figure = tracker.get_slot(SLOT_FIGURE)
        text = (tracker.latest_message or {}).get("text") or ""
        stated = estimate(text, (tracker.latest_message or {}).get("entities") or [], policy)
        if figure == NO_FIGURE and stated is not None:  # "我净资产120万，稳健型能批多少"
            dispatcher.utter_message(text=stated.text, json_message={"estimate": stated.kind, "faq_id": stated.topic})
            return
        account = record.account
        before = account.snapshot
        lines: List[str] = []
        if account.open_call is not None:
            lines.append(
                f"请先注意：您目前有一笔未了结的追保通知，维持担保比例{ratio_pct(before.ratio)}已低于追保线"
                f"{line(policy, 'margin_call.call_line')}，"
                f"须在截止前恢复到{line(policy, 'margin_call.restore_to')}以上；"
                "期间暂停新的融资买入和融券卖出。"
            )
        if figure and figure != NO_FIGURE:
            kind = tracker.get_slot(SLOT_KIND) or "fall"
            problem = check_figure(kind, figure)
            if problem:
                dispatcher.utter_message(text="抱歉，" + problem + "。" + ASK)
                return
            after = apply_move(before, kind, figure)
            steps = [figure_text(kind, figure)]
            amount = Decimal(figure.partition(":")[2]) if figure.startswith("amt:") else None
        else:
            pct, amount, problems = read_inputs(tracker)
            if problems:
                dispatcher.utter_message(text="抱歉，" + "；".join(problems) + "。" + ASK)
                return
            if pct is None and amount is None:
                dispatcher.utter_message(text=ASK)
                return
            kind = "finance" if amount is not None else ("rise" if pct > 0 else "fall")
            after, steps = before, []
            if amount is not None:
                after = finance.after_financing(after, amount)
                steps.append(f"再融资买入{yuan(amount)}")
            if pct is not None:
                after = finance.after_price_move(after, pct)
                steps.append(f"持仓市值{'上涨' if pct > 0 else '下跌'}{plain(abs(pct))}%")
        lines += [
            f"按当前持仓测算，若{'、'.join(steps)}：",
            f"维持担保比例由{describe(before.ratio, policy)}，变为{describe(after.ratio, policy)}。",
        ]
        if after.ratio is not None:
            lines.append(against_lines(after.ratio, policy))
        if kind == "finance" and amount is not None:
            available = finance.available_quota(account.credit_line, before)
            if amount > available:
                lines.append(f"注意：您的可用额度为{yuan(available)}，不足以再融资{yuan(amount)}。")
            blocks = new_credit_blocks(record, policy)
            if blocks:
                lines.append("注意：" + "；".join(blocks) + "。")
        if kind == "withdraw" and amount is not None:
            most = finance.withdrawable(before, policy)
            if amount > most:
                lines.append(
                    f"注意：提取后比例须不低于提取线{line(policy, 'margin_call.withdrawal_line')}，"
                    f"按当前数据最多可提取约{yuan(most)}，{yuan(amount)}不能全部取出。"
                )
            else:
                lines.append(f"按当前数据最多可提取约{yuan(most)}，这笔提取在范围内。")
        if kind == "repay" and amount is not None and amount > before.financing_debt:
            lines.append(f"注意：您的融资负债为{yuan(before.financing_debt)}，还款超出部分不减少负债。")
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
                "move": kind,
                "ratio_before": _ratio(before.ratio),
                "ratio_after": _ratio(after.ratio),
            },
        )
