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
    results = [
        RuleResult(
            "资产",
            record.avg_daily_assets_20d >= policy.dec("eligibility.min_avg_daily_assets"),
            f"前{e('assets_window_trading_days')}个交易日日均证券类资产{yuan(record.avg_daily_assets_20d)}，"
            f"要求不低于{fmt_wan(e('min_avg_daily_assets'))}",
        ),
    ]
    months = _months_between(record.trading_since, today)
    results.append(
        RuleResult(
            "交易经验",
            months >= int(e("min_trading_experience_months")),
            f"证券交易经验约{months}个月，要求满{e('min_trading_experience_months')}个月",
        )
    )
    results.append(
        RuleResult(
            "合规记录",
            not record.major_violation_3y,
            f"最近{e('clean_record_years')}年" + ("有" if record.major_violation_3y else "无") + "重大违法违规记录",
        )
    )
    a = record.assessment
    if a is None:
        results.append(RuleResult("风险等级", False, "暂无风险测评记录，请先完成测评"))
    else:
        tier = policy.tier(a.tier)
        ok = a.tier not in e("excluded_tiers")
        detail = f"风险等级{tier['name']}（{tier['code']}）" + ("" if ok else "，该等级不能开通两融")
        if ok and assessment_expired(record, policy):
            ok, detail = False, detail + "，但测评已过期，需重新测评"
        results.append(RuleResult("风险等级", ok, detail))
    age = _age(record.birth_date, today)
    results.append(
        RuleResult(
            "年龄", int(e("min_age")) <= age <= int(e("max_age")), f"年龄{age}岁，要求{e('min_age')}至{e('max_age')}岁"
        )
    )
    results.append(
        RuleResult(
            "关联关系",
            not record.broker_related_party,
            "非示例证券股东或关联人" if not record.broker_related_party else "为示例证券股东或关联人，不能开通",
        )
    )
    has_here = record.account is not None
    results.append(
        RuleResult(
            "信用账户",
            not (has_here or record.credit_account_elsewhere),
            "已在示例证券开通信用账户，无需重复开户"
            if has_here
            else (
                "已在其他券商开有信用账户（每人限一个）" if record.credit_account_elsewhere else "未持有其他信用账户"
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
            head = "您已经开通了示例证券的信用账户，可直接使用两融业务。逐条核对如下："
        elif not failed:
            head = "根据您的资料，您符合开通融资融券的各项条件，可在App通过视频见证或到营业部办理。逐条核对如下："
        else:
            head = "根据您的资料，您暂不符合以下开通条件（✗），逐条核对如下："
        lines = [head] + [f"{'✓' if r.passed else '✗'} {r.rule}：{r.detail}" for r in results]
        lines.append(f"（资料截至{day(clock.today())}，最终以营业部审核为准）")
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={"personal": "eligibility", "eligible": not failed, "failed": [r.rule for r in failed]},
        )
