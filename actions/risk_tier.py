"""query_risk_tier: the client's risk tier, when it was assessed and when it expires."""

from __future__ import annotations

from datetime import timedelta

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day
from actions.personal import PersonalAction
from core import clock, finance
from core.policy import Policy, fmt_wan
from core.texts import client as client_text
from storage.repository import ClientRecord

RETAKE = client_text.RETAKE_ASSESSMENT
SOON_DAYS = 30


class ActionQueryRiskTier(PersonalAction):
    NAME = "action_query_risk_tier"
    LOOKUP = "risk_tier"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        a = record.assessment
        if a is None:
            dispatcher.utter_message(text=client_text.TIER_NONE + RETAKE)
            return
        tier = policy.tier(a.tier)
        expiry = finance.assessment_expiry(a.assessed_on, policy)
        months = policy.get("risk_tiers.assessment_validity_months")
        lines = [
            client_text.TIER.format(
                name=tier["name"], code=tier["code"], assessed=day(a.assessed_on), months=months, expiry=day(expiry)
            )
        ]
        today = clock.today()
        if expiry <= today:
            lines.append(client_text.TIER_EXPIRED.format(retake=RETAKE))
        elif expiry - today <= timedelta(days=SOON_DAYS):
            lines.append(client_text.TIER_EXPIRING.format(days=(expiry - today).days, retake=RETAKE))
        if not tier["may_open"]:
            lines.append(client_text.TIER_MAY_NOT_OPEN.format(name=tier["name"]))
        else:
            lines.append(
                client_text.TIER_LINE_POLICY.format(
                    name=tier["name"], multiple=tier["line_multiple"], cap=fmt_wan(tier["line_cap"])
                )
            )
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={"personal": "risk_tier", "tier": a.tier, "expires_on": expiry.isoformat()},
        )
