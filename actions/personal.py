"""The one pattern behind every personal lookup: verified identity → record → audit → reply.

A client's data is loaded only for the id the channel verified from the token; a
client id typed in the chat is never read. Every lookup is audit-logged. A slow or
failing database gives a polite busy reply, never a half answer.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    LOGIN_EXPIRED,
    LOGIN_NEEDED,
    NOT_FOUND,
    BaseAction,
    BusyError,
    auth_status,
    run_blocking,
    say_busy,
    verified_client_id,
)
from actions.estimate import estimate, goal_request, pending_account, previous_estimate
from actions.knowledge import Turn, ask_for_figures, clear_alone, computable_rule, send_clarify, send_entry
from actions.service import ADVICE_REFUSAL, hand_off
from actions.thread import Context, context_events, offered, ran_this_turn
from actions.whatif import (
    FOLLOWUP_ACTION,
    PCT_KINDS,
    SIM_FORM,
    SIMULATE,
    SLOT_SIM_KIND,
    SLOT_STATE,
    State,
    followup_of,
    own_lookup,
    read_move,
    user_turns,
)
from core.knowledge.context import (
    asks_compliance,
    asks_for_rule,
    asks_outcome_of_move,
    asks_to_compute,
    is_elliptical,
    is_term_question,
    is_vague,
    menu_choice,
    names_client_number,
)
from core.policy import Policy, get_policy
from core.text import normalize
from services.context import current
from storage.db import session_scope
from storage.repository import ClientRecord, audit, load_client

log = logging.getLogger(__name__)


def lookup(client_id: str, action: str, detail: str = "") -> Optional[ClientRecord]:
    """Load one client's record and write the audit entry in the same unit of work."""
    with session_scope() as session:
        record = load_client(session, client_id)
        audit(
            session,
            actor=client_id,
            subject_client_id=client_id,
            action=action,
            detail=detail if record else f"not found; {detail}",
        )
        return record


def related_rule(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[str, Any]]:
    """The general rule behind a personal question; it becomes the conversation's context
    (a follow-up or a choice from the menu refers to it)."""
    service = current().knowledge
    text = (tracker.latest_message or {}).get("text") or ""
    if names_client_number(text):  # "我是C1001 你直接查": no rule is guessed from it
        return []
    decision = service.decide(text)
    if decision.kind == "answer" and is_term_question(text) and not clear_alone(service, decision, text):
        decision = type(decision)("clarify", decision.hits)  # "测评", "比例是多少啊": which of its topics?
    if decision.kind == "answer":
        send_entry(dispatcher, service, decision.hits[0].entry)
        ask_for_figures(dispatcher, text, decision.hits[0].faq_id)
        return context_events(tracker, [decision.hits[0].faq_id], [], text)
    if decision.kind == "clarify":
        send_clarify(dispatcher, decision.hits)
        return context_events(tracker, [], [h.faq_id for h in decision.hits[:3]], text)
    return []


SELF_WORDS = ("我", "本人", "俺", "my ", "mine")
# topics no client record answers: a clear question on one is a knowledge question
GENERAL_TOPICS = (
    "interest_",
    "contract_",
    "service_",
    "account_",
    "trading_",
    "basics_",
    "margin_",  # 保证金比例, 折算率, 标的: no record states them
    "quota_increase",
    "margincall_deadline",  # (an open call's own deadline is added to the rule's answer)
    "margincall_forced_liquidation",
    "margincall_trigger",
)
# rules that answer the question even when it is about the client ("我能申请提额吗")
RULE_EVEN_FOR_ME = ("quota_increase", "contract_renewal", "account_close")
GENERAL_SCORE = 0.45
LINE_TOPICS = "margincall_"
LINE_WORD = "线"  # 警戒线, 追保线, 平仓线, 提取线


def general_question(text: str, own: bool = False) -> bool:
    """A rule no record answers, clearly: a general topic, or where a line lies ("警戒线是多少来着");
    asked about the client (`own`), only a rule that answers it all the same."""
    decision = current().knowledge.decide(text)
    if decision.kind != "answer" or decision.best.score < GENERAL_SCORE:
        return False
    faq_id = decision.best.faq_id
    if own:
        return faq_id.startswith(RULE_EVEN_FOR_ME)
    return faq_id.startswith(GENERAL_TOPICS) or (faq_id.startswith(LINE_TOPICS) and LINE_WORD in normalize(text))


def continues_knowledge(tracker: Tracker, text: str) -> bool:
    """A fragment that continues the knowledge thread (a menu choice, or an elliptical
    follow-up that says nothing about the client's own account)."""
    ctx = Context.from_tracker(tracker)
    # a choice among the topics just offered, or how a figure is set ("我这个额度是按什么定出来的": the rule)
    # ("我妈能开吗", "维持担保比例是怎么算的": the rule; nobody's record but the asker's is ever read)
    if menu_choice(text, offered(tracker, ctx)) or asks_for_rule(text):
        return True
    own = any(w in text.lower() for w in SELF_WORDS)
    if not own and general_question(text):
        return True  # "ok 融资利率多少来着" read as a lookup: a rule
    if own and general_question(text, own=True):
        return True  # "我能申请提额吗": the rule, whoever asks
    if verified_client_id(tracker) is None and not own and is_vague(text):
        return True  # "多少钱" before any login: the likeliest topics, not a login prompt
    return bool(ctx.ids or ctx.menu) and is_elliptical(text) and not own


class PersonalAction(BaseAction):
    """Subclasses implement `respond` for a verified client's record. When NO_ACCOUNT
    is set, clients without a credit account get that text instead.

    What was shown is kept for the session in the `last_lookup` slot (LOOKUP, the client,
    the turn; actions/whatif.py `State`). A follow-up on it ("那我能用吗", "最多能取多少"),
    whatever intent the NLU read, goes to action_personal_followup (a FollowupAction)."""

    NO_ACCOUNT: Optional[str] = None
    LOOKUP: Optional[str] = None  # quota | risk_tier | margin_status | eligibility | what_if

    def routes(self, kind: str) -> bool:
        """Whether a follow-up of this kind is handed to action_personal_followup."""
        return True

    def shown_move(self, tracker: Tracker) -> Optional[str]:
        """The simulated move and figure this answer showed ("withdraw amt:500000"), if any."""
        return None

    def state_after(self, tracker: Tracker, client_id: str) -> Optional[State]:
        if self.LOOKUP is None:
            return None
        return State(self.LOOKUP, client_id, user_turns(tracker), self.shown_move(tracker))

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy
    ) -> Optional[str]:
        """Reply for this client; return a reason to also hand the conversation to a person."""
        raise NotImplementedError

    def reply(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy
    ) -> Optional[str]:
        """`respond`, or NO_ACCOUNT for a client without a credit account (whoever asks:
        this lookup or a follow-up delegating to it)."""
        if self.NO_ACCOUNT and record.account is None:
            dispatcher.utter_message(text=self.NO_ACCOUNT)
            return None
        return self.respond(dispatcher, tracker, record, policy)

    def audit_detail(self, tracker: Tracker) -> str:
        return ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        policy = get_policy()
        text = (tracker.latest_message or {}).get("text") or ""
        if asks_compliance(text):  # "你们保证我不亏吗" is never a lookup
            dispatcher.utter_message(text=f"{ADVICE_REFUSAL}\n{policy.get('texts.risk_reminder')}")
            return []
        follow = followup_of(tracker, policy)
        if follow is not None and follow[0] == SIMULATE and tracker.active_loop_name != SIM_FORM:
            return [SlotSet(SLOT_SIM_KIND, follow[1]), FollowupAction(SIM_FORM)]  # the form asks for the figure
        if follow is not None and self.routes(follow[0]):  # about the state just shown
            return [FollowupAction(FOLLOWUP_ACTION)]
        other = own_lookup(text, Context.from_tracker(tracker).ids) if follow is None else None
        if other is not None and other != self.name() and not ran_this_turn(tracker, other):
            return [FollowupAction(other)]  # "咁我自己嘅呢" after the ratio's rule: their ratio
        if follow is None and continues_knowledge(tracker, text):  # "deadline 呢", "第二个" read as a lookup
            return await Turn(dispatcher, tracker).run("faq")
        client_id = verified_client_id(tracker)
        if client_id is None:
            # figures the client states need no login: the same rules, labelled as an estimate
            entities = (tracker.latest_message or {}).get("entities") or []
            previous = previous_estimate(tracker, Context.from_tracker(tracker).ids)
            found = estimate(text, entities, policy, previous) or goal_request(text, policy)
            if found is not None:
                return found.say(dispatcher, tracker, text)
            move, figure = read_move(text, entities, policy)
            if move in PCT_KINDS and previous is None and asks_outcome_of_move(text):
                # "跌了会不会追保 帮我算" before a login: their account's figures, then the estimate
                said = figure.partition(":")[2] if figure and figure.startswith("pct:") else None
                pending = pending_account(policy, said)
                return pending.say(dispatcher, tracker, text, label="ask")
            # (ranked only for a calculation request: most lookups before a login are not one)
            rule = computable_rule(current().knowledge.rank(text, k=3), text) if asks_to_compute(text) else None
            if rule is not None:  # "帮我算下利息": the rule and its figures, no login needed
                send_entry(dispatcher, current().knowledge, rule)
                ask_for_figures(dispatcher, text, rule.id)
                return context_events(tracker, [rule.id], [], text)
            expired = auth_status(tracker) == "expired"
            dispatcher.utter_message(
                text=LOGIN_EXPIRED if expired else LOGIN_NEEDED, json_message={"login_required": True}
            )
            # the general rule behind the question is still worth answering
            return related_rule(dispatcher, tracker)
        stated = estimate(text, (tracker.latest_message or {}).get("entities") or [], policy)
        if stated is not None and self.LOOKUP != "what_if":  # "30万全用了 一个月利息多少": their figures
            return stated.say(dispatcher, tracker, text)
        try:
            record = await run_blocking(lambda: lookup(client_id, self.name(), self.audit_detail(tracker)))
        except BusyError:
            say_busy(dispatcher, policy)
            return []
        if record is None:
            dispatcher.utter_message(text=policy.render(NOT_FOUND))
            return []
        try:
            handoff_reason = self.reply(dispatcher, tracker, record, policy)
        except Exception:  # a bug must not become a half answer
            log.exception("%s failed for a verified client", self.name())
            say_busy(dispatcher, policy)
            return []
        if self.NO_ACCOUNT and record.account is None:  # nothing shown, so no state to follow up on
            return []
        if handoff_reason:
            await hand_off(dispatcher, tracker, handoff_reason)
        state = self.state_after(tracker, client_id)
        return [SlotSet(SLOT_STATE, state.as_slot())] if state is not None else []
