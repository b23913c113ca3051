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

from dataclasses import replace
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    MARGIN_LINES,
    day,
    line,
    moment,
    ratio_pct,
    risk_reminder,
    verified_client_id,
    withdrawal_sentence,
    yuan,
)
from actions.eligibility import ActionCheckEligibility, check_rules
from actions.estimate import annual_rate, credit_line, interest_due
from actions.margin_status import ActionQueryMarginStatus
from actions.personal import PersonalAction
from actions.quota import NO_ACCOUNT as NO_QUOTA
from actions.quota import ActionQueryQuota
from actions.risk_tier import RETAKE, ActionQueryRiskTier
from actions.simulate import LABEL, against_lines, amount_of, move_text, outcome, simulation
from actions.thread import context_events
from actions.whatif import (
    ANSWERS,
    FOLLOWUP_ACTION,
    GOALS,
    MOVES,
    PCT_KINDS,
    State,
    followup_of,
    just_shown,
    state_of,
    target_in,
    user_turns,
)
from core import clock, finance
from core.policy import Policy, fmt_pct, fmt_wan, get_policy, plain
from core.text import normalize
from core.texts import client as client_text
from services.restrictions import assessment_expired
from storage.repository import Assessment, ClientRecord

# another figure of the account, named in a short follow-up: that figure's own lookup answers
FIGURE_ACTIONS = {
    "figure_ratio": ActionQueryMarginStatus,
    "figure_deadline": ActionQueryMarginStatus,
    "figure_quota": ActionQueryQuota,
    "figure_tier": ActionQueryRiskTier,
    "figure_eligibility": ActionCheckEligibility,
    "figure_account": ActionQueryMarginStatus,  # (with the assessment when it has expired)
}
# the state a follow-up stands for when nothing was shown before it
NEAREST = {
    "can_finance": "quota",
    "withdraw_max": "margin_status",
    "assessment": "risk_tier",
    "vip": "quota",
    "confirm": "margin_status",
    "figure_ratio": "margin_status",
    "figure_deadline": "margin_status",
    "figure_quota": "quota",
    "figure_tier": "risk_tier",
    "figure_eligibility": "eligibility",
    "figure_account": "margin_status",
    "interest_available": "quota",
    "interest_debt": "quota",
    "interest_short": "quota",
    "interest_move": "what_if",
    "line_cut": "quota",
    "line_at": "risk_tier",
    "tier_line": "risk_tier",
    "fall_to": "margin_status",
    "if_not": "margin_status",
}
# the rule each follow-up applies to the client's account: its faq id rides with the answer
RULE_TOPICS = {
    "if_not": "margincall_forced_liquidation",
    "withdraw_max": "margincall_withdrawal",
    "assessment": "risk_assessment_validity",
    "vip": "quota_vip",
    "line_cut": "quota_market_cut",
    "why_line": "risk_tier_credit_strategy",
    "line_at": "risk_tier_credit_strategy",
    "tier_line": "risk_tier_credit_strategy",
}
NO_CREDIT_ACCOUNT = client_text.FOLLOW_NO_CREDIT_ACCOUNT
NOT_UNDERSTOOD = client_text.FOLLOW_NOT_UNDERSTOOD.format(fall=fmt_pct(Decimal("0.1")))
ABOVE_WORDS = ("超过", "高于", "高过", "以上", "够", "安全", "过了", "到了", "没事", "不会")
BELOW_WORDS = ("低于",)


def can_finance_topic(record: ClientRecord, policy: Policy) -> Optional[str]:
    """The rule that keeps this client from new financing, if any."""
    if record.account is not None and record.account.open_call is not None:
        return "margincall_deadline"
    if assessment_expired(record, policy):
        return "risk_assessment_validity"
    return None


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
            client_text.FOLLOW_CALL_OPEN.format(
                deadline=moment(account.open_call.deadline),
                ratio=ratio_pct(snap.ratio),
                restore=line(policy, "margin_call.restore_to"),
                cash=yuan(cash),
                repay=yuan(repay),
            )
        )
    if record.assessment is None:
        lines.append(client_text.FOLLOW_NO_ASSESSMENT + RETAKE)
    elif assessment_expired(record, policy):
        expiry = finance.assessment_expiry(record.assessment.assessed_on, policy)
        lines.append(
            ("" if lines else client_text.FOLLOW_NOT_NOW)
            + client_text.FOLLOW_EXPIRED.format(expiry=day(expiry), retake=RETAKE)
        )
    available = finance.available_quota(account.credit_line, snap)
    if lines:
        lines.append(client_text.FOLLOW_AFTER_RESTORE.format(available=yuan(available)))
    elif available <= 0:
        lines.append(client_text.FOLLOW_QUOTA_USED.format(available=yuan(available), line=yuan(account.credit_line)))
    else:
        after = finance.after_financing(snap, available)
        lines.append(
            client_text.FOLLOW_CAN_FINANCE.format(
                available=yuan(available),
                line=yuan(account.credit_line),
                financing=yuan(snap.financing_debt),
                short=yuan(snap.short_value),
                margin=line(policy, "margin.min_margin_ratio"),
            )
        )
        if after.ratio is not None:
            lines.append(client_text.FOLLOW_ALL_USED.format(ratio=ratio_pct(after.ratio)))
    lines.append(risk_reminder(policy))
    return "\n".join(lines)


def withdraw_max(record: ClientRecord, policy: Policy, move: Optional[Tuple[str, str]] = None) -> str:
    """What the client may withdraw now, or after the move just simulated ("and if I repay 1m"
    → "then how much could I withdraw")."""
    account = record.account
    if account is None:
        return NO_CREDIT_ACCOUNT
    snap = outcome(record, policy, *move) if move else account.snapshot
    most = finance.withdrawable(snap, policy)
    if snap.ratio is None:
        return client_text.FOLLOW_NO_DEBT_WITHDRAW.format(most=yuan(most))
    basis = client_text.FOLLOW_BASIS_AFTER if move else client_text.FOLLOW_BASIS_NOW
    lines = [withdrawal_sentence(snap, policy, basis)]
    if move:
        lines.insert(0, client_text.FOLLOW_AFTER_MOVE.format(move=move_text(record, *move)))
        lines.append(LABEL)
    elif most <= 0:
        if account.open_call is not None:
            lines.append(
                client_text.FOLLOW_CALL_STILL_OPEN.format(
                    deadline=moment(account.open_call.deadline), restore=line(policy, "margin_call.restore_to")
                )
            )
    if account.as_of is not None:
        lines.append(client_text.FOLLOW_AS_OF.format(at=moment(account.as_of)))
    lines.append(risk_reminder(policy))
    return "\n".join(lines)


def assessment(record: ClientRecord, policy: Policy) -> str:
    a = record.assessment
    if a is None:
        return client_text.FOLLOW_NO_ASSESSMENT_RECORD + RETAKE
    tier = policy.tier(a.tier)
    expiry = finance.assessment_expiry(a.assessed_on, policy)
    months = policy.get("risk_tiers.assessment_validity_months")
    head = client_text.FOLLOW_ASSESSMENT.format(
        name=tier["name"], code=tier["code"], on=day(a.assessed_on), months=months, expiry=day(expiry)
    )
    if expiry <= clock.today():
        return head + "\n" + client_text.FOLLOW_ASSESSMENT_EXPIRED.format(expiry=day(expiry), retake=RETAKE)
    return head + "\n" + client_text.FOLLOW_ASSESSMENT_VALID.format(retake=RETAKE)


def why_line(record: ClientRecord, policy: Policy) -> str:
    """How the client's line was set: the strategy of their risk tier."""
    if record.assessment is None:
        return client_text.FOLLOW_WHY_LINE_NO_TIER
    tier = policy.tier(record.assessment.tier)
    return client_text.FOLLOW_WHY_LINE.format(
        name=tier["name"],
        code=tier["code"],
        multiple=plain(Decimal(str(tier["line_multiple"]))),
        cap=fmt_wan(tier["line_cap"]),
        cut=fmt_pct(policy.get("quota.max_market_cut")),
        reminder=risk_reminder(policy),
    )


def vip(record: ClientRecord, policy: Policy) -> str:
    threshold = fmt_wan(policy.get("risk_tiers.vip_min_net_assets"))
    if record.vip_manager:
        return client_text.FOLLOW_VIP.format(manager=record.vip_manager, threshold=threshold)
    return client_text.FOLLOW_NO_VIP.format(threshold=threshold)


INTEREST_TEXTS = {
    "interest_available": client_text.FOLLOW_INTEREST_AVAILABLE,
    "interest_debt": client_text.FOLLOW_INTEREST_DEBT,
    "interest_short": client_text.FOLLOW_INTEREST_SHORT,
    "interest_move": client_text.FOLLOW_INTEREST_MOVE,
    "interest_saved": client_text.FOLLOW_INTEREST_SAVED,
}


def interest_on(
    record: ClientRecord, policy: Policy, days: int, base: str, move: Optional[Tuple[str, str]] = None
) -> str:
    """The interest for `days` on what `base` names: the whole available quota financed (a
    block or suspension said first), the financing debt or the short position they hold now,
    or the sum of the move just simulated (for a repayment, the interest it saves)."""
    account = record.account
    if account is None:
        return NO_QUOTA
    snap = account.snapshot
    short = base == "interest_short"  # (the lending fee; all else is financing interest)
    if base == "interest_move":
        if move is None or not move[1].startswith("amt:"):
            return NOT_UNDERSTOOD
        amount = amount_of(move[0], move[1], account)
        base = "interest_saved" if move[0] != "finance" else base
    elif base == "interest_short":
        amount = snap.short_value
    elif base == "interest_debt":
        amount = snap.financing_debt
    else:
        amount = finance.available_quota(account.credit_line, snap)
    rate = annual_rate(policy, short)
    basis = int(policy.get("interest.day_count_basis"))
    due = interest_due(policy, amount, days, short)
    text = INTEREST_TEXTS[base]
    lines = [text.format(available=yuan(amount), days=days, due=yuan(due), rate=fmt_pct(rate), basis=basis)]
    if base == "interest_debt" and snap.short_value > 0:  # their whole debt: the short position's fee too
        lending = annual_rate(policy, True)
        fee = interest_due(policy, snap.short_value, days, True)
        lines.append(
            client_text.FOLLOW_INTEREST_SHORT.format(
                available=yuan(snap.short_value), days=days, due=yuan(fee), rate=fmt_pct(lending), basis=basis
            )
        )
        lines.append(client_text.FOLLOW_INTEREST_TOTAL.format(days=days, due=yuan(due + fee)))
    if base in ("interest_available", "interest_move") and (
        account.open_call is not None or assessment_expired(record, policy)
    ):
        lines.insert(0, can_finance(record, policy).rsplit("\n", 1)[0])  # why it cannot be used now
    lines.append(risk_reminder(policy))
    return "\n".join(lines)


def tier_line(record: ClientRecord, policy: Policy, tier_code: str) -> str:
    """The line the client's own net assets would get at another tier ("那我是成长型呢")."""
    if record.account is None:
        return NO_QUOTA
    net = record.account.snapshot.net_assets
    estimate = credit_line(policy, tier_code, net).text.removeprefix(client_text.ESTIMATE_LABEL)
    return client_text.FOLLOW_TIER_LINE.format(net=yuan(net)) + estimate


def line_at(record: ClientRecord, policy: Policy, net_assets: Decimal) -> str:
    """The credit line the client's own tier gives for the net assets they name."""
    if record.assessment is None:
        return client_text.FOLLOW_NO_ASSESSMENT + RETAKE
    return credit_line(policy, record.assessment.tier, net_assets).text


def fall_to(record: ClientRecord, policy: Policy, target: Decimal) -> str:
    """How far their holdings may fall before the ratio reaches `target` (percent)."""
    account = record.account
    if account is None:
        return NO_CREDIT_ACCOUNT
    snap = account.snapshot
    fall = finance.fall_to_line(snap, target / 100)
    if fall is None or snap.ratio is None:
        return client_text.FOLLOW_FALL_TO_NO_DEBT
    name = _line_name(target, policy)
    if fall <= 0:
        text = client_text.FOLLOW_FALL_TO_BELOW.format(ratio=ratio_pct(snap.ratio), line=name)
    else:
        amount = finance.fall_in_money(snap, fall)
        text = client_text.FOLLOW_FALL_TO.format(
            ratio=ratio_pct(snap.ratio),
            line=name,
            fall=fall.quantize(Decimal("0.01")),
            amount=yuan(amount),
            left=yuan(snap.securities_value - amount),
        )
    return "\n".join([text, LABEL, risk_reminder(policy)])


def line_cut(record: ClientRecord, policy: Policy) -> str:
    """The client's line after the largest market cut the policy allows, and what is left of it."""
    account = record.account
    if account is None:
        return NO_QUOTA
    cut = policy.dec("quota.max_market_cut")
    after = finance.money(account.credit_line * (1 - cut))
    left = finance.available_quota(after, account.snapshot)
    text = client_text.FOLLOW_LINE_CUT.format(
        index=policy.get("quota.market_cut_trigger_index"),
        fall=fmt_pct(policy.get("quota.market_cut_trigger_index_fall")),
        cut=fmt_pct(cut),
        line=yuan(account.credit_line),
        after=yuan(after),
        used=yuan(account.snapshot.financing_debt + account.snapshot.short_value),
        left=yuan(left),
    )
    return "\n".join([text, risk_reminder(policy)])


def if_not(record: ClientRecord, policy: Policy) -> str:
    """What follows if the ratio is not restored in time: forced liquidation, with the client's
    own deadline while a margin call is open."""
    call = record.account.open_call if record.account is not None else None
    figures = {
        "restore": line(policy, "margin_call.restore_to"),
        "liq": line(policy, "margin_call.immediate_liquidation_line"),
        "call": line(policy, "margin_call.call_line"),
        "days": policy.get("margin_call.deadline_trading_days"),
    }
    if call is not None:
        text = client_text.FOLLOW_IF_NOT_CALL.format(deadline=moment(call.deadline), **figures)
    else:
        text = client_text.FOLLOW_IF_NOT.format(**figures)
    return "\n".join([text, risk_reminder(policy)])


def retier(record: ClientRecord, policy: Policy, tier_code: Optional[str]) -> str:
    """The opening rules checked as if the client were re-assessed as `tier_code` today (no
    tier named: as any tier that may open, so only the other rules decide)."""
    excluded = policy.get("eligibility.excluded_tiers")
    named = tier_code
    if not tier_code:
        tier_code = next(str(t["code"]) for t in policy.get("risk_tiers.tiers") if t["code"] not in excluded)
    tier = policy.tier(tier_code)
    again = replace(record, assessment=Assessment(tier_code, clock.today()))
    failed = [r for r in check_rules(again, policy, clock.today()) if not r.passed]
    if not named:
        names = "、".join(str(policy.tier(code)["name"]) for code in excluded)
        head = (client_text.RETIER_ANY_STILL_SHORT if failed else client_text.RETIER_ANY_ELIGIBLE).format(
            excluded=names
        )
    elif tier_code in excluded:
        head = client_text.RETIER_EXCLUDED.format(name=tier["name"], code=tier["code"])
    elif failed:
        head = client_text.RETIER_STILL_SHORT.format(name=tier["name"], code=tier["code"])
    else:
        head = client_text.RETIER_ELIGIBLE.format(name=tier["name"], code=tier["code"])
    lines = [head] + [client_text.RETIER_RULE.format(rule=r.rule, detail=r.detail) for r in failed]
    lines += [client_text.RETIER_NOTE, risk_reminder(policy)]
    return "\n".join(lines)


def _line_name(target: Decimal, policy: Policy) -> str:
    for key, name in MARGIN_LINES:
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
        return client_text.FOLLOW_CONFIRM_NO_DEBT
    target = target_in(text, entities, policy) or policy.dec("margin_call.warning_line") * 100
    above = after.ratio * 100 >= target
    asserted_above = any(w in normalize(text) for w in ABOVE_WORDS)
    yes_no = client_text.FOLLOW_YES if above == asserted_above else client_text.FOLLOW_NO
    verdict = yes_no if asserted_above or any(w in text for w in BELOW_WORDS) else ""
    basis = (
        client_text.FOLLOW_CONFIRM_BASIS_SIM.format(move=move_text(record, *move))
        if move
        else client_text.FOLLOW_CONFIRM_BASIS_NOW
    )
    return "\n".join(
        [
            client_text.FOLLOW_CONFIRM.format(
                verdict=verdict,
                basis=basis,
                ratio=ratio_pct(after.ratio),
                side=client_text.MARGIN_ABOVE if above else client_text.MARGIN_BELOW,
                line=_line_name(target, policy),
            ),
            against_lines(after.ratio, policy),
            LABEL if move else "",
            risk_reminder(policy),
        ]
    ).replace("\n\n", "\n")


class ActionPersonalFollowup(PersonalAction):
    NAME = FOLLOWUP_ACTION

    def routes(self, kind: str) -> bool:
        return False  # answered here

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        # the rule the answer applied becomes the thread's topic ("那过期了呢" is read against it)
        topics = [m["custom"]["faq_id"] for m in dispatcher.messages if (m.get("custom") or {}).get("faq_id")]
        if topics and verified_client_id(tracker) is not None:
            text = (tracker.latest_message or {}).get("text") or ""
            events = [*events, *context_events(tracker, topics[-1:], [], text)]
        return events

    def audit_detail(self, tracker: Tracker) -> str:
        follow = followup_of(tracker, get_policy())
        return "follow-up " + (" ".join(x for x in follow if x) if follow else "none")

    def state_after(self, tracker: Tracker, client_id: str) -> Optional[State]:
        follow = followup_of(tracker, get_policy())
        before = state_of(tracker)
        turn = user_turns(tracker)
        if follow is not None and follow[0] in MOVES:
            return State("what_if", client_id, turn, f"{follow[0]} {follow[1]}")
        if follow is not None and follow[0] in FIGURE_ACTIONS:  # now that figure was shown
            return State(NEAREST[follow[0]], client_id, turn, None)
        kind = before.kind if before is not None else NEAREST.get(follow[0] if follow else "", "quota")
        return State(kind, client_id, turn, before.sim if before is not None else None)

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy
    ) -> Optional[str]:
        latest = tracker.latest_message or {}
        follow: Optional[Tuple[str, Optional[str]]] = followup_of(tracker, policy)
        if follow is None:
            dispatcher.utter_message(text=NOT_UNDERSTOOD)
            return
        kind, figure = follow
        if kind in FIGURE_ACTIONS:  # another figure of the account: that lookup's own answer
            reason = FIGURE_ACTIONS[kind]().reply(dispatcher, tracker, record, policy)
            if kind == "figure_account" and assessment_expired(record, policy):  # "我账户有啥问题吗"
                dispatcher.utter_message(text=assessment(record, policy))
            return reason
        shown = state_of(tracker)
        just_simulated = shown.sim_move if shown is not None and just_shown(tracker, shown) else None
        if kind in MOVES and figure:
            if record.account is None:
                dispatcher.utter_message(text=client_text.SIM_NO_ACCOUNT)
                return
            # "那得补多少才回到150" right after a simulated fall: the goal from that state
            base = just_simulated if kind in GOALS and just_simulated and just_simulated[0] in PCT_KINDS else None
            text, payload = simulation(record, policy, kind, figure, base)
            dispatcher.utter_message(text=text, json_message=payload)
            return

        if just_simulated is not None and just_simulated[0] == "withdraw":
            just_simulated = None  # "那最多能取多少" after a withdrawal simulated: the most, now
        answers = {
            "can_finance": lambda: can_finance(record, policy),
            "withdraw_max": lambda: withdraw_max(record, policy, just_simulated),
            "assessment": lambda: assessment(record, policy),
            "retier": lambda: retier(record, policy, figure),
            "line_cut": lambda: line_cut(record, policy),
            "line_at": lambda: line_at(record, policy, Decimal(str(figure))),
            "tier_line": lambda: tier_line(record, policy, str(figure)),
            "fall_to": lambda: fall_to(record, policy, Decimal(str(figure))),
            "if_not": lambda: if_not(record, policy),
            "vip": lambda: vip(record, policy),
            "why_line": lambda: why_line(record, policy),
            "confirm": lambda: confirm(
                record, policy, state_of(tracker), latest.get("text") or "", latest.get("entities") or []
            ),
        }
        if kind in INTEREST_TEXTS:
            answers[kind] = lambda: interest_on(
                record, policy, int(figure or 0), kind, shown.sim_move if shown is not None else None
            )
        answer = answers.get(kind) if kind in ANSWERS else None
        text = answer() if answer else NOT_UNDERSTOOD
        payload = {"personal": "follow_up", "kind": kind}
        topic = can_finance_topic(record, policy) if kind == "can_finance" else RULE_TOPICS.get(kind)
        if answer and topic:
            payload["faq_id"] = topic
        dispatcher.utter_message(text=text, json_message=payload)
