from decimal import Decimal

import pytest

from core.knowledge.validate import validate_policy
from core.policy import Policy, PolicyError, fmt_pct, fmt_wan, fmt_yuan


def test_policy_matches_the_spec(policy):
    # the figures of shared/spec/policy.md, as transcribed
    assert policy.dec("interest.financing_annual_rate") == Decimal("0.068")
    assert policy.dec("interest.lending_annual_fee_rate") == Decimal("0.088")
    assert policy.dec("margin_call.warning_line") == Decimal("1.5")
    assert policy.dec("margin_call.call_line") == Decimal("1.3")
    assert policy.dec("margin_call.immediate_liquidation_line") == Decimal("1.1")
    assert policy.dec("margin_call.withdrawal_line") == Decimal("3")
    assert policy.tier("C3")["line_cap"] == 3000000
    assert policy.get("eligibility.knowledge_test_pass_mark") == 80
    assert validate_policy(policy) == []


@pytest.mark.parametrize(
    "template, expected",
    [
        ("{{ interest.financing_annual_rate | pct }}", "6.8%"),
        ("{{ interest.overdue_daily_penalty | pct }}", "0.05%"),
        ("{{ margin_call.warning_line | pct }}", "150%"),
        ("{{ eligibility.min_avg_daily_assets | wan }}", "50万元"),
        ("{{ risk_tiers.tiers.C5.line_cap | yuan }}", "10,000,000元"),
        ("{{ risk_tiers.tiers.C2.name }}", "稳健型"),
        ("{{ risk_tiers.assessment_validity_months | int }}个月", "24个月"),
    ],
)
def test_render(policy, template, expected):
    assert policy.render(template) == expected


def test_unknown_path_or_format_is_an_error(policy):
    with pytest.raises(PolicyError):
        policy.render("{{ interest.no_such_rate | pct }}")
    with pytest.raises(PolicyError):
        policy.render("{{ interest.financing_annual_rate | percent }}")


def test_formatters():
    assert fmt_pct("0.7") == "70%"
    assert fmt_wan(10000000) == "1000万元"
    assert fmt_yuan(Decimal("366666.666")) == "366,666.67元"


def test_validate_policy_catches_disordered_lines(policy):
    import copy

    data = copy.deepcopy(policy.data)
    data["margin_call"]["call_line"] = 1.6  # above the warning line
    data["interest"]["financing_annual_rate"] = 6.8  # a percent typed as a fraction
    problems = {p.field for p in validate_policy(Policy(data))}
    assert "margin_call" in problems
    assert "interest.financing_annual_rate" in problems
