"""Service replies: investment-advice refusal and hand-off to a person."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import BaseAction, BusyError, moment, run_blocking, verified_client_id
from actions.whatif import FOLLOWUP_ACTION, followup_of
from core import clock
from core.knowledge.context import asks_hours
from core.policy import get_policy
from services.context import current
from services.handoff import open_handoff

ADVICE_REFUSAL = (
    "抱歉，按照监管要求，我不能推荐或评价具体股票、预测行情，也不能承诺任何收益。"
    "买卖哪只证券、何时融资或融券，需要您结合自身风险承受能力独立决策。"
    "我可以为您解释相关规则，例如标的证券范围、折算率、保证金比例和维持担保比例。"
)
HANDOFF_OPEN = (
    "好的，正在为您转接人工客服，请稍候，客服接入后会在这里直接回复您。您也可以拨打热线{{ broker.hotline | raw }}。"
)
HANDOFF_FAILED = "抱歉，暂时无法为您转接人工客服，请稍后再试，或直接拨打热线{{ broker.hotline | raw }}。"
HANDOFF_CLOSED = (
    "人工客服的服务时间为交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}，"
    "现在不在服务时间。您的请求已记录，人工客服将于{opening}起尽快回复您；"
    "我可以先为您解答两融问题。营业部柜台服务时间为{{ broker.counter_hours.start | raw }}–"
    "{{ broker.counter_hours.end | raw }}，热线{{ broker.hotline | raw }}。"
)


class ActionRefuseAdvice(BaseAction):
    NAME = "action_refuse_advice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        policy = get_policy()
        dispatcher.utter_message(text=f"{ADVICE_REFUSAL}\n{policy.get('texts.risk_reminder')}")
        return []


class ActionHandoff(BaseAction):
    """Hours-aware hand-off: agents answer on trading days within broker.agent_hours."""

    NAME = "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        service = current().knowledge
        hours = service.get("service_hours")
        if hours is not None and asks_hours((tracker.latest_message or {}).get("text") or ""):
            # "人工几点有人": the hours, without putting anyone in the queue
            dispatcher.utter_message(
                text=service.render(hours),
                json_message={"faq_id": hours.id, "version": hours.version, "topic": hours.question},
            )
            return []
        if followup_of(tracker, get_policy()) is not None:  # "我有专属经理不": the client's own record
            return [FollowupAction(FOLLOWUP_ACTION)]
        await hand_off(dispatcher, tracker, "客户要求人工服务")
        return []


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> None:
    """Put the conversation in the agents' inbox and tell the client when a person answers."""
    policy = get_policy()
    try:
        await run_blocking(lambda: open_handoff(tracker.sender_id, verified_client_id(tracker), reason))
    except BusyError:
        dispatcher.utter_message(text=policy.render(HANDOFF_FAILED))
        return
    if clock.agents_on_duty(policy=policy):
        dispatcher.utter_message(text=policy.render(HANDOFF_OPEN), json_message={"handoff": "requested"})
    else:
        opening = moment(clock.next_agent_opening(policy=policy))
        text = policy.render(HANDOFF_CLOSED).replace("{opening}", opening)
        dispatcher.utter_message(text=text, json_message={"handoff": "queued"})
