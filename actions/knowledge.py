"""Knowledge answers: the faq intent, topic buttons, low-confidence turns and out-of-scope."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    MARGIN_LINES,
    BaseAction,
    BusyError,
    entity_values,
    note_unanswered,
    ratio_pct,
    run_blocking,
    verified_client_id,
    withdrawal_sentence,
)
from actions.estimate import SLOT as ESTIMATE_SLOT
from actions.estimate import estimate, figures_wanted, goal_request, previous_estimate, side_named, topic_side
from actions.service import ADVICE_REFUSAL, hand_off
from actions.thread import Context, context_events, last_action, offered, ran_this_turn
from actions.whatif import FOLLOWUP_ACTION, SLOT_STATE, State, followup_of, own_lookup, user_turns
from core.formatting import line, moment
from core.knowledge import context
from core.knowledge.model import Entry, Hit
from core.policy import Policy, get_policy
from core.text import normalize
from core.texts import client as client_text
from core.texts import staff as staff_text
from services.context import current
from services.knowledge.insights import DEFAULT_HOT, lectures
from services.knowledge.service import KnowledgeService
from services.knowledge.store import shipped_ids
from services.restrictions import LIQUIDATION_HANDOFF, asks_about_liquidation
from storage.db import session_scope
from storage.repository import ClientRecord, audit, has_open_margin_call, load_client

CLARIFY = client_text.CLARIFY
LECTURES_TOPIC = "service_education"  # its answer is followed by the published lecture list
# a logged-in client in a margin call who asks about these is also handed to a person


def out_of_scope_text(policy: Policy) -> str:
    return policy.render(client_text.OUT_OF_SCOPE)


def faq_button(entry: Entry) -> Dict[str, str]:
    return {"title": entry.question, "payload": f'/faq{{"faq_id": "{entry.id}"}}'}


def send_entry(
    dispatcher: CollectingDispatcher, service: KnowledgeService, entry: Entry, related: Sequence[Hit] = ()
) -> None:
    """The answer text with its source next to it, as widgets and agents expect; close
    runner-up topics come along as buttons ("您可能还想了解")."""
    dispatcher.utter_message(
        text=service.render(entry),
        json_message={"faq_id": entry.id, "version": entry.version, "topic": entry.question},
        buttons=[faq_button(h.entry) for h in related],
    )


def send_clarify(dispatcher: CollectingDispatcher, hits: List[Hit]) -> None:
    dispatcher.utter_message(text=CLARIFY, buttons=[faq_button(h.entry) for h in hits[:3]])


async def in_margin_call(tracker: Tracker) -> bool:
    client_id = verified_client_id(tracker)
    if client_id is None:
        return False

    def open_call() -> bool:
        with session_scope() as session:
            return has_open_margin_call(session, client_id)

    try:
        return await run_blocking(open_call)
    except BusyError:
        return False


WITHDRAWAL_TOPIC = "margincall_withdrawal"
OWN_WORDS = ("我", "最多", "能取", "可以取", "还能取")


CALL_TOPICS = frozenset({"margincall_deadline", "margincall_trigger", "margincall_forced_liquidation"})


def _withdrawable(record: ClientRecord, policy: Policy) -> str:
    if record.account is None or record.account.snapshot.ratio is None:
        return ""
    return withdrawal_sentence(record.account.snapshot, policy)


def _open_call(record: ClientRecord, policy: Policy) -> str:
    call = record.account.open_call if record.account is not None else None
    if call is None:
        return ""
    return client_text.OWN_CALL_NOTE.format(
        ratio=ratio_pct(record.account.snapshot.ratio) if record.account is not None else "",
        call=line(policy, "margin_call.call_line"),
        deadline=moment(call.deadline),
        restore=line(policy, "margin_call.restore_to"),
    )


# what a verified client's own account adds to a rule: "最多能取多少" → the amount above the
# withdrawal line; "最迟几时要补够" in a margin call → their deadline
OWN_NOTES: Dict[str, Tuple[str, Callable[[ClientRecord, Policy], str]]] = {
    "withdrawable": ("withdrawable", _withdrawable),
    "open_call": ("open margin call", _open_call),
}


async def own_note(tracker: Tracker, kind: str) -> str:
    """A note from the verified client's own account (read and audited like every
    personal lookup), or "" (not verified, nothing to add, or the database is busy)."""
    client_id = verified_client_id(tracker)
    if client_id is None:
        return ""
    policy = get_policy()
    detail, compose = OWN_NOTES[kind]

    def read() -> str:
        with session_scope() as session:
            record = load_client(session, client_id)
            audit(session, actor=client_id, subject_client_id=client_id, action="action_answer_faq", detail=detail)
            return compose(record, policy) if record is not None else ""

    try:
        return await run_blocking(read)
    except BusyError:
        return ""


async def send_lectures(dispatcher: CollectingDispatcher) -> None:
    try:
        upcoming = await run_blocking(lectures)
    except BusyError:
        return
    if upcoming:
        lines = [
            client_text.LECTURE_LINE.format(day=lec["day"], title=lec["title"], place=lec["place"])
            for lec in upcoming[:5]
        ]
        dispatcher.utter_message(text="\n".join([client_text.LECTURES_HEAD, *lines]))


FAILURE_ACTIONS = {"action_clarify", "action_out_of_scope", "action_default_fallback"}


def failed_last_turn(tracker: Tracker) -> bool:
    """Whether the bot's previous turn (before this message) also failed to answer."""
    users = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name") in FAILURE_ACTIONS
    return False


async def unanswered(dispatcher: CollectingDispatcher, tracker: Tracker, outcome: str, hits: Sequence[Hit]) -> None:
    """Log the question for the education team; the second failure in a row brings in a person."""
    await note_unanswered(tracker, outcome, hits)
    if failed_last_turn(tracker):
        await hand_off(dispatcher, tracker, staff_text.HANDOFF_REASON_UNANSWERED)


HOURS_TOPIC = "service_hours"
SMALLTALK_MODES = ("affirm", "thank", "goodbye", "greet")
_QUESTION_MARKS = (
    "吗",
    "么",
    "多少",
    "什么",
    "怎么",
    "怎样",
    "几",
    "啥",
    "呢",
    "?",
    "？",
    "哪",
    "能不能",
    "可不可以",
    "是否",
    "要不要",
    "想问",  # "您好 我想问问测评的事情": a greeting with a question after it
    "问问",
    "请教",
    "咨询",
    "想了解",
)


def ask_for_figures(dispatcher: CollectingDispatcher, text: str, topic: str) -> None:
    """A calculation request answered with a rule ("帮我算下利息"): ask for its figures (the
    next message's figures are then estimated against this topic, actions/estimate.py)."""
    wanted = figures_wanted(topic) if context.asks_to_compute(text) else None
    if wanted:
        dispatcher.utter_message(text=wanted)


def computable_rule(hits: Sequence[Hit], text: str) -> Optional[Entry]:
    """For a calculation request ("帮我算下利息"): the likeliest rule that figures can be
    estimated with, or None (not such a request, or no such rule among the hits)."""
    if not context.asks_to_compute(text):
        return None
    rules = [h.entry for h in hits if h.score > 0 and figures_wanted(h.faq_id)]
    side = side_named(normalize(text))  # "融资要付多少利息": not the lending fee's rule
    return next((e for e in rules if side is None or topic_side(e.id) in (None, side)), None)


_PUSHBACK = re.compile(
    r"why not|为什么不|为啥不|凭什么不|咋不|怎么不|不是券商|你们不是|就不能|通融|就一次|说说嘛|透露"
    r"|就一个|一个就行|一只就行|也行|也可以|不算推荐|不算荐股|不说名字|概率|probability|大概方向|提示一下|暗示"
    r"|just tell me|tell me|yes no|come on|你就说|直接说|就说一下|告诉我就行|随便说说|说句实话|讲真"
)
_HOW_COMPUTED = re.compile(r"(?:怎么|咋|按啥|按什么|如何|怎样|点样)(?:算|计算|计)|公式|formula|算法")
_ASKS_BY_ENDING = re.compile(r"(?:不|没|没有|未|否)[？?。.!！\s]*$")  # "能再提点额不"


def looks_like_question(text: str) -> bool:
    return any(m in text for m in _QUESTION_MARKS) or bool(_ASKS_BY_ENDING.search(text.strip()))


class Turn:
    """One knowledge turn: what the client said, the context, and the replies sent."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.service = current().knowledge
        self.text = context.without_declined_human((tracker.latest_message or {}).get("text") or "")
        self.ctx = Context.from_tracker(tracker)
        self.events: List[Dict[str, Any]] = []

    def rank(self, text: str, k: int) -> List[Hit]:
        return self.service.rank(text, k=k)

    def entries(self, ids: Sequence[str]) -> List[Entry]:
        return [e for e in (self.service.get(i) for i in ids) if e is not None]

    # -- replies ------------------------------------------------------------------
    async def answer(self, entry: Entry, related: Sequence[Hit] = (), question: str = "") -> None:
        send_entry(self.dispatcher, self.service, entry, related)
        if context.asks_about_loss(self.text):  # "会不会亏光": the risks, and no one can promise otherwise
            self.dispatcher.utter_message(text=client_text.NO_LOSS_GUARANTEE)
        ask_for_figures(self.dispatcher, self.text, entry.id)
        self.events = context_events(self.tracker, [entry.id], [], question or self.text)
        if entry.id == LECTURES_TOPIC:
            await send_lectures(self.dispatcher)
        kind = (
            "withdrawable"
            if entry.id == WITHDRAWAL_TOPIC and any(w in self.text for w in OWN_WORDS)
            else "open_call"
            if entry.id in CALL_TOPICS
            else None
        )
        note = await own_note(self.tracker, kind) if kind else ""
        if note and kind:
            self.dispatcher.utter_message(text=note, json_message={"personal": kind})
            client_id = verified_client_id(self.tracker)
            if kind == "open_call" and client_id:  # their call was shown: "几时之前要搞掂" follows it
                state = State("margin_status", client_id, user_turns(self.tracker))
                self.events.append(SlotSet(SLOT_STATE, state.as_slot()))
        if asks_about_liquidation("", entry.id) and await in_margin_call(self.tracker):
            await hand_off(self.dispatcher, self.tracker, LIQUIDATION_HANDOFF)

    def several(self, question: str) -> bool:
        """Two or three questions in one message, each clearly answered on its own: all the
        answers (the conversation's context is all of their topics)."""
        parts = context.clauses(question)
        if not 2 <= len(parts) <= MAX_CLAUSES:
            return False
        decisions = [self.service.decide(p) for p in parts]
        if any(d.kind != "answer" for d in decisions):
            return False
        entries = list({d.best.faq_id: d.best.entry for d in decisions}.values())
        if len(entries) < 2:
            return False
        for entry in entries:
            send_entry(self.dispatcher, self.service, entry)
        self.events = context_events(self.tracker, [e.id for e in entries], [], question)
        return True

    def menu(self, hits: Sequence[Hit], question: str, text: str = CLARIFY) -> None:
        hits = list(hits)[:3]
        self.dispatcher.utter_message(text=text, buttons=[faq_button(h.entry) for h in hits])
        self.events = context_events(self.tracker, self.ctx.ids, [h.faq_id for h in hits], question)

    def refuse(self) -> None:
        self.dispatcher.utter_message(text=f"{ADVICE_REFUSAL}\n{self.service.policy.get('texts.risk_reminder')}")

    # -- the decision -------------------------------------------------------------
    async def run(self, mode: str) -> List[Dict[str, Any]]:
        """mode: the NLU's reading (faq, clarify, out_of_scope, deny, affirm, thank, goodbye)."""
        text, ctx = self.text, self.ctx
        if context.asks_compliance(text):
            self.refuse()
            return self.events
        if followup_of(self.tracker, self.service.policy) is not None:  # about the client's state just shown
            return [FollowupAction(FOLLOWUP_ACTION)]
        lookup = own_lookup(text, ctx.ids) if verified_client_id(self.tracker) else None
        if lookup is not None and not ran_this_turn(self.tracker, lookup):
            # "rz额度还剩多少" read as a knowledge question: their own figure
            return [FollowupAction(lookup)]
        topic = next((e for e in self.entries([str(f) for f in entity_values(self.tracker, "faq_id")])), None)
        if topic is not None:  # a topic button
            await self.answer(topic, question=topic.question)
            return self.events
        if context.asks_hours(text) and self.service.get(HOURS_TOPIC):
            await self.answer(self.service.get(HOURS_TOPIC))
            return self.events
        entities = (self.tracker.latest_message or {}).get("entities") or []
        found = estimate(text, entities, self.service.policy, previous_estimate(self.tracker, ctx.ids))
        if found is None and verified_client_id(self.tracker) is None:
            found = goal_request(text, self.service.policy)
        if found is not None:
            self.events = found.say(self.dispatcher, self.tracker, text)
            return self.events
        if last_action(self.tracker) == "action_refuse_advice" and _PUSHBACK.search(normalize(text)):
            self.refuse()  # "why not? 你们不是券商吗": the same answer, whatever the phrasing
            return self.events
        chosen = context.menu_choice(text, offered(self.tracker, ctx))
        if chosen and self.service.get(chosen):
            await self.answer(self.service.get(chosen), question=ctx.question)
            return self.events
        last = self.tracker.get_slot(ESTIMATE_SLOT)
        estimated = last.get("topic") if isinstance(last, dict) and len(ctx.ids) == 1 else None
        shown = self.service.get(ctx.ids[0]) if estimated and estimated == ctx.ids[0] else None
        if shown is not None and _HOW_COMPUTED.search(normalize(text)):
            if context.is_elliptical(text):  # "按啥算的" after an estimate: that rule
                await self.answer(shown, question=ctx.question)
                return self.events
        denied, rest = context.split_denial(text)
        rest = context.without_negated_side(rest) or rest
        if denied and (ctx.ids or ctx.menu):
            await self.correction(rest)
            return self.events
        if denied and not rest and mode == "deny":
            self.dispatcher.utter_message(response="utter_deny")
            return self.events
        question = rest if denied else text
        # "期限", "平舱咋回事" read as "好的": a topic term, or a question the knowledge base answers
        names_topic = context.mentions_topic(question, self.service.vocabulary) or (
            mode in SMALLTALK_MODES and self.service.decide(question).kind == "answer"
        )
        wants_person = context.asks_for_person(question) and not context.asks_hours(question)
        if mode in SMALLTALK_MODES and wants_person and not context.declines_human(question):
            # "好的谢谢你，那现在麻烦帮我转一下人工吧": the request, not the thanks
            await hand_off(self.dispatcher, self.tracker, staff_text.HANDOFF_REASON_REQUESTED)
            return self.events
        if mode == "greet" and context.only_greeting(question):  # "在吗", "有人在吗": hello
            self.dispatcher.utter_message(response="utter_greet")
            return self.events
        if mode in SMALLTALK_MODES and not looks_like_question(question) and not names_topic:
            picked = context.pick_by_words(self.rank, question, ctx.menu, question=ctx.question) if ctx.menu else None
            if picked and self.service.get(picked):  # "罚息那个" read as small talk
                await self.answer(self.service.get(picked), question=ctx.question)
            else:
                self.dispatcher.utter_message(response=f"utter_{mode}")
            return self.events
        await self.ask(question, mode)
        return self.events

    async def correction(self, rest: str) -> None:
        """ "不是这个…": the rest as a new question without the topic just given; alone,
        the next-likeliest topics, then a person."""
        ctx = self.ctx
        shown = set(ctx.ids) | set(ctx.menu)
        if rest and context.names_a_person(rest) and not context.asks_hours(rest):  # "算了 叫个人来"
            await hand_off(self.dispatcher, self.tracker, staff_text.HANDOFF_REASON_REQUESTED)
            return
        swapped = self.side_swapped(rest)
        if swapped is not None:  # "哦不对 我说的是融券" after "融资利率多少": the other side's entry
            await self.answer(swapped.best.entry, swapped.related)
            return
        if rest:  # "不是，我问的是…": only the answer just given is ruled out, a menu's options may be named
            shown = set(ctx.ids)
            previous = self.entries(ctx.ids)
            resolved = context.follow_up(
                self.rank,
                self.service.entries,
                rest,
                previous,
                exclude=shown,
                previous_question=ctx.question,
            )
            alone = self.service.decide(rest)
            if alone.kind == "answer" and not context.is_elliptical(rest) and alone.best.faq_id not in shown:
                await self.answer(alone.best.entry, alone.related)
            elif resolved.kind == "answer":
                await self.answer(resolved.best.entry, question=rest)
            elif resolved.hits:
                self.menu(resolved.hits, rest)
            else:
                await self.give_up()
            return
        basis = ctx.question or " ".join(e.question for e in self.entries(ctx.ids))
        hits = [
            h
            for h in self.rank(basis, 12)
            if h.faq_id not in shown and h.score >= self.service.thresholds.clarify * 0.5
        ]
        if hits:
            self.menu(hits, basis, client_text.NEXT_TOPICS)
        else:
            await self.give_up()

    def side_swapped(self, rest: str) -> Any:
        """A correction that only names a side ("我说的是融券"): the previous question with that
        side swapped in, when it is clearly answered by another entry; else None."""
        t = normalize(rest)
        if not rest or not self.ctx.question or len(t) > SIDE_CARRY_MAX_CHARS or side_named(t) is None:
            return None
        question = context.contrast(self.ctx.question, t)
        if question == normalize(self.ctx.question):
            return None
        decision = self.service.decide(question)
        return decision if decision.kind == "answer" and decision.best.faq_id not in self.ctx.ids else None

    async def give_up(self) -> None:
        self.dispatcher.utter_message(text=client_text.NOTHING_LEFT)
        await hand_off(self.dispatcher, self.tracker, staff_text.HANDOFF_REASON_DENIED)
        self.events = context_events(self.tracker, [], [], "")

    def line_names(self, question: str) -> str:
        """The question with the names of the lines its bare numbers stand for ("跌破130咋整"),
        and of the rate a bare rate does ("别家融资6.5 你们呢")."""
        policy = self.service.policy
        pcts = {name: float(policy.dec(f"margin_call.{key}") * 100) for key, name in MARGIN_LINES}
        names = context.line_terms(question, pcts) + context.rate_terms(question)
        return f"{question} {' '.join(names)}" if names else question

    async def ask(self, question: str, mode: str) -> None:
        ctx = self.ctx
        question = carry_side(self.line_names(question), ctx.question if ctx.ids else "")
        decision = self.service.decide(question)
        elliptical = context.is_elliptical(question)
        if mode == "out_of_scope" and context.mentions_topic(question, self.service.vocabulary):
            mode = "faq"  # "追保了怎么办": it names our topics, whatever the classifier read
        if ctx.menu and (elliptical or context.is_vague(question)):  # words of an option ("罚息那个")
            picked = context.pick_by_words(self.rank, question, ctx.menu, question=ctx.question)
            if picked and self.service.get(picked):
                await self.answer(self.service.get(picked), question=ctx.question)
                return
        if ctx.menu and not ctx.ids and (elliptical or context.is_fragment(question)):
            # "费用" (menu) → "融资的": none of the options, but clear with the menu's question
            # (read with the likeliest option: "比例快不够了" (menu) → "不处理会怎样": what follows the warning)
            resolved = context.follow_up(
                self.rank, self.service.entries, question, self.entries(ctx.menu[:1]), previous_question=ctx.question
            )
            if resolved.kind == "answer":
                await self.answer(resolved.best.entry, question=question)
                return
        if decision.kind != "answer" and not ctx.ids and self.several(question):
            return
        computable = computable_rule(decision.hits, question) if decision.kind != "answer" else None
        if computable is not None:  # "帮我算下利息": several interest rules, and one to estimate with
            await self.answer(computable, question=question)
            return
        # with a topic just answered, a question that leans on it ("要多久补回来", "融券的呢")
        # is ranked together with it; a self-contained one is decided on its own
        leans = elliptical or not context.mentions_topic(question, self.service.vocabulary)
        if ctx.ids and (leans or decision.kind != "answer"):
            resolved = context.follow_up(
                self.rank,
                self.service.entries,
                question,
                self.entries(ctx.ids),
                previous_question=ctx.question,
            )
            # (a question that names a topic is bent only to pick between the topics it could
            # be about: "要多久没被追保才能申请" after raising the line)
            offered = {h.faq_id for h in decision.hits[: 3 if decision.kind == "clarify" else 1]}
            # a question with its own clear topic that the thread's topic does not touch
            # ("我是C1001 你直接查" → "那额度一般咋定的") is decided on its own
            own_topic = (
                decision.kind == "answer"
                and len(context.strip_fillers(question)) >= SELF_CONTAINED_CHARS
                and context.mentions_topic(question, self.service.vocabulary)
                and not context.names_other_side(question)
                and resolved.best is not None
                and resolved.best.faq_id not in {h.faq_id for h in decision.hits}
            )
            if resolved.kind == "answer" and not own_topic and (leans or resolved.best.faq_id in offered):
                await self.answer(resolved.best.entry, question=question)
                return
            if decision.kind != "answer" and resolved.hits and leans:
                self.menu(resolved.hits, question)
                await unanswered(self.dispatcher, self.tracker, "clarify", resolved.hits)
                return
        vague = context.is_vague(question)
        term = context.bare_term(question)
        fragment = context.is_term_question(question) and (
            context.mentions_topic(term, self.service.vocabulary) or bool(_SHARED_TERM.fullmatch(normalize(term)))
        )
        if not ctx.ids and (vague or fragment):
            # a fragment with no context ("利率", "这个多少", "最晚啥时候"): answered only when one
            # topic clearly owns it, else the likeliest topics are offered
            if not (decision.kind == "answer" and clear_alone(self.service, decision, question)):
                hits = [h for h in decision.hits if h.score > 0] or self.popular()
                self.menu(hits, question)
                await unanswered(self.dispatcher, self.tracker, "clarify", hits)
                return
        if decision.kind == "answer" and (mode != "out_of_scope" or self.new_topic(decision) or elliptical):
            await note_unanswered(self.tracker, "answered", decision.hits)  # counted for 提问最多的主题 and the rates
            await self.answer(decision.best.entry, decision.related)
            return
        stated = value_answer(decision, question) if mode not in ("out_of_scope", "clarify") else None
        if stated is not None:  # "融资利息多少": the entry that states it, not the one that explains it
            await self.answer(stated.entry, decision.hits[1:3])
            return
        best = decision.best
        if mode == "out_of_scope":  # only a fragment that clearly names our topics ("利率")
            offer = best is not None and elliptical and best.score >= self.service.thresholds.answer
        elif mode == "clarify":
            offer = decision.kind != "none"
        else:  # the NLU read a question (faq) or a question in small talk's clothes
            offer = bool(decision.hits) and (decision.kind != "none" or looks_like_question(question))
        if offer:
            self.menu(decision.hits, question)
            await unanswered(self.dispatcher, self.tracker, "clarify", decision.hits)
            return
        self.dispatcher.utter_message(text=out_of_scope_text(self.service.policy))
        await unanswered(
            self.dispatcher, self.tracker, "fallback" if mode != "out_of_scope" else "out_of_scope", decision.hits
        )

    def popular(self) -> List[Hit]:
        """The topics clients ask about most, for a question that names none."""
        return [Hit(entry=e, score=0.0, parts={}) for e in self.entries(list(DEFAULT_HOT))]

    def new_topic(self, decision: Any) -> bool:
        """NLU says out of scope; a topic published after training is unknown to it."""
        best = decision.best
        return best.faq_id not in shipped_ids() and best.score >= NEW_TOPIC_MIN_SCORE


NEW_TOPIC_MIN_SCORE = 0.5
SELF_CONTAINED_CHARS = 6  # a follow-up this long that names its own topic can stand alone
VAGUE_ANSWER = 0.4  # a fragment with no context: answered at this score…
VAGUE_RUNNER_UP = 0.17  # …when the next topic scores under this share of it
MAX_CLAUSES = 3  # a message asking more is offered the likeliest topics instead
# terms several topics share, asked without a qualifier ("利率多少": financing's or lending's?
# "比例多少": the margin ratio or the maintenance ratio?)
_SHARED_TERM = re.compile(r"(?:年)?(?:利率|费率|收费|费用|利息|成本)|比例(?:线)?|期限|有效期|到期|额度|测评|线")
TERM_RUNNER_UP = 0.35  # (a term asked for its value: "期限是多久" is two topics', "追保线多少" one's)


VALUE_MIN = 0.4  # the least score of an entry that states the value asked for
_VALUE_Q = re.compile(r"(?:多少|几多|几何)(?:钱)?$")
_HOW_Q = re.compile(r"怎么|如何|咋|怎样|点样|为什么|为啥")


_COST_TERM = re.compile(r"利率|费率|利息|费用|收费|收多少|年化|rate|fee")
SIDE_WORDS = {"lending": "融券", "financing": "融资"}
SIDE_CARRY_MAX_CHARS = 10  # "利率呢", "ok 那它利率": a fragment about the side just asked about


def carry_side(question: str, previous: str) -> str:
    """A cost fragment that names no side, after a question that named one ("融券是什么" →
    "利率呢"): asked about that side ("融券利率呢")."""
    t = normalize(question)
    if len(t) > SIDE_CARRY_MAX_CHARS or side_named(t) is not None or not _COST_TERM.search(t):
        return question
    side = side_named(normalize(previous)) if previous else None
    if side is None:
        return question
    return SIDE_WORDS[side] + question


def value_answer(decision: Any, question: str) -> Optional[Hit]:
    """A value asked for ("融资利息多少") between an entry that states a value ("融资利率是
    多少？") and one that explains a method ("融资利息怎么计算？"): the one that states it."""
    if decision.kind != "clarify" or len(decision.hits) < 2:
        return None
    q = context.strip_fillers(question)
    if not _VALUE_Q.search(q) or _HOW_Q.search(q):
        return None
    top, second = decision.hits[0], decision.hits[1]
    states = [bool(_VALUE_Q.search(h.entry.question.rstrip("？?"))) for h in (top, second)]
    if top.score >= VALUE_MIN and states == [True, False]:
        return top
    return None


def clear_alone(service: Any, decision: Any, text: str) -> bool:
    """A bare term without context is answered only when one topic clearly owns it: it
    leads the ranking by far and no other entry uses the term ("警戒线"; not "平仓", which
    five answers use, nor "保证金", the margin ratio's and the haircut's). Otherwise the
    likeliest topics are offered."""
    second = decision.hits[1].score if len(decision.hits) > 1 else 0.0
    bare = context.is_fragment(text)  # else a term asked for its value ("追保线多少", "两融是啥")
    runner_up = VAGUE_RUNNER_UP if bare else TERM_RUNNER_UP
    if not (decision.best.score >= VAGUE_ANSWER and second < runner_up * decision.best.score):
        return False
    if not bare:
        # a shared term asked for without its qualifier ("利率多少", "收費幾多呀", "那个比例是多少")
        t = normalize(text)
        return not (_SHARED_TERM.fullmatch(context.bare_term(t)) and side_named(t) is None)
    term = context.strip_fillers(text)
    users = [e for e in service.entries if term in normalize(e.question) or term in normalize(e.answer)]
    return len(users) <= 1


class ActionAnswerFaq(BaseAction):
    NAME = "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        # NLU is sure it is a knowledge question: when retrieval is unsure, offer topics.
        return await Turn(dispatcher, tracker).run("faq")


class ActionClarify(BaseAction):
    """nlu_fallback: NLU is unsure what kind of message this is."""

    NAME = "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await Turn(dispatcher, tracker).run("clarify")


class ActionOutOfScope(BaseAction):
    """NLU says out of scope. Topics published after the model was trained are unknown
    to it, so a clear match on such a topic is answered rather than refused; menu
    choices ("2") and follow-ups are read against the conversation first."""

    NAME = "action_out_of_scope"
    NEW_TOPIC_MIN_SCORE = NEW_TOPIC_MIN_SCORE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        return await Turn(dispatcher, tracker).run("out_of_scope")


class ActionConverse(BaseAction):
    """deny / affirm / thank / goodbye: small talk, unless the message is a menu choice,
    a correction ("不是这个，我问的是…") or a question the NLU took for small talk."""

    NAME = "action_converse"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or "deny"
        mode = intent if intent in (*SMALLTALK_MODES, "deny") else "deny"
        return await Turn(dispatcher, tracker).run(mode)
