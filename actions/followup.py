"""action_personal_followup: a short follow-up on the verified client's state just shown.

"那我现在还能融资买吗" (suspended while a margin call is open, until the ratio is back to the
restore line; blocked while the assessment is expired), "最多能取多少" (the amount above the
withdrawal line, or why not), "有效期到什么时候" / "过期了会怎样" (the client's own assessment),
"我有专属经理不" (the VIP manager on their record), "那就超过150%了吧" (the figure just shown
against that line), and simulation follow-ups ("那取100w呢", "要转多少才够150%").

Whichever action the NLU's reading led to hands the turn here with a FollowupAction
(actions/whatif.py reads the message against the `last_lookup` slot). The record is read
fresh through the audited lookup (actions/personal.py) for the verified client only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day, line, moment, ratio_pct, risk_reminder, yuan
from actions.personal import PersonalAction
from actions.quota import NO_ACCOUNT as NO_QUOTA
from actions.risk_tier import RETAKE
from actions.simulate import LABEL, against_lines, move_text, outcome, simulation
from actions.whatif import ANSWERS, FOLLOWUP_ACTION, MOVES, State, followup_of, state_of, target_in, user_turns
from core import clock, finance
from core.policy import Policy, fmt_wan, get_policy, plain
from core.text import normalize
from services.restrictions import assessment_expired
from storage.repository import ClientRecord

# the state a follow-up stands for when nothing was shown before it
NEAREST = {
    "can_finance": "quota",
    "withdraw_max": "margin_status",
    "assessment": "risk_tier",
    "vip": "quota",
    "confirm": "margin_status",
}
NO_CREDIT_ACCOUNT = "您目前没有信用账户，因此没有维持担保比例和可提取的担保资产。"
NOT_UNDERSTOOD = "请告诉我您想了解的情形，例如“我还能融资吗”“最多能取多少”或“再跌10%会怎样”。"
ABOVE_WORDS = ("超过", "高于", "高过", "以上", "够", "安全", "过了", "到了", "没事", "不会")


def can_finance(record: ClientRecord, policy: Policy) -> str:
    account = record.account
    if account is None:
        return NO_QUOTA
    snap = account.snapshot
    restore = policy.dec("margin_call.restore_to")
    lines = []
    if account.open_call is not None:
        cash, repay = finance.cash_to_restore(snap, restore), finance.repayment_to_restore(snap, restore)
        lines.append(
            f"目前不能。您有一笔未了结的追保通知（截止{moment(account.open_call.deadline)}），"
            "追保期间暂停新的融资买入和融券卖出；"
            f"需先将维持担保比例从{ratio_pct(snap.ratio)}恢复到{line(policy, 'margin_call.restore_to')}以上："
            f"按当前数据需追加现金约{yuan(cash)}，或直接还款约{yuan(repay)}。"
        )
    if record.assessment is None:
        lines.append("暂未查到您的风险测评记录，完成风险测评后才能新增融资买入。" + RETAKE)
    elif assessment_expired(record, policy):
        expiry = finance.assessment_expiry(record.assessment.assessed_on, policy)
        lines.append(
            ("" if lines else "目前不能。")
            + f"您的风险测评已于{day(expiry)}过期，重新测评前不能新增融资买入；请先重新完成风险测评。{RETAKE}"
        )
    available = finance.available_quota(account.credit_line, snap)
    if lines:
        lines.append(f"恢复后，可用额度按当前数据为{yuan(available)}。")
    elif available <= 0:
        lines.append(
            f"您的可用额度目前为{yuan(available)}，授信额度{yuan(account.credit_line)}已用完，暂不能新增融资。"
        )
    else:
        after = finance.after_financing(snap, available)
        lines.append(
            f"可以。您的可用额度为{yuan(available)}（授信额度{yuan(account.credit_line)}，已用融资{yuan(snap.financing_debt)}、"
            f"融券{yuan(snap.short_value)}），可用于融资买入或融券卖出，保证金比例不低于"
            f"{line(policy, 'margin.min_margin_ratio')}。"
        )
        if after.ratio is not None:
            lines.append(f"按当前价格测算，若全部用于融资买入，维持担保比例约为{ratio_pct(after.ratio)}。")
    lines.append(risk_reminder(policy))
    return "\n".join(lines)


def withdraw_max(record: ClientRecord, policy: Policy) -> str:
    account = record.account
    if account is None:
        return NO_CREDIT_ACCOUNT
    snap = account.snapshot
    withdraw_line = line(policy, "margin_call.withdrawal_line")
    most = finance.withdrawable(snap, policy)
    if snap.ratio is None:
        return f"您的信用账户目前没有负债，不受提取线限制，可提取现金约{yuan(most)}。"
    lines = []
    if most <= 0:
        lines.append(
            f"按您当前的数据，维持担保比例{ratio_pct(snap.ratio)}，未高于提取线{withdraw_line}，暂不能提取现金或证券；"
            f"比例高于{withdraw_line}时，超出部分才可提取（提取后比例须不低于{withdraw_line}）。"
        )
        if account.open_call is not None:
            lines.append(
                f"您目前还有一笔未了结的追保通知，须在{moment(account.open_call.deadline)}前将比例恢复到"
                f"{line(policy, 'margin_call.restore_to')}以上。"
            )
    else:
        lines.append(
            f"按您当前的数据，维持担保比例{ratio_pct(snap.ratio)}，高于提取线{withdraw_line}，最多可提取现金约{yuan(most)}"
            f"（提取后比例须不低于{withdraw_line}）。"
        )
    if account.as_of is not None:
        lines.append(f"（数据截至{moment(account.as_of)}，以交易系统为准）")
    lines.append(risk_reminder(policy))
    return "\n".join(lines)


def assessment(record: ClientRecord, policy: Policy) -> str:
    a = record.assessment
    if a is None:
        return "暂未查到您的风险测评记录。" + RETAKE
    tier = policy.tier(a.tier)
    expiry = finance.assessment_expiry(a.assessed_on, policy)
    months = policy.get("risk_tiers.assessment_validity_months")
    head = (
        f"您的风险测评结果为{tier['name']}（{tier['code']}），测评日期{day(a.assessed_on)}，"
        f"有效期{months}个月，到期日{day(expiry)}。"
    )
    if expiry <= clock.today():
        return head + f"\n您的测评已于{day(expiry)}过期：过期后不能新增融资买入，需重新测评后才能恢复。{RETAKE}"
    return head + f"\n到期后需重新测评；测评过期期间不能新增融资买入。{RETAKE}"


def vip(record: ClientRecord, policy: Policy) -> str:
    threshold = fmt_wan(policy.get("risk_tiers.vip_min_net_assets"))
    if record.vip_manager:
        return (
            f"有。您是示例证券的高净值客户，配有专属服务经理：{record.vip_manager}。"
            f"按规定，净资产达到{threshold}的客户配有专属VIP服务经理，并可申请超过等级上限的授信额度（个案审批）。"
        )
    return (
        f"您目前没有专属服务经理。按规定，净资产达到{threshold}的高净值客户配有专属VIP服务经理，"
        "并可申请超过等级上限的授信额度（个案审批）。需要帮助可以随时问我，或输入“人工”联系人工客服。"
    )


def _line_name(target: Decimal, policy: Policy) -> str:
    for key, name in (
        ("warning_line", "警戒线"),
        ("call_line", "追保线"),
        ("immediate_liquidation_line", "即时平仓线"),
        ("withdrawal_line", "提取线"),
    ):
        if policy.dec(f"margin_call.{key}") * 100 == target:
            return name + line(policy, f"margin_call.{key}")
    return f"{plain(target)}%"


def confirm(record: ClientRecord, policy: Policy, state: Optional[State], text: str, entities: list) -> str:
    """ "那就超过150%了吧": the ratio just shown (the last simulation's, else the current one)
    against the line the client names (else the warning line)."""
    account = record.account
    if account is None:
        return NO_CREDIT_ACCOUNT
    move = state.sim_move if state is not None and state.kind == "what_if" else None
    after = outcome(record, policy, *move) if move else account.snapshot
    if after.ratio is None:
        return "按测算，您的信用账户没有负债，不涉及维持担保比例。"
    target = target_in(text, entities, policy) or policy.dec("margin_call.warning_line") * 100
    above = after.ratio * 100 >= target
    asserted_above = any(w in normalize(text) for w in ABOVE_WORDS)
    verdict = ("是的，" if above == asserted_above else "不是，") if asserted_above or "低于" in text else ""
    basis = f"按刚才的测算（{move_text(record, *move)}）" if move else "按您当前的数据"
    return "\n".join(
        [
            f"{verdict}{basis}，维持担保比例为{ratio_pct(after.ratio)}，"
            f"{'高于' if above else '低于'}{_line_name(target, policy)}。",
            against_lines(after.ratio, policy),
            LABEL if move else "",
            risk_reminder(policy),
        ]
    ).replace("\n\n", "\n")


class ActionPersonalFollowup(PersonalAction):
    NAME = FOLLOWUP_ACTION

    def routes(self, kind: str) -> bool:
        return False  # answered here

    def audit_detail(self, tracker: Tracker) -> str:
        follow = followup_of(tracker, get_policy())
        return "follow-up " + (" ".join(x for x in follow if x) if follow else "none")

    def state_after(self, tracker: Tracker, client_id: str) -> Optional[State]:
        follow = followup_of(tracker, get_policy())
        before = state_of(tracker)
        turn = user_turns(tracker)
        if follow is not None and follow[0] in MOVES:
            return State("what_if", client_id, turn, f"{follow[0]} {follow[1]}")
        kind = before.kind if before is not None else NEAREST.get(follow[0] if follow else "", "quota")
        return State(kind, client_id, turn, before.sim if before is not None else None)

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        latest = tracker.latest_message or {}
        follow: Optional[Tuple[str, Optional[str]]] = followup_of(tracker, policy)
        if follow is None:
            dispatcher.utter_message(text=NOT_UNDERSTOOD)
            return
        kind, figure = follow
        if kind in MOVES and figure:
            if record.account is None:
                dispatcher.utter_message(text="您目前没有信用账户，无法测算维持担保比例。")
                return
            text, payload = simulation(record, policy, kind, figure)
            dispatcher.utter_message(text=text, json_message=payload)
            return
        answers = {
            "can_finance": lambda: can_finance(record, policy),
            "withdraw_max": lambda: withdraw_max(record, policy),
            "assessment": lambda: assessment(record, policy),
            "vip": lambda: vip(record, policy),
            "confirm": lambda: confirm(
                record, policy, state_of(tracker), latest.get("text") or "", latest.get("entities") or []
            ),
        }
        answer = answers.get(kind) if kind in ANSWERS else None
        text = answer() if answer else NOT_UNDERSTOOD
        dispatcher.utter_message(text=text, json_message={"personal": "follow_up", "kind": kind})
