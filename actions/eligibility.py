"""check_eligibility: the client's own record checked rule by rule against policy.yml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import day, yuan
from actions.personal import PersonalAction
from core import clock
from core.policy import Policy, fmt_wan
from core.texts import client as client_text
from services.restrictions import assessment_expired
from storage.repository import ClientRecord


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    detail: str


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_rules(record: ClientRecord, policy: Policy, today: date) -> List[RuleResult]:
    e = lambda key: policy.get(f"eligibility.{key}")  # noqa: E731
    minimum = policy.dec("eligibility.min_avg_daily_assets")
    short = minimum - record.avg_daily_assets_20d
    results = [
        RuleResult(
            client_text.RULE_ASSETS,
            short <= 0,
            client_text.ELIG_ASSETS.format(
                days=e("assets_window_trading_days"),
                assets=yuan(record.avg_daily_assets_20d),
                minimum=fmt_wan(e("min_avg_daily_assets")),
            )
            + (client_text.ELIG_ASSETS_SHORT.format(short=yuan(short)) if short > 0 else ""),
        ),
    ]
    months = _months_between(record.trading_since, today)
    results.append(
        RuleResult(
            client_text.RULE_EXPERIENCE,
            months >= int(e("min_trading_experience_months")),
            client_text.ELIG_EXPERIENCE.format(months=months, required=e("min_trading_experience_months")),
        )
    )
    record_text = client_text.ELIG_RECORD_VIOLATION if record.major_violation_3y else client_text.ELIG_RECORD_CLEAN
    results.append(
        RuleResult(
            client_text.RULE_RECORD, not record.major_violation_3y, record_text.format(years=e("clean_record_years"))
        )
    )
    a = record.assessment
    if a is None:
        results.append(RuleResult(client_text.RULE_TIER, False, client_text.ELIG_NO_ASSESSMENT))
    else:
        tier = policy.tier(a.tier)
        ok = a.tier not in e("excluded_tiers")
        detail = client_text.ELIG_TIER.format(name=tier["name"], code=tier["code"]) + (
            "" if ok else client_text.ELIG_TIER_EXCLUDED
        )
        if ok and assessment_expired(record, policy):
            ok, detail = False, detail + client_text.ELIG_TIER_EXPIRED
        results.append(RuleResult(client_text.RULE_TIER, ok, detail))
    age = _age(record.birth_date, today)
    results.append(
        RuleResult(
            client_text.RULE_AGE,
            int(e("min_age")) <= age <= int(e("max_age")),
            client_text.ELIG_AGE.format(age=age, min_age=e("min_age"), max_age=e("max_age")),
        )
    )
    results.append(
        RuleResult(
            client_text.RULE_RELATED_PARTY,
            not record.broker_related_party,
            client_text.ELIG_RELATED if record.broker_related_party else client_text.ELIG_NOT_RELATED,
        )
    )
    has_here = record.account is not None
    results.append(
        RuleResult(
            client_text.RULE_CREDIT_ACCOUNT,
            not (has_here or record.credit_account_elsewhere),
            client_text.ELIG_ACCOUNT_HERE
            if has_here
            else (
                client_text.ELIG_ACCOUNT_ELSEWHERE
                if record.credit_account_elsewhere
                else client_text.ELIG_NO_OTHER_ACCOUNT
            ),
        )
    )
    return results


class ActionCheckEligibility(PersonalAction):
    NAME = "action_check_eligibility"
    LOOKUP = "eligibility"

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        results = check_rules(record, policy, clock.today())
        failed = [r for r in results if not r.passed]
        if record.account is not None and len(failed) == 1:
            head = client_text.ELIG_HEAD_HAS_ACCOUNT
        elif not failed:
            head = client_text.ELIG_HEAD_ELIGIBLE
        else:
            head = client_text.ELIG_HEAD_NOT_ELIGIBLE
        lines = [head] + [
            client_text.ELIG_RULE_LINE.format(
                mark=client_text.ELIG_PASSED if r.passed else client_text.ELIG_FAILED, rule=r.rule, detail=r.detail
            )
            for r in results
        ]
        lines.append(client_text.ELIG_AS_OF.format(day=day(clock.today())))
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={"personal": "eligibility", "eligible": not failed, "failed": [r.rule for r in failed]},
        )
