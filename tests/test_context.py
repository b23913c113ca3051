"""Conversation context: menu choices, corrections, follow-ups and stated-figure estimates,
run as the actions run (real knowledge index, real database for the personal ones)."""

import asyncio
from decimal import Decimal
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.estimate import estimate
from actions.knowledge import ActionAnswerFaq, ActionConverse, ActionOutOfScope
from actions.quota import ActionQueryQuota
from actions.service import ActionHandoff, ActionRefuseAdvice
from actions.simulate import ActionSimulateMargin, ValidateSimulateForm, figure_in, kind_in
from core import finance
from core.knowledge import context
from core.policy import get_policy
from services.knowledge.service import KnowledgeService
from services.knowledge.store import FileStore


@pytest.fixture(scope="module")
def service():
    return KnowledgeService(FileStore())


def rank_of(service):
    return lambda text, k: service.rank(text, k=k)


def tracker(
    text: str,
    slots: Optional[Dict[str, Any]] = None,
    intent: str = "faq",
    entities: Optional[List[Dict]] = None,
    client_id: Optional[str] = None,
) -> Tracker:
    metadata: Dict[str, Any] = {"auth_status": "valid" if client_id else "missing"}
    if client_id:
        metadata["client_id"] = client_id
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": metadata,
    }
    return Tracker("ctx-sender", dict(slots or {}), latest, [], False, None, {}, "action_listen")


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def slots_after(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def faq_of(messages) -> Optional[str]:
    return next((m["custom"]["faq_id"] for m in messages if (m.get("custom") or {}).get("faq_id")), None)


def text_of(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture(autouse=True)
def _db(database_url, monkeypatch):
    monkeypatch.setenv("BOT_FAKE_NOW", "2026-11-26T10:00:00+08:00")


# -- parsing ------------------------------------------------------------------------
MENU = ["interest_financing_rate", "interest_overdue_penalty", "interest_settlement"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("第一个", 0),
        ("第2个", 1),
        ("2", 1),
        ("第二個", 1),
        ("最后一个", 2),
        ("选3", 2),
        ("第三个吧", 2),
        ("二", 1),
        ("第一个吧，麻烦您了", 0),
        ("麻烦看第二个", 1),
        ("你说呢 第一个啊", 0),
    ],
)
def test_ordinals_pick_a_menu_option(text, expected):
    assert context.menu_choice(text, MENU) == MENU[expected]


@pytest.mark.parametrize("text", ["第五个", "融资利率是多少", "20万", "2026年", ""])
def test_not_an_ordinal(text):
    assert context.menu_choice(text, MENU) is None


@pytest.mark.parametrize(
    "text,denied,rest",
    [
        ("不是这个", True, ""),
        ("都不是", True, ""),
        ("不对，我问的是融券费率", True, "融券费率"),
        ("不是这个 我问的是融券的", True, "融券的"),
        ("算了，融资利率多少", True, "融资利率多少"),
        ("融资利率多少", False, "融资利率多少"),
    ],
)
def test_denials_keep_the_question_after_them(text, denied, rest):
    got_denied, got_rest = context.split_denial(text)
    assert got_denied is denied and got_rest == rest


@pytest.mark.parametrize(
    "text,expected",
    [
        ("你们保证我不亏吗", True),
        ("那你保证我不亏行不", True),
        ("推荐几只能涨的股票", True),
        ("融资炒股稳赚吗", True),
        ("保证金比例100%的话30万能融多少", False),
        ("融资融券有什么风险", False),
        ("明天要是跌了会追保吗", False),
    ],
)
def test_compliance_requests(text, expected):
    assert context.asks_compliance(text) is expected


def test_hours_question_is_not_a_hand_off():
    assert context.asks_hours("人工几点有人")
    assert context.asks_hours("客服什么时候上班")
    assert not context.asks_hours("转人工")
    assert context.asks_hours("人工客服 what hours") and not context.asks_to_be_put_through("人工客服 what hours")


def test_a_guarantee_against_liquidation_in_cantonese_is_refused():
    assert context.asks_compliance("你保證我唔會俾人斬倉我就開")


def test_a_further_fall_is_a_move_unless_the_event_after_it_is_asked():
    assert not context.asks_what_if_not("如果我啲股票再跌會點")  # simulated (the form asks how far)
    assert context.asks_what_if_not("那再跌下去会怎么样呀，会不会把我的股票卖掉")  # the rule
    assert context.asks_what_if_not("来不及会怎样")


def test_a_presence_check_is_a_greeting():
    assert context.only_greeting("在吗") and context.only_greeting("你好 有人在吗？")
    assert not context.only_greeting("你好 这个助手晚上也在吗") and not context.only_greeting("在吗 利率多少")
    out, _ = run(ActionConverse(), tracker("在吗", intent="greet"))
    assert not out[0].get("buttons")


@pytest.mark.parametrize("text", ["别机器人了 要人", "我不想跟机器人说话", "要人"])
def test_refusing_the_bot_is_a_hand_off(text):
    assert context.asks_to_be_put_through(text)


def test_neighbours_come_from_categories_and_the_curated_map(service):
    near = context.neighbours(service.entries, ["margincall_trigger"])
    assert {"margincall_deadline", "margincall_forced_liquidation"} <= near
    assert "interest_lending_rate" in context.neighbours(service.entries, ["interest_financing_rate"])


# -- follow-ups ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "previous,text,expected",
    [
        ("interest_financing_rate", "那融券呢？", "interest_lending_rate"),
        ("margin_initial_ratio", "融券的呢", "margin_initial_ratio"),
        ("margincall_trigger", "要多久", "margincall_deadline"),
        ("interest_financing_rate", "罚息呢", "interest_overdue_penalty"),
        ("margincall_maintenance_ratio", "怎么算的", "margincall_maintenance_ratio"),
        ("eligibility_assets", "那年龄呢", "eligibility_age"),
        ("quota_what_is", "怎么提高", "quota_increase"),
        ("margincall_deadline", "过了deadline呢", "margincall_forced_liquidation"),
        ("contract_term", "过了期限呢", "contract_renewal"),
        ("interest_lending_rate", "怎么算的", "interest_calculation"),  # a figure's method
        ("margincall_maintenance_ratio", "怎么算的", "margincall_maintenance_ratio"),
    ],
)
def test_follow_up_resolved_against_the_previous_topic(service, previous, text, expected):
    resolved = context.follow_up(rank_of(service), service.entries, text, [service.get(previous)])
    assert resolved.kind == "answer" and resolved.best.faq_id == expected


def test_follow_up_action_uses_the_slots():
    out, events = run(ActionAnswerFaq(), tracker("那融券呢？", {"last_faq_ids": ["interest_financing_rate"]}))
    assert faq_of(out) == "interest_lending_rate" and "8.8%" in text_of(out)
    assert slots_after(events)["last_faq_ids"] == ["interest_lending_rate"]


def test_same_follow_up_without_context_is_not_answered_as_lending_rate():
    out, _ = run(ActionAnswerFaq(), tracker("那融券呢？"))
    assert faq_of(out) != "interest_lending_rate" or out[0].get("buttons")


def test_self_contained_question_is_not_bent_towards_the_old_topic():
    out, _ = run(
        ActionAnswerFaq(), tracker("开通融资融券需要满足什么条件", {"last_faq_ids": ["interest_financing_rate"]})
    )
    assert faq_of(out) == "eligibility_requirements"


def test_context_ends_when_the_identity_changes():
    slots = {"last_faq_ids": ["interest_financing_rate"], "context_client": "C1001"}
    out, _ = run(ActionAnswerFaq(), tracker("那融券呢？", slots, client_id="C1002"))
    assert faq_of(out) != "interest_lending_rate" or out[0].get("buttons")


# -- menus and corrections ---------------------------------------------------------------
def test_menu_then_ordinal_from_any_intent():
    out, events = run(ActionAnswerFaq(), tracker("利息"))
    menu = slots_after(events)["last_menu"]
    assert out[0]["buttons"] and len(menu) >= 2
    picked, _ = run(ActionOutOfScope(), tracker("2", {"last_menu": menu}, intent="out_of_scope"))
    assert faq_of(picked) == menu[1]
    last, _ = run(ActionAnswerFaq(), tracker("最后一个", {"last_menu": menu}))
    assert faq_of(last) == menu[-1]


def test_menu_option_by_its_words():
    out, _ = run(ActionAnswerFaq(), tracker("罚息那个", {"last_menu": MENU}))
    assert faq_of(out) == "interest_overdue_penalty"


def test_none_of_these_offers_the_next_topics():
    slots = {"last_menu": MENU, "last_question": "利息"}
    out, events = run(ActionConverse(), tracker("都不是", slots, intent="deny"))
    offered = slots_after(events)["last_menu"]
    assert out[0]["buttons"] and offered and not set(offered) & set(MENU)


def test_correction_answers_the_rest_without_the_topic_just_given():
    slots = {"last_faq_ids": ["margincall_maintenance_ratio"], "last_question": "维持担保比例怎么算"}
    out, _ = run(ActionConverse(), tracker("不是这个 我问的是融券的", slots, intent="deny"))
    assert faq_of(out) not in (None, "margincall_maintenance_ratio") or out[0].get("buttons")
    out, _ = run(
        ActionConverse(),
        tracker("不对，我问的是融券费率", {"last_faq_ids": ["interest_financing_rate"]}, intent="deny"),
    )
    assert faq_of(out) == "interest_lending_rate"


def test_plain_deny_without_context_is_small_talk():
    out, _ = run(ActionConverse(), tracker("不是", intent="deny"))
    assert out[0].get("response") == "utter_deny"


def test_small_talk_intent_on_a_question_is_answered():
    out, _ = run(ActionConverse(), tracker("最晚啥时候", intent="goodbye"))
    assert out[0].get("buttons") or faq_of(out)
    assert out[0].get("response") != "utter_goodbye"


def test_vague_single_word_gets_a_menu_not_out_of_scope():
    out, _ = run(ActionOutOfScope(), tracker("利率", intent="out_of_scope"))
    assert out[0].get("buttons")


def test_compliance_in_any_turn():
    slots = {"last_faq_ids": ["interest_financing_rate"]}
    for action, intent in (
        (ActionConverse(), "deny"),
        (ActionAnswerFaq(), "faq"),
        (ActionQueryQuota(), "check_eligibility"),
    ):
        out, _ = run(action, tracker("那你保证我不亏行不", slots, intent=intent))
        assert "不能" in text_of(out) and "风险提示" in text_of(out)


def test_a_refused_request_keeps_its_topic_for_the_next_question():
    out, events = run(
        ActionRefuseAdvice(),
        tracker("我被追保了，你们能不能保证我补进去以后就不会再亏了", intent="ask_investment_advice"),
    )
    assert "风险提示" in text_of(out)
    assert slots_after(events).get("last_faq_ids") == ["margincall_trigger"]
    out, events = run(ActionRefuseAdvice(), tracker("推荐只股票吧 融资买哪只好", intent="ask_investment_advice"))
    assert "风险提示" in text_of(out) and not slots_after(events).get("last_faq_ids")  # a pick names no topic


def test_an_ordinal_picks_among_the_topics_an_answer_offered():
    first, _ = run(ActionAnswerFaq(), tracker("请问那个比例是怎么回事呀？"))
    related = [b["payload"] for b in first[0].get("buttons") or []]
    assert related, "the answer offers related topics"
    t = tracker("最后那个吧", {"last_faq_ids": [faq_of(first)], "context_client": "anonymous"})
    t.events[:] = [
        {"event": "user", "text": "请问那个比例是怎么回事呀？"},
        {"event": "bot", "text": first[0]["text"], "data": {"buttons": first[0]["buttons"]}},
        {"event": "user", "text": "最后那个吧"},
    ]
    out, _ = run(ActionAnswerFaq(), t)
    assert f'"faq_id": "{faq_of(out)}"' in related[-1]


@pytest.mark.parametrize("text", ["利率幾多呀", "收費幾多呀", "费用是多少", "利率多少"])
def test_a_cost_asked_without_its_side_gets_a_menu(text):
    out, _ = run(ActionAnswerFaq(), tracker(text))
    assert out[0].get("buttons") and not faq_of(out), text
    assert faq_of(run(ActionAnswerFaq(), tracker("融券费率多少"))[0]) == "interest_lending_rate"


@pytest.mark.parametrize("text", ["wait 我搞错了, 是融资 not 融券", "不对，我问的是融资不是融券"])
def test_a_correction_that_rules_a_side_out(text):
    slots = {"last_faq_ids": ["interest_lending_rate"], "context_client": "anonymous", "last_question": "融券利率多少"}
    out, _ = run(ActionAnswerFaq(), tracker(text, slots))
    assert faq_of(out) == "interest_financing_rate"


def test_a_pushback_right_after_a_refusal_is_refused_again():
    t = tracker("why not? 你们不是券商吗", {"context_client": "anonymous"})
    t.events[:] = [
        {"event": "user", "text": "推荐只股票吧"},
        {"event": "action", "name": "action_refuse_advice"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "why not? 你们不是券商吗"},
    ]
    out, _ = run(ActionAnswerFaq(), t)
    assert "风险提示" in text_of(out) and not faq_of(out)


def test_hours_without_hand_off():
    for text in ("人工几点有人", "你们客服电话", "请问你们人工客服的电话是多少呀 一般什么时间有人接"):
        out, _ = run(ActionHandoff(), tracker(text, intent="request_human"))
        assert faq_of(out) == "service_hours" and "08:30" in text_of(out), text
        assert not any((m.get("custom") or {}).get("handoff") for m in out)
    menu = {"last_menu": ["service_hours", "interest_settlement"], "context_client": "anonymous"}
    _, events = run(ActionHandoff(), tracker("客服的", menu, intent="request_human"))
    assert events and events[0]["name"] == "action_answer_faq"  # the option it names
    out, _ = run(ActionHandoff(), tracker("转人工", menu, intent="request_human"))
    assert any((m.get("custom") or {}).get("handoff") for m in out)


def test_a_calculation_request_read_as_a_hand_off_is_answered():
    out, events = run(ActionHandoff(), tracker("罚息帮我算算", intent="request_human"))
    assert not out and events[0]["name"] == "action_answer_faq"
    out, events = run(ActionHandoff(), tracker("你们平时有没有给投资者办讲座呀 我想去听听", intent="request_human"))
    assert not out and events[0]["name"] == "action_answer_faq"
    out, _ = run(ActionHandoff(), tracker("帮我算下利息 还是转人工吧", intent="request_human"))
    assert any((m.get("custom") or {}).get("handoff") for m in out)


def test_figures_the_classifier_took_for_advice_are_estimated():
    from actions.service import ActionRefuseAdvice

    slots = {"last_faq_ids": ["interest_calculation"], "context_client": "anonymous"}
    slots["last_estimate"] = {"kind": "interest", "topic": "interest_calculation", "amount": "300000", "days": 60}
    _, events = run(ActionRefuseAdvice(), tracker("只用40天呢", slots, intent="ask_investment_advice"))
    assert events[0]["name"] == "action_answer_faq"
    for text in ("那炒股要炒多久才能开两融", "ST股的折算率怎么算"):  # no pick named, a clear answer
        _, events = run(ActionRefuseAdvice(), tracker(text, intent="ask_investment_advice"))
        assert events and events[0]["name"] == "action_answer_faq", text
    # the knowledge base scores these on 标的证券, but they ask for a pick: refused
    for text in ("帮我分析一下000001", "推荐个票 融资买啥好", "which stock should I short", "咁推介隻股票畀我啦"):
        out, _ = run(ActionRefuseAdvice(), tracker(text, slots, intent="ask_investment_advice"))
        assert "风险提示" in text_of(out), text


def test_a_term_asked_for_its_value_is_a_bare_term():
    assert context.bare_term("期限係幾耐") == "期限" and context.is_term_question("利率是多少")
    # greetings, "呢個" and "要求" around the term do not make it a question of its own
    assert (
        context.bare_term("唔該，期限係幾耐？") == "期限"
        and context.bare_term("您好 请问那个比例要求是多少呀") == "比例"
    )
    assert context.bare_term("呢個比例係幾多") == "比例"
    assert context.bare_term("额度那个咋弄") == "额度"  # a shared term asked about: which of its topics?
    assert not context.is_term_question("融资利率是多少") and not context.is_term_question("追保了怎么办")
    out, _ = run(ActionAnswerFaq(), tracker("期限是多久"))
    assert out[0].get("buttons") and not faq_of(out)  # the contract's term or the margin call's?
    for text, topic in (("融资利率是多少", "interest_financing_rate"), ("追保线多少", "margincall_trigger")):
        out, _ = run(ActionAnswerFaq(), tracker(text))
        assert faq_of(out) == topic, text  # one topic clearly leads


def test_a_follow_up_the_classifier_took_for_advice_is_answered_in_context():
    from actions.service import ActionRefuseAdvice

    slots = {"last_faq_ids": ["interest_settlement"], "context_client": "anonymous"}
    _, events = run(ActionRefuseAdvice(), tracker("过了期没还会怎样", slots, intent="ask_investment_advice"))
    assert events and events[0]["name"] == "action_answer_faq"
    for text in ("那买哪个好", "咁你覺得邊隻會升？"):
        out, _ = run(ActionRefuseAdvice(), tracker(text, slots, intent="ask_investment_advice"))
        assert "风险提示" in text_of(out), text
    out, _ = run(ActionConverse(), tracker("算了 叫个人来", slots, intent="deny"))
    assert any((m.get("custom") or {}).get("handoff") for m in out)


def test_two_questions_in_one_message_get_both_answers():
    out, events = run(ActionAnswerFaq(), tracker("融资利率多少 啥时候结息"))
    ids = [m["custom"]["faq_id"] for m in out if (m.get("custom") or {}).get("faq_id")]
    assert ids == ["interest_financing_rate", "interest_settlement"]
    assert slots_after(events)["last_faq_ids"] == ids
    out, _ = run(ActionAnswerFaq(), tracker("请问追保线是多少 昨天营业部给我打了电话"))  # a story, not a question
    assert len([m for m in out if (m.get("custom") or {}).get("faq_id")]) <= 1


def test_a_term_the_last_answer_mentions_is_still_a_new_topic(service):
    # the warning-line answer mentions 追保; "追保的呢" asks for the call rule, not the warning again
    warning = service.get("margincall_warning_line")
    resolved = context.follow_up(
        rank_of(service), service.entries, "追保的呢", [warning], previous_question="警戒线是多少"
    )
    assert resolved.kind == "answer" and resolved.best.faq_id == "margincall_trigger"


# -- stated figures ---------------------------------------------------------------------
def amount(v):
    return {"entity": "amount", "value": str(v)}


def test_interest_estimate_exact():
    policy = get_policy()
    found = estimate("借20万用40天利息多少", [amount(200000)], policy)
    expected = finance.interest_for(Decimal(200000), 40, policy.dec("interest.financing_annual_rate"), 360)
    assert expected == Decimal("1511.11")
    assert found.kind == "interest" and "1,511.11元" in found.text and "估算" in found.text and "风险提示" in found.text


def test_eligibility_estimate_against_the_asset_rule():
    found = estimate("我有40万能开吗", [amount(400000)], get_policy())
    assert found.kind == "eligibility" and "50万元" in found.text and "100,000元" in found.text


def test_credit_line_estimate_by_tier():
    found = estimate(
        "我净资产120万，稳健型能批多少", [amount(1200000), {"entity": "risk_tier", "value": "C2"}], get_policy()
    )
    assert found.kind == "line" and "600,000元" in found.text and "0.5倍" in found.text


def test_capacity_estimate_at_a_margin_ratio():
    found = estimate(
        "保证金比例100%的话30万能融多少", [{"entity": "percent", "value": "100"}, amount(300000)], get_policy()
    )
    assert found.kind == "capacity" and "300,000元" in found.text


def test_personal_intent_without_login_gets_the_estimate_not_a_login_wall():
    out, _ = run(ActionQueryQuota(), tracker("我有40万可以吗", intent="query_quota", entities=[amount(400000)]))
    assert "估算" in text_of(out) and "登录后" in text_of(out) and not out[0].get("custom", {}).get("login_required")


# -- the what-if form ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text,entities,figure",
    [
        ("跌15%", [{"entity": "percent", "value": "15"}], "pct:15"),
        ("15个点", [], "pct:15"),
        ("一半", [], "pct:50"),
        ("20万", [amount(200000)], "amt:200000"),
        ("30w", [amount(300000)], "amt:300000"),
    ],
)
def test_form_figures(text, entities, figure):
    assert figure_in(text, entities) == figure


def test_form_moves():
    assert kind_in("帮我模拟一下跌了会怎样") == "fall"
    assert kind_in("取出5万会怎样") == "withdraw"
    assert kind_in("再融资20万") == "finance"
    assert kind_in("追加现金10万") == "cash"


def validate(text, slots, entities=None, client_id="C1001", requested="sim_figure"):
    t = tracker(
        text,
        {"requested_slot": requested, **slots},
        intent="simulate_margin",
        entities=entities,
        client_id=client_id,
    )
    t.active_loop = {"name": "simulate_form"}
    dispatcher = CollectingDispatcher()
    events = asyncio.run(
        ValidateSimulateForm().run(
            dispatcher,
            t,
            {
                "forms": {"simulate_form": {"required_slots": ["sim_kind", "sim_figure"]}},
                "slots": {"sim_figure": {}, "sim_kind": {}},
            },
        )
    )
    return slots_after(events), dispatcher.messages


def test_form_fills_the_figure_and_leaves_other_questions_alone():
    filled, _ = validate("15个点", {"sim_kind": "fall"})
    assert filled["sim_figure"] == "pct:15"
    nothing, _ = validate("融资利率是多少", {"sim_kind": "fall"})
    assert "sim_figure" not in nothing
    bad, messages = validate("跌150%", {"sim_kind": "fall"}, [{"entity": "percent", "value": "150"}])
    assert bad.get("sim_figure") is None and "0到100%" in text_of(messages)


def test_simulation_from_the_form_slots_c1001():
    t = tracker("15个点", {"sim_kind": "fall", "sim_figure": "pct:15"}, intent="simulate_margin", client_id="C1001")
    out, events = run(ActionSimulateMargin(), t)
    text = text_of(out)
    assert "下跌15%" in text and "对照各条线" in text and "风险提示" in text
    assert slots_after(events)["sim_figure"] is None


def test_simulation_in_a_margin_call_says_so_first():
    t = tracker(
        "还款10万", {"sim_kind": "repay", "sim_figure": "amt:100000"}, intent="simulate_margin", client_id="C1003"
    )
    out, _ = run(ActionSimulateMargin(), t)
    assert text_of(out).startswith("请先注意：您目前有一笔未了结的追保通知")


def test_ok_after_a_menu_is_small_talk():
    out, _ = run(ActionConverse(), tracker("好的", {"last_menu": MENU}, intent="affirm"))
    assert out[0].get("response") == "utter_affirm"


def test_fragment_misread_as_a_lookup_continues_the_thread():
    slots = {"last_faq_ids": ["margincall_trigger"]}
    out, _ = run(ActionQueryQuota(), tracker("要多久", slots, intent="query_margin_status"))
    assert faq_of(out) == "margincall_deadline"
    mine, _ = run(ActionQueryQuota(), tracker("那我的额度呢", slots, intent="query_quota", client_id="C1001"))
    assert "可用额度" in text_of(mine)


def test_form_remembers_the_move_from_the_request():
    opened, _ = validate("模拟一下再融资会怎样", {}, requested=None)
    assert opened == {"sim_kind": "finance"}
    default, _ = validate("帮我测算一下", {}, requested=None)
    assert default == {"sim_kind": "fall"}
    changed, _ = validate("还是再融资20万吧", {"sim_kind": "fall"}, [amount(200000)])
    assert changed == {"sim_kind": "finance", "sim_figure": "amt:200000"}
    question, _ = validate("融资利率是多少", {"sim_kind": "fall"})
    assert question == {}


def test_the_rule_behind_a_login_wall_becomes_the_context():
    out, events = run(ActionQueryQuota(), tracker("额度", intent="query_quota"))
    menu = slots_after(events).get("last_menu")
    assert out[0].get("custom", {}).get("login_required") and menu and len(out[1]["buttons"]) == len(menu)
    picked, _ = run(ActionConverse(), tracker("第三个", {"last_menu": menu}, intent="affirm"))
    assert faq_of(picked) == menu[2]


def test_withdrawal_follow_up_uses_the_verified_account():
    out, _ = run(
        ActionAnswerFaq(),
        tracker("最多能取多少", {"last_faq_ids": ["margincall_maintenance_ratio"]}, client_id="C1001"),
    )
    assert faq_of(out) == "margincall_withdrawal"
    assert "未高于提取线300%" in text_of(out) and "260.00%" in text_of(out)
    anonymous, _ = run(ActionAnswerFaq(), tracker("最多能取多少"))
    assert "260.00%" not in text_of(anonymous)


# -- vague questions, fragments, compliance and dialect (own phrasings) ----------------
@pytest.mark.parametrize("text", ["这个要多少", "最迟什么时候", "要多长时间呢", "请问一下 这个咋算"])
def test_questions_that_name_no_topic_are_vague(text):
    assert context.is_vague(text)


@pytest.mark.parametrize("text", ["你好", "好的", "融资利率多少", "罚息", "天气怎么样"])
def test_questions_with_content_are_not_vague(text):
    assert not context.is_vague(text)


def test_topic_terms_are_told_from_small_talk(service):
    vocabulary = service.vocabulary
    assert all(context.mentions_topic(t, vocabulary) for t in ("折算率", "展期呢", "期限", "担保"))
    assert not any(context.mentions_topic(t, vocabulary) for t in ("好的", "谢谢啦", "嗯嗯", "拜拜", "可以"))


def test_a_term_read_as_small_talk_is_answered_as_a_question():
    out, events = run(ActionConverse(), tracker("警戒线", intent="affirm"))
    assert faq_of(out) == "margincall_warning_line"  # one topic owns the term: answered
    for term in ("展期", "平仓", "保证金"):  # terms several entries use: which of them?
        out, _ = run(ActionConverse(), tracker(term, intent="affirm"))
        assert out[0].get("buttons") and not faq_of(out), term
    out, events = run(ActionConverse(), tracker("期限", intent="affirm"))
    assert out[0].get("buttons") and slots_after(events).get("last_menu")  # several topics own it: a menu


def test_a_vague_question_without_context_gets_the_likeliest_topics():
    out, events = run(ActionOutOfScope(), tracker("这个要多少"))
    assert out[0].get("buttons") and len(slots_after(events)["last_menu"]) == len(out[0]["buttons"])


def test_a_vague_question_after_a_menu_is_read_with_the_menu_question(service):
    menu = ["margincall_trigger", "margincall_deadline", "margincall_warning_line"]
    picked = context.pick_by_words(rank_of(service), "最迟什么时候", menu, question="追保了怎么办")
    assert picked == "margincall_deadline"
    # a new question that names another topic is not bent into the menu
    assert context.pick_by_words(rank_of(service), "怎么开户", menu, question="追保了怎么办") is None


def test_naming_an_option_after_denying_a_menu_answers_it():
    menu = ["quota_increase", "quota_available", "quota_market_cut"]
    out, _ = run(ActionConverse(), tracker("不是，我想问行情大跌会不会降额度", {"last_menu": menu}, intent="deny"))
    assert faq_of(out) == "quota_market_cut"


@pytest.mark.parametrize(
    "text",
    [
        "现在融资买啥股票好",
        "你给个准话 明天会不会涨",
        "要是爆仓了你们公司负责吗",
        "两融的收益有保障不",
        "亏了你们赔不赔",
        "现在是不是抄底的好时机",
        "而家加槓桿入貨啱唔啱時機",
        "借钱买股票 return 能保证 cover 住利息吗",
        "你们内部肯定知道哪个票要涨吧",
        "不说名字也行 就说哪个板块",
        "如果真係跌咗，你哋公司會唔會補償我？",
        "你给挑个票全干进去 赚了分你",
        "那你就说我剩的这些额度买啥能翻倍",
        "保证不平行不",
        "ok then 哪只 ETF 最稳",
        "客户经理同我讲呢只股一定会升",
    ],
)
def test_compliance_in_new_phrasings(text):
    assert context.asks_compliance(text)


@pytest.mark.parametrize(
    "text",
    [
        "什么时机可以申请展期",
        "保证金比例多少",
        "展期的时机是什么时候",
        "哪个行业的股票可以做担保品",
        "哪些ETF可以做担保",
        "强平了公司会通知吗",
        "平安银行能做担保吗",
    ],
)
def test_rules_about_timing_or_margin_are_not_compliance(text):
    assert not context.asks_compliance(text)


def test_a_verified_client_in_a_margin_call_gets_their_own_deadline_with_the_rule():
    out, _ = run(ActionAnswerFaq(), tracker("最迟几时要补够", client_id="C1003"))
    said = text_of(out)
    assert faq_of(out) == "margincall_deadline" and "2026年11月27日" in said
    anonymous, _ = run(ActionAnswerFaq(), tracker("最迟几时要补够"))
    assert "2026年11月27日" not in text_of(anonymous)
    no_call, _ = run(ActionAnswerFaq(), tracker("最迟几时要补够", client_id="C1001"))
    assert "追保通知" not in text_of(no_call)


@pytest.mark.parametrize("text", ["保证金比例是多少", "跌了会不会强平", "跌20%会怎样", "收益怎么算的"])
def test_ordinary_questions_are_not_compliance(text):
    assert not context.asks_compliance(text)


def test_the_assistants_own_hours():
    assert context.asks_hours("机器人半夜也能回复吗")
    assert context.asks_hours("周末有人工吗")
    assert not context.asks_hours("晚上可以融资吗")


def test_cantonese_is_read_as_mandarin():
    from core.text import normalize

    assert normalize("融券幾多錢？") == "融券多少钱?"
    assert normalize("追保咗點算") == "追保了怎么办"
    assert normalize("可唔可以攞錢出嚟") == "可不可以取钱出来"
    assert normalize("系统维护") == "系统维护"  # Mandarin untouched


def test_choices_in_english_and_with_thanks():
    options = ["interest_calculation", "interest_overdue_penalty", "interest_settlement"]
    assert context.menu_choice("the 3rd one please", options) == "interest_settlement"
    assert context.menu_choice("第一个 多谢", options) == "interest_calculation"
    assert context.menu_choice("thanks", options) is None


def test_a_declined_person_leaves_the_question():
    assert context.declines_human("别给我转人工了 直接告诉我展期怎么办")
    assert not context.declines_human("我要转人工")
    out, _ = run(ActionAnswerFaq(), tracker("不需要人工，展期要提前几天申请"))
    assert faq_of(out) == "contract_renewal"


def test_picking_a_stock_is_refused():
    assert context.asks_compliance("帮我挑一只好股票")
    assert not context.asks_compliance("选哪种担保品折算率高")


def test_a_line_named_by_its_number():
    lines = {"警戒线": 150.0, "追保线": 130.0, "即时平仓线": 110.0, "提取线": 300.0}
    assert context.line_terms("维保跌破130了咋整", lines) == ["追保线"]
    assert context.line_terms("普通股票呢 不是沪深300成分的那种", lines) == []  # an index, not the 300% line
    assert context.line_terms("到了110%会怎样", lines) == ["即时平仓线"]
    assert context.line_terms("借130万30天", lines) == [] and context.line_terms("跌15%", lines) == []
    out, _ = run(ActionOutOfScope(), tracker("比例跌破130咋整"))
    assert faq_of(out) == "margincall_trigger"


def test_an_apology_before_a_correction_is_a_correction():
    denied, rest = context.split_denial("哎呀不好意思我说错了，我想问的是融券费率")
    assert denied and rest == "融券费率"


def test_a_term_after_a_menu_is_read_with_the_menu_question():
    menu = ["interest_lending_rate", "interest_calculation", "interest_overdue_penalty"]
    out, _ = run(ActionAnswerFaq(), tracker("融资的", {"last_menu": menu, "last_question": "费用"}))
    assert faq_of(out) in ("interest_financing_rate", "interest_calculation")


def test_a_person_is_asked_for_in_many_words():
    assert all(context.names_a_person(t) for t in ("帮我转一下", "那帮我转吧", "叫个人来", "找客服", "我要投诉"))
    assert not any(context.names_a_person(t) for t in ("给几天", "转入10万呢", "转账要多久"))


def test_how_a_figure_is_arrived_at_gets_the_rule_not_the_figure_again():
    from actions.followup import ActionPersonalFollowup
    from actions.quota import ActionQueryQuota

    asked = tracker("那我这个额度是按什么定出来的呀", intent="query_quota", client_id="C1001")
    out, events = run(ActionQueryQuota(), asked)
    if any(e.get("event") == "followup" and e.get("name") == "action_personal_followup" for e in events):
        out, _ = run(ActionPersonalFollowup(), asked)  # the rule applied to their tier
    offered = [b["payload"] for m in out for b in m.get("buttons") or []]
    assert faq_of(out) in ("risk_tier_credit_strategy", "quota_what_is", "risk_five_tiers") or any(
        "quota_what_is" in p or "risk_tier_credit_strategy" in p for p in offered
    )  # the rule (or the rules to choose from), from the knowledge base
    assert "800,000" not in text_of(out)  # not the client's figures again


# -- English and shorthand, missed deadlines, figures after a rule's answer ---------------------
@pytest.mark.parametrize(
    "said,means",
    [
        ("my wcbl?", "我的 维持担保比例"),
        ("bzj比例多少", "保证金比例多少"),
        ("pc线呢", "平仓线"),
        ("how long do I get to top up", "多久"),
        ("so can I take out some cash?", "提取"),
        ("A股能融资吗", "a股能融资吗"),  # a Chinese term with a Latin letter stays whole
        ("what happens if i dont top up", "不 追保"),
        ("借钱炒股那个要啥条件", "融资融券那个要什么条件"),
        ("那个能抵押的东西打几折", "担保品折算率"),
        ("融券的利率 how much", "融券费率 多少"),
        ("我融咗券，市值50萬", "我融券"),
        ("1m in csi300 names as collateral, what's it worth after haircut", "沪深300成分股"),
        ("我还有300,000额度 all in 哪个板块稳 ok", "all in"),  # the compliance guard reads "all in"
    ],
)
def test_english_and_shorthand_meet_the_chinese_terms(said, means):
    from core.text import normalize

    assert means in normalize(said)


def test_a_missed_deadline_is_a_question_about_what_follows():
    for text in ("and if I miss it?", "错过了追保期限呢", "要是赶不上呢"):
        assert context.asks_what_if_not(text), text
    assert not context.asks_what_if_not("跌15%呢")


def test_figures_right_after_a_rules_answer_are_that_rules_estimate_for_a_logged_in_client_too():
    from actions.estimate import estimate_in_turn
    from actions.whatif import followup_of

    slots = {"last_faq_ids": ["interest_calculation"], "context_client": "C1001"}
    t = tracker("30万 60天", slots, intent="simulate_margin", client_id="C1001")
    t.events = [
        {"event": "user", "text": "算下利息"},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "user", "text": "30万 60天"},
    ]
    found = estimate_in_turn(t, get_policy())
    assert found is not None and found.kind == "interest" and "3,400" in found.text
    assert followup_of(t, get_policy()) is None  # not a what-if on their account
    t.events[1] = {"event": "action", "name": "action_simulate_margin"}  # after a simulation: its own follow-up
    assert estimate_in_turn(t, get_policy()) is None


@pytest.mark.parametrize(
    "text,refused",
    [
        ("咁你可唔可以保證我唔會被斬倉？", True),
        ("你能保证我不被追保吗", True),
        ("那融资和融券哪个更划算 你直接说", True),
        ("融资和融券哪个保证金高", False),  # a rule, not a choice made for the client
        ("保证金比例多少", False),
    ],
)
def test_a_promise_against_liquidation_or_a_choice_made_for_the_client_is_refused(text, refused):
    assert context.asks_compliance(text) is refused


def test_a_cost_fragment_carries_the_side_of_the_question_before_it():
    from actions.knowledge import carry_side

    assert carry_side("利率呢", "融券是什么") == "融券利率呢"
    assert carry_side("ok 那它利率", "融资是啥意思") == "融资ok 那它利率"
    assert carry_side("利率呢", "融资和融券有什么区别") == "利率呢"  # both sides: no side to carry
    assert carry_side("融资利率呢", "融券是什么") == "融资利率呢"
    assert carry_side("利率多少", "") == "利率多少"
    slots = {
        "last_faq_ids": ["basics_financing_vs_short"],
        "context_client": "anonymous",
        "last_question": "融券是什么",
    }
    out, _ = run(ActionAnswerFaq(), tracker("利率呢", slots))
    assert faq_of(out) == "interest_lending_rate"


def test_thanks_with_a_request_for_a_person_hands_off():
    out, _ = run(ActionConverse(), tracker("好的谢谢你，那现在麻烦帮我转一下人工吧", intent="thank"))
    assert any((m.get("json_message") or {}).get("handoff") or "转接" in (m.get("text") or "") for m in out)
    thanks, _ = run(ActionConverse(), tracker("好的谢谢你", intent="thank"))
    assert not any("转接" in (m.get("text") or "") for m in thanks)


def test_a_request_for_a_few_stocks_is_refused_however_long():
    assert context.asks_compliance("那麻烦你帮我挑几只稳当一点的股票好不好呀")
    assert not context.asks_compliance("哪些股票可以融资买入")


def test_a_correction_that_only_names_the_other_side_swaps_it_in():
    slots = {"last_faq_ids": ["interest_financing_rate"], "context_client": "anonymous"}
    out, _ = run(ActionAnswerFaq(), tracker("哦不对 我说的是融券", {**slots, "last_question": "融资利率多少"}))
    assert faq_of(out) == "interest_lending_rate"


def test_stated_stocks_falling_to_a_level_in_a_follow_up():
    policy = get_policy()
    first = estimate("cash 50w 股票市值150w 融资负债100w ratio多少", [], policy)
    assert first is not None and "200%" in first.text
    again = estimate("再跌到70w呢", [], policy, first.state())
    assert again is not None and "120%" in again.text  # (500,000 + 700,000) ÷ 1,000,000


@pytest.mark.parametrize(
    "text,expected",
    [
        ("我被追保了 急 找个人", True),
        ("机器人听不懂人话 叫个人来", True),
        ("我想直接找个客服办一下", True),
        ("人工几点有人", False),  # the hours, no hand-off
        ("不用转人工 你就说怎么提额", False),
        ("人工客服说我额度会调", False),  # a person named in a question
        ("转账怎么转", False),
        ("找个人账户", False),
    ],
)
def test_a_plain_request_to_be_put_through(text, expected):
    assert context.asks_to_be_put_through(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("不补呢", True),
        ("補唔到會點", True),
        ("要是到那天收盘我还是没补上呢？", True),
        ("周五过了还没补 下周一就平？", True),
        ("不补咋整 直接给我平了", True),
        ("风险等级不够的话要怎么办呀", False),  # not a margin call left unmet
        ("再跌呢", False),  # a further move, not a failure to act
        ("然后呢", False),
    ],
)
def test_not_acting_asked_about(text, expected):
    assert context.asks_what_if_not(text) is expected


@pytest.mark.parametrize(
    "text,term",
    [
        ("额度的事", "额度"),
        ("请问一下，我想问问利息方面的事情。", "利息"),
        ("测评那个到底咋回事", "测评"),
        ("幾時到期", "到期"),
        ("收啥费", "收费"),
        ("费用咋收", "费用"),
        ("平舱的", "平仓"),
        ("额度是啥意思", "额度是啥意思"),  # a definition asked for, not a bare term
    ],
)
def test_the_term_a_vague_question_names(text, term):
    assert context.bare_term(text) == term


def test_a_clause_of_politeness_alone_is_no_question():
    assert context.clauses("请问一下，我想问问利息方面的事情。") == ["我想问问利息方面的事情"]
