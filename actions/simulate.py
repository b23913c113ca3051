"""simulate_margin: what-if on the client's own account ("跌10%会怎样", "再融资10万后比例多少").

A Rasa form (`simulate_form`, domain.yml) collects what the simulation needs: the move
(market fall or rise, new financing, cash or collateral added, repayment, withdrawal, selling
to repay, or a goal: "要转多少才够150%") and its figure ("跌15%", "15个点", "20万", "30w",
"一半", "全用完"). `validate_simulate_form` reads both from each message (actions/whatif.py);
a figure given with the request completes the form at once; "算了" leaves it (rule in
data/rules.yml → action_leave_simulation). A follow-up right after a simulation or a lookup
("那取100w呢") reuses the last move (the `last_lookup` slot). The result is stated against each
line of policy.yml (warning, call, immediate liquidation, withdrawal); a client in a margin
call is told that first.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    BaseAction,
    BusyError,
    entity_values,
    line,
    ratio_pct,
    risk_reminder,
    run_blocking,
    verified_client_id,
    yuan,
)
from actions.estimate import estimate_in_turn
from actions.knowledge import Turn
from actions.personal import PersonalAction, lookup
from actions.whatif import (
    ALL,
    ANSWERS,
    FIGURE_KINDS,
    GOALS,
    PCT_KINDS,
    SIM_FORM,
    SIMULATE,
    SLOT_SIM_FIGURE,
    SLOT_SIM_KIND,
    bare_figure,
    figure_in,
    followup_of,
    kind_in,
    names_a_tier,
    read_move,
)
from core import finance
from core.formatting import moment
from core.knowledge.context import asks_compliance, asks_what_if_not, is_hypothetical
from core.policy import Policy, fmt_pct, fmt_wan, get_policy, plain
from core.text import normalize
from core.texts import client as client_text
from services.restrictions import new_credit_blocks
from storage.repository import Account, ClientRecord

__all__ = ["figure_in", "kind_in"]  # the readers live in actions/whatif.py

ASK = client_text.SIM_ASK.format(fall=fmt_pct(Decimal("0.1")), amount=fmt_wan(100000))
MAX_AMOUNT = Decimal("1000000000")  # one billion yuan: anything above is a typo, not a plan
MAX_TARGET = Decimal("1000")  # a goal above 1000% is a typo
RISE_WORDS = ("涨", "上升", "升")
FALL_WORDS = ("跌",)
SLOT_KIND = SLOT_SIM_KIND
SLOT_FIGURE = SLOT_SIM_FIGURE
NO_FIGURE = "skip"  # figure slot value when the form should end at once (not logged in, an estimate, a follow-up)
LABEL = client_text.SIM_LABEL
ZONE_TEXT = {
    "no_debt": client_text.SIM_ZONE_NO_DEBT,
    "withdrawable": client_text.SIM_ZONE_WITHDRAWABLE,
    "safe": client_text.SIM_ZONE_SAFE,
    "warning": client_text.SIM_ZONE_WARNING,
    "call": client_text.SIM_ZONE_CALL,
    "liquidation": client_text.SIM_ZONE_LIQUIDATION,
}
KIND_TEXT = {
    "fall": client_text.SIM_KIND_FALL,
    "rise": client_text.SIM_KIND_RISE,
    "finance": client_text.SIM_KIND_FINANCE,
    "cash": client_text.SIM_KIND_CASH,
    "collateral": client_text.SIM_KIND_COLLATERAL,
    "repay": client_text.SIM_KIND_REPAY,
    "repay_new": client_text.SIM_KIND_REPAY_NEW,
    "withdraw": client_text.SIM_KIND_WITHDRAW,
    "sell_repay": client_text.SIM_KIND_SELL_REPAY,
    "goal_cash": client_text.SIM_KIND_CASH,
    "goal_repay": client_text.SIM_KIND_REPAY,
    "goal_sell": client_text.SIM_KIND_GOAL_SELL,
}
# the problems a figure can have; the examples and limits are figures, not words
RANGE_CHANGE = client_text.SIM_RANGE_CHANGE.format(most=fmt_pct(1))
RANGE_SELL = client_text.SIM_RANGE_SELL.format(most=fmt_pct(1))
RANGE_AMOUNT = client_text.SIM_RANGE_AMOUNT.format(most=client_text.SIM_YI.format(count=plain(MAX_AMOUNT / 10**8)))
RANGE_TARGET = client_text.SIM_RANGE_TARGET.format(least=fmt_pct(1), example=fmt_pct(Decimal("1.5")))
NEEDS_FIGURE = client_text.SIM_NEEDS_FIGURE.format(
    fall=fmt_pct(Decimal("0.15")), amount=client_text.SIM_WAN.format(count=20)
)
NEEDS_AMOUNT = client_text.SIM_NEEDS_AMOUNT.format(amount=client_text.SIM_WAN.format(count=20))
CANCEL = re.compile(r"^(?:算了|不算了|不用了|不测了|取消|退出|不要了|先不了|不需要了|没事了)")
ALL_KINDS = ("finance", "withdraw", "repay", "repay_new", "sell_repay")  # moves that take "全部"


def _first_decimal(values: List) -> Optional[Decimal]:
    for v in values:
        try:
            return Decimal(str(v))
        except (InvalidOperation, ValueError):
            continue
    return None


def read_inputs(tracker: Tracker) -> Tuple[Optional[Decimal], Optional[Decimal], List[str]]:
    """(price change %, extra financing amount, problems) with ranges validated: from the
    latest message, as before the form existed."""
    problems: List[str] = []
    pct = _first_decimal(entity_values(tracker, "percent"))
    amount = _first_decimal(entity_values(tracker, "amount"))
    text = (tracker.latest_message or {}).get("text") or ""
    if pct is not None:
        rising = any(w in text for w in RISE_WORDS) and not any(w in text for w in FALL_WORDS)
        if not Decimal(0) < pct <= (Decimal(500) if rising else Decimal(100)):
            problems.append(RANGE_CHANGE)
            pct = None
        else:
            pct = pct if rising else -pct
    if amount is not None and not Decimal(0) < amount <= MAX_AMOUNT:
        problems.append(RANGE_AMOUNT)
        amount = None
    return pct, amount, problems


def check_figure(kind: str, figure: str) -> Optional[str]:
    """A problem with the figure for that move, or None."""
    if figure == ALL:
        return None if kind in ALL_KINDS else NEEDS_FIGURE
    unit, _, raw = figure.partition(":")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return client_text.SIM_BAD_NUMBER
    if not value.is_finite():
        return client_text.SIM_BAD_NUMBER
    if kind in GOALS:
        if unit != "pct" or not Decimal(100) < value <= MAX_TARGET:
            return RANGE_TARGET
        return None
    if unit in LEVEL_UNITS and kind not in PCT_KINDS:
        return NEEDS_AMOUNT
    if unit == "pct":
        if kind not in (*PCT_KINDS, "sell_repay"):
            return NEEDS_AMOUNT
        limit = Decimal(500) if kind == "rise" else Decimal(100)
        if not Decimal(0) < value <= limit:
            return RANGE_CHANGE if kind != "sell_repay" else RANGE_SELL
    elif not Decimal(0) < value <= MAX_AMOUNT:
        return RANGE_AMOUNT
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
    return client_text.SIM_DESCRIBE.format(ratio=ratio_pct(ratio), zone=text) if ratio is not None else text


LINES = (
    ("warning_line", client_text.LINE_WARNING),
    ("call_line", client_text.LINE_CALL),
    ("immediate_liquidation_line", client_text.LINE_LIQUIDATION),
    ("withdrawal_line", client_text.LINE_WITHDRAWAL),
)


def against_lines(ratio: Optional[Decimal], policy: Policy) -> str:
    """ "对照各条线：警戒线150%：高于…" for a simulated ratio."""
    if ratio is None:
        return ""
    parts = []
    for key, name in LINES:
        value = policy.dec(f"margin_call.{key}")
        where = client_text.MARGIN_ABOVE if ratio >= value else client_text.MARGIN_BELOW
        named = line(policy, "margin_call." + key)
        parts.append(client_text.SIM_AGAINST_LINE.format(name=name, line=named, where=where))
    return client_text.SIM_AGAINST.format(parts=client_text.SIM_CLAUSE_SEP.join(parts))


def ratio_change(before: finance.Snapshot, after: finance.Snapshot, policy: Policy) -> str:
    """ "维持担保比例由…，变为…。" """
    was, now = describe(before.ratio, policy), describe(after.ratio, policy)
    return client_text.SIM_RATIO_CHANGE.format(before=was, after=now)


def fall_to_call(after: finance.Snapshot, policy: Policy) -> List[str]:
    """ "在此基础上，持仓市值再下跌约…%将触及追保线…。" where there is such a fall."""
    fall = finance.fall_to_line(after, policy.dec("margin_call.call_line"))
    if fall is None or after.ratio is None or fall <= 0:
        return []
    call = line(policy, "margin_call.call_line")
    return [client_text.SIM_FALL_TO_CALL.format(fall=fall.quantize(Decimal("0.1")), call=call)]


def amount_of(kind: str, figure: str, account: Account) -> Decimal:
    """The yuan amount a figure stands for on this account ("全部", "一半" of the holdings)."""
    snap = account.snapshot
    if figure == ALL:
        if kind == "finance":
            return finance.available_quota(account.credit_line, snap)
        if kind == "withdraw":
            return snap.cash
        if kind in ("repay", "repay_new"):
            return snap.financing_debt
        return snap.securities_value
    unit, _, raw = figure.partition(":")
    value = Decimal(raw)
    if unit == "pct" and kind == "sell_repay":
        return finance.money(snap.securities_value * value / 100)
    if unit in LEVEL_UNITS:  # assets (to) or holdings (mv) falling or rising to `value`: the change
        base = snap.total_assets if unit == "to" else snap.securities_value
        return max(Decimal(0), (base - value) if kind == "fall" else (value - base))
    return value


# a figure the assets ("to:", 资产总值) or the holdings ("mv:", 持仓市值) move to, not by
LEVEL_UNITS = ("to", "mv")
LEVEL_TEXTS = {
    "to": (client_text.SIM_LEVEL_RISE, client_text.SIM_LEVEL_FALL),
    "mv": (client_text.SIM_HOLDINGS_RISE, client_text.SIM_HOLDINGS_FALL),
}


def resolved_amount(kind: str, figure: str, account: Account) -> Optional[Decimal]:
    """The yuan amount of a figure that depends on the account ("全部", "一半", "跌到100万"), else None."""
    if figure == ALL or kind == "sell_repay" or figure.partition(":")[0] in LEVEL_UNITS:
        return amount_of(kind, figure, account)
    return None


def apply_move(
    snapshot: finance.Snapshot, kind: str, figure: str, amount: Optional[Decimal] = None
) -> finance.Snapshot:
    """The account after the move; `amount` is the figure in yuan where it was resolved already."""
    unit, _, raw = figure.partition(":")
    value = amount if amount is not None else Decimal(raw)
    if kind in PCT_KINDS:
        if unit in ("amt", *LEVEL_UNITS):  # "跌了20万": a fall of that much market value
            sec = snapshot.securities_value
            value = (value / sec * 100) if sec > 0 else Decimal(0)
        return finance.after_price_move(snapshot, value if kind == "rise" else -value)
    if kind == "finance":
        return finance.after_financing(snapshot, value)
    if kind == "cash":
        return finance.after_deposit(snapshot, value)
    if kind == "collateral":
        added = finance.Holding("NEW", client_text.SIM_COLLATERAL_HOLDING, Decimal(1), value, "other_stock")
        return finance.Snapshot(
            snapshot.cash, [*snapshot.holdings, added], snapshot.financing_debt, snapshot.shorts, snapshot.accrued
        )
    if kind == "repay":  # 直接还款 draws on the credit account's cash
        return finance.after_cash_repayment(snapshot, value)
    if kind == "repay_new":
        return finance.after_repayment(snapshot, value)
    if kind == "withdraw":
        return finance.after_deposit(snapshot, -value)
    if kind == "sell_repay":
        if unit == "pct" and amount is None:
            value = snapshot.securities_value * value / 100
        return finance.after_sale_repaying(snapshot, value)
    return snapshot


def figure_text(kind: str, figure: str, amount: Optional[Decimal] = None) -> str:
    unit, _, raw = figure.partition(":")
    if kind == "sell_repay":
        if figure == ALL:
            share = client_text.SIM_SELL_ALL
        else:
            share = client_text.SIM_SELL_SHARE.format(pct=raw) if unit == "pct" else client_text.SIM_SELL_HOLDINGS
        return client_text.SIM_SELL_REPAY.format(share=share, amount=yuan(amount or Decimal(raw or 0)))
    if figure == ALL and amount is not None:
        whole = {
            "finance": client_text.SIM_ALL_FINANCE,
            "withdraw": client_text.SIM_ALL_WITHDRAW,
            "repay": client_text.SIM_ALL_REPAY,
            "repay_new": client_text.SIM_ALL_REPAY,
        }
        return KIND_TEXT[kind] + yuan(amount) + whole.get(kind, "")
    if unit in LEVEL_UNITS:
        level = LEVEL_TEXTS[unit][kind == "fall"]
        return level.format(level=yuan(Decimal(raw)), change=KIND_TEXT[kind] + yuan(amount or Decimal(0)))
    return KIND_TEXT[kind] + (yuan(Decimal(raw)) if unit == "amt" else f"{raw}%")


def move_text(record: ClientRecord, kind: str, figure: str) -> str:
    """ "卖出50%的持仓（约1,500,000元）并用所得偿还融资负债", "追加现金使比例回到150%"."""
    if kind in GOALS:
        return client_text.SIM_GOAL_MOVE.format(move=KIND_TEXT[kind], target=figure.partition(":")[2])
    amount = resolved_amount(kind, figure, record.account)
    return figure_text(kind, figure, amount)


def call_first(account: Account, policy: Policy) -> List[str]:
    """A client in a margin call hears that before any figure."""
    if account.open_call is None:
        return []
    return [
        client_text.SIM_CALL_FIRST.format(
            ratio=ratio_pct(account.snapshot.ratio),
            call=line(policy, "margin_call.call_line"),
            restore=line(policy, "margin_call.restore_to"),
            deadline=moment(account.open_call.deadline),
        )
    ]


def goal_lines(
    record: ClientRecord, policy: Policy, kind: str, figure: str, base: Optional[Tuple[str, str]] = None
) -> Tuple[List[str], finance.Snapshot]:
    """ "要转多少才够150%": the cash, repayment or sale that takes the ratio to the target;
    from the state after the market move `base` when one was just simulated."""
    account = record.account
    before, basis = account.snapshot, None
    if base is not None:
        moved = resolved_amount(*base, account)
        before, basis = apply_move(before, *base, moved), figure_text(*base, moved)
    target_pct = Decimal(figure.partition(":")[2])
    target = target_pct / 100
    goal = f"{plain(target_pct)}%"
    cash = finance.cash_to_restore(before, target)
    repay = finance.repayment_to_restore(before, target)
    sale = finance.sale_to_restore(before, target)
    if before.ratio is None:
        return [client_text.SIM_NO_DEBT], before
    if cash <= 0:
        if basis:
            return [client_text.SIM_GOAL_MET_AFTER.format(move=basis, ratio=ratio_pct(before.ratio), goal=goal)], before
        return [client_text.SIM_GOAL_MET.format(ratio=describe(before.ratio, policy), goal=goal)], before
    ways = {
        "goal_cash": (client_text.SIM_WAY_CASH, cash),
        "goal_repay": (client_text.SIM_WAY_REPAY, repay),
        "goal_sell": (client_text.SIM_WAY_SELL, sale),
    }
    name, needed = ways[kind]
    lines: List[str] = []
    if needed is None:
        lines.append(client_text.SIM_GOAL_SALE_SHORT.format(goal=goal))
    elif basis:
        lines.append(
            client_text.SIM_GOAL_NEED_AFTER.format(
                move=basis, ratio=ratio_pct(before.ratio), goal=goal, name=name, amount=yuan(needed)
            )
        )
    else:
        lines.append(
            client_text.SIM_GOAL_NEED.format(ratio=ratio_pct(before.ratio), goal=goal, name=name, amount=yuan(needed))
        )
    others = [
        client_text.SIM_GOAL_OTHER.format(name=n, amount=yuan(v))
        for k, (n, v) in ways.items()
        if k != kind and v is not None
    ]
    if others:
        lines.append(client_text.SIM_GOAL_OTHERS.format(others=client_text.SIM_GOAL_OR.join(others)))
    if kind == "goal_repay" and needed is not None and needed > before.financing_debt:
        lines.append(client_text.SIM_GOAL_REPAY_OVER_DEBT.format(debt=yuan(before.financing_debt)))
    if needed is None:
        return lines, before
    after = {
        "goal_cash": lambda: finance.after_deposit(before, needed),
        "goal_repay": lambda: finance.after_repayment(before, needed),
        "goal_sell": lambda: finance.after_sale_repaying(before, needed),
    }[kind]()
    lines.append(against_lines(after.ratio, policy))
    return lines, after


def outcome(record: ClientRecord, policy: Policy, kind: str, figure: str) -> finance.Snapshot:
    """The account after a move (for a goal: after the cash, repayment or sale it asks for)."""
    if check_figure(kind, figure):
        return record.account.snapshot
    if kind in GOALS:
        return goal_lines(record, policy, kind, figure)[1]
    amount = resolved_amount(kind, figure, record.account)
    return apply_move(record.account.snapshot, kind, figure, amount)


def simulation(
    record: ClientRecord, policy: Policy, kind: str, figure: str, base: Optional[Tuple[str, str]] = None
) -> Tuple[str, Dict[str, Any]]:
    """The what-if reply for one move on the verified client's account: the margin call first,
    the ratio before and after against each line, the limits that apply, the label and the
    risk reminder. (text, json payload)."""
    account = record.account
    before = account.snapshot
    lines = call_first(account, policy)
    problem = check_figure(kind, figure)
    if (
        problem is None
        and kind == "fall"
        and figure.startswith("amt:")
        and amount_of(kind, figure, account) > before.securities_value
    ):
        problem = client_text.SIM_FALL_OVER_HOLDINGS.format(value=yuan(before.securities_value))
    if problem:
        return client_text.SIM_PROBLEM.format(problem=problem) + ASK, {"personal": "what_if", "problem": problem}
    if kind in GOALS:
        body, after = goal_lines(record, policy, kind, figure, base)
        lines += body
    else:
        amount = resolved_amount(kind, figure, account)
        after = apply_move(before, kind, figure, amount)
        lines += [
            client_text.SIM_IF.format(move=figure_text(kind, figure, amount)),
            ratio_change(before, after, policy),
        ]
        if after.ratio is not None:
            lines.append(against_lines(after.ratio, policy))
        lines += limits(record, policy, kind, figure, amount)
    lines += fall_to_call(after, policy)
    lines += [LABEL, risk_reminder(policy)]
    return "\n".join(lines), {
        "personal": "what_if",
        "move": kind,
        "ratio_before": _ratio(before.ratio),
        "ratio_after": _ratio(after.ratio),
    }


def limits(record: ClientRecord, policy: Policy, kind: str, figure: str, amount: Optional[Decimal]) -> List[str]:
    """What the rules allow for that move: quota, blocks, the withdrawal line, the debt."""
    account = record.account
    before = account.snapshot
    if amount is None and figure.startswith("amt:"):
        amount = Decimal(figure.partition(":")[2])
    lines: List[str] = []
    if kind == "finance" and amount is not None:
        available = finance.available_quota(account.credit_line, before)
        if amount > available:
            lines.append(client_text.SIM_QUOTA_SHORT.format(available=yuan(available), amount=yuan(amount)))
        blocks = new_credit_blocks(record, policy)
        if blocks:
            lines.append(client_text.SIM_NOTE.format(blocks=client_text.SIM_PART_SEP.join(blocks)))
    if kind == "withdraw" and amount is not None:
        most = finance.withdrawable(before, policy)
        withdraw_line = line(policy, "margin_call.withdrawal_line")
        if amount > most:
            lines.append(client_text.SIM_WITHDRAW_OVER.format(line=withdraw_line, most=yuan(most), amount=yuan(amount)))
        else:
            lines.append(client_text.SIM_WITHDRAW_OK.format(most=yuan(most), line=withdraw_line))
    if kind in ("repay", "repay_new", "sell_repay") and amount is not None and amount > before.financing_debt:
        lines.append(client_text.SIM_REPAY_OVER_DEBT.format(debt=yuan(before.financing_debt)))
    return lines


_LINE_ASKED = re.compile(
    r"(?:到|掉到|跌到|低于|跌破|降到)(?:多少|几多|几)(?:%|个点)?.{0,6}(?:追保|平仓|强平|预警)"
    r"|多少.{0,4}(?:就|会|才).{0,4}(?:追保|平仓|强平|预警)|(?:追保|平仓|警戒|预警|提取)线(?:是)?(?:多少|几多)"
)


def no_move_asked(text: str, entities: List[Dict[str, Any]], policy: Policy) -> bool:
    """A question about what follows if the client does not act ("要是来不及会怎么样"), or
    about where a line lies ("比例掉到多少就会被追保"), with no move or figure to simulate:
    the knowledge answer, not the form."""
    _, figure = read_move(text, entities, policy)  # ("不补" is no cash move)
    t = normalize(text)
    asks_rules = (
        asks_what_if_not(text) or bool(_LINE_ASKED.search(t)) or names_a_tier(t, policy)
    )  # ("我升到成長型會變幾多")
    return figure is None and asks_rules


class ValidateSimulateForm(FormValidationAction):
    """Reads the move and its figure from each message while the form is open."""

    def name(self) -> str:
        return "validate_simulate_form"

    async def extract_sim_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """The move: named in the request ("跌了会怎样", "再融资"), the last simulation's move for
        a follow-up ("那20万呢"), else a market fall; a later message may change it, but only
        together with its figure ("再融资20万")."""
        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        policy = get_policy()
        kind, figure = read_move(text, latest.get("entities") or [], policy)
        if tracker.get_slot("requested_slot") is None:  # the request that opens the form
            follow = followup_of(tracker, policy)
            if follow is not None and follow[0] == SIMULATE:  # "补点钱比例能到多少": that move
                return {SLOT_KIND: follow[1]}
            if follow is not None and follow[0] not in ANSWERS:
                return {SLOT_KIND: follow[0]}
            return {SLOT_KIND: kind or tracker.get_slot(SLOT_KIND) or "fall"}
        figure = figure or bare_figure(text, kind)  # ("还10个": 10万 repaid)
        if kind and figure and not CANCEL.match(normalize(text)):
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
        policy = get_policy()
        if tracker.get_slot("requested_slot") is None:  # the request that opens the form
            if verified_client_id(tracker) is None or estimate_in_turn(tracker, policy) is not None:
                return {SLOT_FIGURE: NO_FIGURE}  # the simulation action answers (login, or the estimate)
            if asks_compliance(text):  # "会不会被强平呀，您能不能给我保证一下": refused, not simulated
                return {SLOT_FIGURE: NO_FIGURE}
            if no_move_asked(text, entities, policy):
                return {SLOT_FIGURE: NO_FIGURE}  # "要是来不及会怎么样": the rule answers it
            follow = followup_of(tracker, policy)
            if follow is not None and follow[0] == SIMULATE:
                return {}  # a move without its figure: asked for
            if follow is not None:  # about the state just shown: answered without asking
                # "market crash了 我的ratio咋样": the lookup; "要是股票跌了 比例变多少": a what-if, asked for its figure
                now = follow[0] in FIGURE_KINDS and not is_hypothetical(text)
                answered = follow[0] in ANSWERS or now
                return {SLOT_FIGURE: NO_FIGURE if answered else follow[1]}
        if no_move_asked(text, entities, policy):
            return {SLOT_FIGURE: NO_FIGURE}  # "那要是我不补呢，会怎么样": the form ends and the rule answers
        follow = followup_of(tracker, policy)
        if follow is not None and follow[0] == "line_at":
            return {SLOT_FIGURE: NO_FIGURE}  # "净资产200万的话": their line, answered after the form
        kind, figure = read_move(text, entities, policy)
        figure = figure or bare_figure(text, kind or tracker.get_slot(SLOT_KIND))  # "那40呢", "还10个"
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
            dispatcher.utter_message(text=client_text.SIM_PROBLEM.format(problem=problem))
            return {SLOT_FIGURE: None}
        return {SLOT_FIGURE: slot_value}


ASK_MOVE = {  # the form's question for the figure, by the move the client named
    "fall": client_text.SIM_ASK_FALL,
    "rise": client_text.SIM_ASK_RISE,
    "finance": client_text.SIM_ASK_FINANCE,
    "cash": client_text.SIM_ASK_CASH,
    "collateral": client_text.SIM_ASK_COLLATERAL,
    "repay": client_text.SIM_ASK_REPAY,
    "repay_new": client_text.SIM_ASK_REPAY_NEW,
    "withdraw": client_text.SIM_ASK_WITHDRAW,
    "sell_repay": client_text.SIM_ASK_SELL_REPAY,
}
ASK_EXAMPLES = {  # example figures in those questions
    "fall": fmt_pct(Decimal("0.15")),
    "rise": fmt_pct(Decimal("0.1")),
    "finance": fmt_wan(200000),
    "cash": fmt_wan(100000),
    "small": fmt_wan(50000),
    "sell": fmt_wan(500000),
}


def opened_this_turn(tracker: Tracker) -> bool:
    """Whether the simulation form was activated after the latest user message."""
    events = list(tracker.events or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return any(e.get("event") == "active_loop" and e.get("name") == SIM_FORM for e in events[last_user + 1 :])


class ActionAskSimFigure(BaseAction):
    """The form's question for the figure, for the move asked about ("转多少现金？"); a verified
    client in a margin call hears that first, and a withdrawal's asker how much may be taken."""

    NAME = "action_ask_sim_figure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        policy = get_policy()
        kind = tracker.get_slot(SLOT_KIND) or "fall"
        text = (tracker.latest_message or {}).get("text") or ""
        named = kind != "fall" or kind_in(text) == "fall"  # (a fall is also the default move)
        lines: List[str] = []
        client_id = verified_client_id(tracker)
        if client_id is not None and opened_this_turn(tracker):
            try:
                record = await run_blocking(lambda: lookup(client_id, self.name(), f"what-if ask {kind}"))
            except BusyError:
                record = None
            if record is not None and record.account is not None:
                lines += call_first(record.account, policy)
                if kind == "withdraw":
                    most = finance.withdrawable(record.account.snapshot, policy)
                    lines.append(
                        client_text.SIM_ASK_WITHDRAW_MOST.format(
                            most=yuan(most), line=line(policy, "margin_call.withdrawal_line")
                        )
                    )
        lines.append(
            (ASK_MOVE.get(kind, client_text.SIM_ASK_FIGURE) if named else client_text.SIM_ASK_FIGURE).format(
                **ASK_EXAMPLES
            )
        )
        dispatcher.utter_message(text=" ".join(lines))
        return []


class ActionLeaveSimulation(BaseAction):
    NAME = "action_leave_simulation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text=client_text.SIM_LEFT)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(SLOT_KIND, None), SlotSet(SLOT_FIGURE, None)]


class ActionSimulateMargin(PersonalAction):
    NAME = "action_simulate_margin"
    LOOKUP = "what_if"
    NO_ACCOUNT = client_text.SIM_NO_ACCOUNT
    RESET = [SlotSet(SLOT_KIND, None), SlotSet(SLOT_FIGURE, None)]

    def routes(self, kind: str) -> bool:
        return kind in ANSWERS or kind in FIGURE_KINDS  # a move is simulated here, from the form's slots

    def audit_detail(self, tracker: Tracker) -> str:
        figure = tracker.get_slot(SLOT_FIGURE)
        if figure and figure != NO_FIGURE:
            return f"what-if {tracker.get_slot(SLOT_KIND) or 'fall'} {figure}"
        pct, amount, _ = read_inputs(tracker)
        return f"what-if change={pct} financing={amount}"

    def shown_move(self, tracker: Tracker) -> Optional[str]:
        figure = tracker.get_slot(SLOT_FIGURE)
        if figure and figure != NO_FIGURE:
            return f"{tracker.get_slot(SLOT_KIND) or 'fall'} {figure}"
        pct, amount, problems = read_inputs(tracker)
        if problems or (pct is None) == (amount is None):
            return None
        if amount is not None:
            return f"finance amt:{plain(amount)}"
        return f"{'rise' if pct and pct > 0 else 'fall'} pct:{plain(abs(pct or 0))}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        policy = get_policy()
        stated = tracker.get_slot(SLOT_FIGURE) == NO_FIGURE and estimate_in_turn(tracker, policy) is not None
        if stated or no_move_asked(text, (tracker.latest_message or {}).get("entities") or [], policy):
            # figures for an estimate ("我净资产120万，稳健型能批多少"), or a rule's question:
            # the knowledge turn answers it and keeps its thread
            return [*(await Turn(dispatcher, tracker).run("faq")), *self.RESET]
        return [*(await super().run(dispatcher, tracker, domain)), *self.RESET]

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        figure = tracker.get_slot(SLOT_FIGURE)
        if figure and figure != NO_FIGURE:
            kind = tracker.get_slot(SLOT_KIND) or "fall"
            reply, payload = simulation(record, policy, kind, figure)
            dispatcher.utter_message(text=reply, json_message=payload)
            return
        self.respond_from_entities(dispatcher, tracker, record, policy)

    def respond_from_entities(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy
    ) -> None:
        """Without the form's slots: a fall or rise and/or new financing read from the entities."""
        account = record.account
        before = account.snapshot
        lines = call_first(account, policy)
        pct, amount, problems = read_inputs(tracker)
        if problems:
            problem = client_text.SIM_PART_SEP.join(problems)
            dispatcher.utter_message(text="\n".join([*lines, client_text.SIM_PROBLEM.format(problem=problem) + ASK]))
            return
        if pct is None and amount is None:
            dispatcher.utter_message(text="\n".join([*lines, ASK]))
            return
        after, steps = before, []
        if amount is not None:
            after = finance.after_financing(after, amount)
            steps.append(client_text.SIM_STEP_FINANCE.format(amount=yuan(amount)))
        if pct is not None:
            after = finance.after_price_move(after, pct)
            direction = client_text.SIM_UP if pct > 0 else client_text.SIM_DOWN
            steps.append(client_text.SIM_STEP_MOVE.format(direction=direction, pct=plain(abs(pct))))
        lines += [
            client_text.SIM_IF.format(move=client_text.SIM_LIST_SEP.join(steps)),
            ratio_change(before, after, policy),
        ]
        if after.ratio is not None:
            lines.append(against_lines(after.ratio, policy))
        if amount is not None:
            lines += limits(record, policy, "finance", f"amt:{plain(amount)}", amount)
        lines += fall_to_call(after, policy)
        lines += [LABEL, risk_reminder(policy)]
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={
                "personal": "what_if",
                "move": "finance" if amount is not None else ("rise" if pct and pct > 0 else "fall"),
                "ratio_before": _ratio(before.ratio),
                "ratio_after": _ratio(after.ratio),
            },
        )
