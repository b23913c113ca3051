"""Source of tests/stories/test_conversations.yml (development conversations for `rasa test`):
`python tests/stories/conversations.py` rewrites the YAML. Written apart from the
training data; each turn is (message, intent) and the action follows from the rules.
A what-if turn that opens the form is marked "open"; one that gives the figure, "fill:<figure>";
"leave" is 算了 inside the form; "complete" is a request whose figure comes with it."""

from __future__ import annotations

import re
from pathlib import Path

ACTION = {
    "faq": "action_answer_faq",
    "nlu_fallback": "action_clarify",
    "out_of_scope": "action_out_of_scope",
    "deny": "action_converse",
    "affirm": "action_converse",
    "thank": "action_converse",
    "goodbye": "action_converse",
    "greet": "action_converse",
    "ask_investment_advice": "action_refuse_advice",
    "request_human": "action_handoff",
    "query_quota": "action_query_quota",
    "query_risk_tier": "action_query_risk_tier",
    "query_margin_status": "action_query_margin_status",
    "check_eligibility": "action_check_eligibility",
}

F, OOS, D, A, T = "faq", "out_of_scope", "deny", "affirm", "thank"

CONVERSATIONS = {
    # -- follow-ups with ellipsis ------------------------------------------------------
    "follow-up: financing rate then lending": [("融资利率是多少", F), ("那融券呢？", F)],
    "follow-up: margin ratio then short side": [("保证金比例多少", F), ("融券的呢", F)],
    "follow-up: call trigger then how long": [("什么情况下会被追保", F), ("要多久", F)],
    "follow-up: rate then penalty": [("融资的年化利率多少", F), ("罚息呢", F)],
    "follow-up: ratio then how computed": [("维持担保比例是啥", F), ("怎么算的", F)],
    "follow-up: renewal then how early": [("合约到期能展期吗", F), ("提前多少天申请", F)],
    "follow-up: lending then financing": [("融券费率多少", F), ("那融资的呢", F)],
    "follow-up: warning line then call line": [("警戒线是多少", F), ("那追保线呢", F)],
    "follow-up: requirements then assets then age": [("开两融要什么条件", F), ("资产要多少", F), ("那年龄呢", F)],
    "follow-up: assessment expiry": [("风险测评多久有效", F), ("过期了会怎样", F)],
    "follow-up: haircut then etf": [("担保品折算率多少", F), ("ETF呢", F)],
    "follow-up: quota then raise it": [("什么是授信额度", F), ("怎么提高", F)],
    "follow-up: interest then early repayment": [("利息怎么算", F), ("提前还呢", F)],
    "follow-up: interest then settlement": [("融资利率多少啊", F), ("什么时候扣", F)],
    "follow-up: liquidation line": [("强制平仓是什么情况", F), ("平仓线是多少", F)],
    "follow-up: trigger, deadline, liquidation thread": [("追保线是多少", F), ("要多久补上", F), ("没补上会怎样", F)],
    "follow-up: traditional characters": [("融資利率是多少", F), ("那融券呢", F)],
    "follow-up: english mix": [("margin call 是怎么触发的", F), ("deadline 呢", "query_margin_status")],
    "follow-up: term then renewal": [("合约期限多长", F), ("到期了能续吗", F)],
    "follow-up: new self-contained question after a topic": [("融资利率多少", F), ("开户需要什么条件", F)],
    "follow-up: new topic after margin call rules": [("维持担保比例低于多少追保", F), ("融券卖出价格有限制吗", F)],
    "follow-up: vip after quota": [("额度最高多少", F), ("高净值客户呢", F)],
    "follow-up: thank after follow-up": [("融资利率是多少", F), ("那融券呢", F), ("好的谢谢", T)],
    "follow-up: affirm then new question": [("提前还款利息怎么算", F), ("嗯 明白了", A), ("那结息日呢", F)],
    "follow-up: withdrawal line": [("什么时候能从信用账户取钱", F), ("提取线多少", F)],
    # -- menus ---------------------------------------------------------------------------
    "menu: interest then second": [("利息", F), ("第二个", F)],
    "menu: interest then digit": [("利息", F), ("2", OOS)],
    "menu: interest then last": [("利息", F), ("最后一个", F)],
    "menu: interest then traditional ordinal": [("利息", F), ("第二個", F)],
    "menu: interest then first": [("利息", F), ("第一个", F)],
    "menu: quota then third": [("额度", F), ("第三个", F)],
    "menu: interest then option words": [("利息", F), ("罚息那个", F)],
    "menu: none of these": [("利息", F), ("都不是", D)],
    "menu: none of these twice": [("额度", F), ("都不是", D), ("都不是", D)],
    "menu: quota then ordinal with 2": [("额度", F), ("第2个", F)],
    "menu: then a full new question": [("利息", F), ("开通两融有年龄限制吗", F)],
    "menu: vague rate then choice": [("利率", F), ("第一个", F)],
    "menu: vague then option words": [("额度", F), ("提额那个", F)],
    "menu: choose then follow up": [("利息", F), ("第一个", F), ("那融券呢", F)],
    "menu: pick the last then thank": [("利息", F), ("最后一个", F), ("谢谢", T)],
    # -- corrections and denials -------------------------------------------------------
    "correction: not this, the short side": [("维持担保比例怎么算", F), ("不是这个 我问的是融券的", D)],
    "correction: wrong, lending rate": [("融资利率多少", F), ("不对，我问的是融券费率", D)],
    "correction: not this alone": [("融资利率多少", F), ("不是这个", D)],
    "correction: not what I asked then a person": [("追保期限几天", F), ("不是这个", D), ("都不是", D)],
    "correction: give up then new question": [("合约期限多久", F), ("算了，融资利率多少", F)],
    "correction: not this, penalty": [("利息怎么算", F), ("不是这个，我想问罚息", D)],
    "correction: not right, the age rule": [("开户条件是什么", F), ("不对 我问的是年龄限制", D)],
    "correction: deny small talk without context": [("没有了", D)],
    "correction: no then goodbye": [("融资利率多少", F), ("好的", A), ("没有了", D), ("拜拜", "goodbye")],
    "correction: not this, haircut": [("保证金比例是多少", F), ("不是这个，我问的是折算率", D)],
    # -- vague questions ---------------------------------------------------------------
    "vague: rate alone": [("利率", F)],
    "vague: how much is this": [("这个多少", F)],
    "vague: latest when": [("最晚啥时候", F)],
    "vague: latest when with context": [("追保是怎么回事", F), ("最晚啥时候", F)],
    "vague: how much is this with context": [("融券要收费吗", F), ("这个多少", F)],
    "vague: quota alone": [("额度", F)],
    "vague: how long alone": [("要多久", F)],
    "vague: greet then vague": [("你好", "greet"), ("利息", F)],
    # -- stated figures, no login --------------------------------------------------------
    "figures: 40万 eligible?": [("开通要什么条件", F), ("我有{40万|amount=400000}可以吗", "nlu_fallback")],
    "figures: 40万 can open": [("我有{40万|amount=400000}能开吗", "check_eligibility")],
    "figures: interest for 20万 40 days": [("借{20万|amount=200000}用40天利息多少", F)],
    "figures: interest after rate": [("融资利率多少", F), ("那借{50万|amount=500000}用30天利息多少", F)],
    "figures: margin ratio capacity": [("保证金比例{100%|percent=100}的话{30万|amount=300000}能融多少", F)],
    "figures: tier line": [
        ("我净资产{120万|amount=1200000}，{稳健型|risk_tier=C2}能批多少", "simulate_margin", "complete")
    ],
    "figures: eligibility then rate": [("我有{60万|amount=600000}能开户吗", "check_eligibility"), ("融资利率多少", F)],
    "figures: lending interest": [("融券{10万|amount=100000}用30天费用多少", F)],
    # -- what-if form ------------------------------------------------------------------
    "what-if: asks for the figure, percent": [
        ("帮我模拟一下跌了会怎样", "simulate_margin", "open"),
        ("跌{15%|percent=15}", "simulate_margin", "fill:pct:15"),
    ],
    "what-if: points": [
        ("帮我模拟一下跌了会怎样", "simulate_margin", "open"),
        ("15个点", "nlu_fallback", "fill:pct:15"),
    ],
    "what-if: amount": [
        ("模拟一下再融资会怎样", "simulate_margin", "open"),
        ("{20万|amount=200000}", "nlu_fallback", "fill:amt:200000"),
    ],
    "what-if: 30w": [
        ("测算一下追加现金后的比例", "simulate_margin", "open"),
        ("{30w|amount=300000}", T, "fill:amt:300000"),
    ],
    "what-if: half": [("如果持仓大跌会怎样", "simulate_margin", "open"), ("一半", "simulate_margin", "fill:pct:50")],
    "what-if: leave with 算了": [("帮我模拟一下跌了会怎样", "simulate_margin", "open"), ("算了", D, "leave")],
    "what-if: figure given at once": [("如果我的持仓跌{10%|percent=10}会怎样", "simulate_margin", "complete")],
    "what-if: financing amount at once": [
        ("再融资{10万|amount=100000}维持担保比例会变成多少", "simulate_margin", "complete")
    ],
    # -- personal follow-ups (the identity comes with the message metadata) ----------------
    "personal: quota then can I still buy": [("我的额度", "query_quota"), ("那我现在还能融资买吗", "query_quota")],
    "personal: status then my ratio": [
        ("我会不会被追保", "query_margin_status"),
        ("那我的风险等级呢", "query_risk_tier"),
    ],
    "personal: rules then mine": [("维持担保比例低于多少追保", F), ("那我现在的比例是多少", "query_margin_status")],
    "personal: tier then expiry rule": [("我的风险等级是什么", "query_risk_tier"), ("过期了会怎样", F)],
    "personal: withdrawal rule": [("我的维持担保比例多少", "query_margin_status"), ("最多能取多少", F)],
    # -- compliance in any turn ------------------------------------------------------------
    "compliance: guarantee at the start": [("你们保证我不亏吗", "ask_investment_advice")],
    "compliance: guarantee after a topic": [("融资利率多少", F), ("那你保证我不亏行不", "ask_investment_advice")],
    "compliance: stock pick after a menu": [("利息", F), ("推荐一只能涨的股票", "ask_investment_advice")],
    "compliance: promised returns": [("能不能承诺年化收益", "ask_investment_advice"), ("那融资利率多少", F)],
    "compliance: steady gains": [("融资炒股能稳赚吗", "ask_investment_advice")],
    "compliance: after a figure": [
        ("借{20万|amount=200000}用40天利息多少", F),
        ("保证能赚回利息吗", F),
    ],
    # -- people ---------------------------------------------------------------------------------
    "human: hand-off in context": [("追保期限几天", F), ("我想直接找个客服办一下", "request_human")],
    "human: hours without hand-off": [("人工几点有人", F)],
    "human: hours after an answer": [("融资利率多少", F), ("客服什么时候上班", F)],
    "human: plain hand-off": [("转人工", "request_human")],
}


def annotate(text: str) -> str:
    """{40万|amount=400000} → Rasa's [40万]{"entity": "amount", "value": "400000"}."""
    return re.sub(
        r"\{([^|{}]+)\|(\w+)=([^{}]+)\}", lambda m: f'[{m[1]}]{{"entity": "{m[2]}", "value": "{m[3]}"}}', text
    )


def story(name: str, turns) -> str:
    out = [f'  - story: "{name}"', "    steps:"]
    for turn in turns:
        text, intent = turn[0], turn[1]
        mark = turn[2] if len(turn) > 2 else ""
        out += ["      - user: |", f"          {annotate(text)}", f"        intent: {intent}"]
        if mark in ("open", "complete"):
            out += ["      - action: simulate_form", "      - active_loop: simulate_form"]
            if mark == "open":
                out += ["      - slot_was_set:", "          - requested_slot: sim_figure"]
                continue
            out += ["      - slot_was_set:", "          - sim_figure: skip"]
            out += ["      - active_loop: null", "      - slot_was_set:", "          - requested_slot: null"]
            out += ["      - action: action_simulate_margin"]
        elif mark.startswith("fill:"):
            out += ["      - action: simulate_form", "      - slot_was_set:", f"          - sim_figure: {mark[5:]}"]
            out += ["      - active_loop: null", "      - slot_was_set:", "          - requested_slot: null"]
            out += ["      - action: action_simulate_margin"]
        elif mark == "leave":
            out += ["      - action: action_leave_simulation", "      - active_loop: null"]
        else:
            out.append(f"      - action: {ACTION[intent]}")
    return "\n".join(out)


def main() -> None:
    header = (
        "# Generated by tests/stories/conversations.py — edit that file, then run it.\n"
        "# Multi-turn development conversations for `rasa test core` (scripts/test.sh).\n"
        'version: "3.1"\nstories:\n'
    )
    body = "\n\n".join(story(n, t) for n, t in CONVERSATIONS.items())
    Path(__file__).with_name("test_conversations.yml").write_text(header + body + "\n", encoding="utf-8")
    print(f"{len(CONVERSATIONS)} stories")


if __name__ == "__main__":
    main()
