"""query_risk_tier: the client's risk tier, when it was assessed and when it expires."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day
from actions.personal import PersonalAction
from core import clock, finance
from core.policy import Policy, fmt_wan
from storage.repository import ClientRecord

RETAKE = "您可以在示例证券App“我的—风险测评”重新完成测评，或携身份证到营业部柜台办理。"
SOON_DAYS = 30


class ActionQueryRiskTier(PersonalAction):
    NAME = "action_query_risk_tier"
    LOOKUP = "risk_tier"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        a = record.assessment
        if a is None:
            dispatcher.utter_message(text="暂未查到您的风险测评记录。" + RETAKE)
            return
        tier = policy.tier(a.tier)
        expiry = finance.assessment_expiry(a.assessed_on, policy)
        months = policy.get("risk_tiers.assessment_validity_months")
        lines = [
            f"您的风险等级为{tier['name']}（{tier['code']}），测评日期{day(a.assessed_on)}，"
            f"有效期{months}个月，到期日{day(expiry)}。"
        ]
        today = clock.today()
        if expiry <= today:
            lines.append(f"您的测评已过期。过期后不能新增融资买入，需重新测评后才能恢复。{RETAKE}")
        elif expiry - today <= timedelta(days=SOON_DAYS):
            lines.append(f"您的测评将在{(expiry - today).days}天内到期，建议提前重新测评。{RETAKE}")
        if not tier["may_open"]:
            lines.append(f"按规定，{tier['name']}客户不能开通融资融券。")
        else:
            lines.append(
                f"按授信策略，{tier['name']}客户的授信上限为净资产×{tier['line_multiple']}倍，"
                f"最高{fmt_wan(tier['line_cap'])}。"
            )
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={"personal": "risk_tier", "tier": a.tier, "expires_on": expiry.isoformat()},
        )
