"""Normalisation, the jieba domain dictionary and the spaCy rule entities."""

from datetime import date

import pytest

from core import values
from core.segment import words
from core.text import normalize

DOMAIN_TERMS = [
    "融资融券",
    "两融",
    "维持担保比例",
    "追保",
    "强制平仓",
    "标的证券",
    "折算率",
    "展期",
    "授信额度",
    "警戒线",
    "可用额度",
    "担保品",
    "融券费率",
    "卖券还款",
    "买券还券",
]


@pytest.mark.parametrize("term", DOMAIN_TERMS)
def test_domain_terms_are_not_split(term):
    assert term in words(f"请问{term}是什么意思")


def test_rasa_jieba_tokenizer_keeps_domain_terms():
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
    from rasa.shared.nlu.training_data.message import Message

    JiebaTokenizer._load_custom_dictionary("knowledge/lexicon/jieba")
    tokenizer = JiebaTokenizer(JiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    tokens = [t.text for t in tokenizer.tokenize(Message(data={"text": "维持担保比例低于警戒线会追保吗"}), "text")]
    assert {"维持担保比例", "警戒线", "追保"} <= set(tokens)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("維持擔保比例怎麼算？", "维持担保比例怎么算?"),
        ("ＡＢＣ１２３", "abc123"),
        ("Margin Call了怎么办", "追保了怎么办"),
        ("haircut是多少", "折算率是多少"),
        ("维持担宝比例", "维持担保比例"),
        ("融姿利律", "融资利率"),
        # Cantonese: 唔該 alone is thanks, before a request it is please
        ("唔該", "谢谢"),
        ("唔該幫我轉真人啦", "麻烦帮我转真人啦"),
        ("打電話係咪都得", "打电话是不是都得"),
        ("賣股票還得唔得", "卖股票还可不可以"),
        ("跌穿130%咋整", "跌穿130%怎么办"),
        ("過咗期冇還會點", "过了期没有还会怎样"),
        ("跌多少会被砍仓", "跌多少会被强制平仓"),
        ("合约可以续期吗", "合约可以展期吗"),
        ("  a\u0000b\u200b  ", "a b"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_is_idempotent():
    for text in ["Margin call 维保 融卷 short selling 怎麼算", "维保比列多少", "風測過期"]:
        once = normalize(text)
        assert normalize(once) == once


@pytest.fixture(scope="module")
def extractor():
    from bot.nlu.components import SpacyRuleEntityExtractor

    return SpacyRuleEntityExtractor({"model": "var/spacy_zh"})


def found(extractor, text):
    return {(e["entity"], e["value"]) for e in extractor.extract(normalize(text))}


@pytest.mark.parametrize(
    "text, entity",
    [
        ("再融资10万后维持担保比例是多少", ("amount", "100000")),
        ("我想借500,000元", ("amount", "500000")),
        ("追加1.5万元够吗", ("amount", "15000")),
        ("再借三十万", ("amount", "300000")),
        ("如果我的持仓跌10%会怎样", ("percent", "10")),
        ("跌百分之十五会强平吗", ("percent", "15")),
        ("股票跌两成会怎样", ("percent", "20")),
        ("跌１２．５％呢", ("percent", "12.5")),
        ("600519能融资买吗", ("stock_code", "600519.SH")),
        ("000001.SZ是标的吗", ("stock_code", "000001.SZ")),
        ("sz300750呢", ("stock_code", "300750.SZ")),
        ("我是平衡型的", ("risk_tier", "C3")),
        ("c5可以开吗", ("risk_tier", "C5")),
        ("贵州茅台能融券吗", ("stock_name", "贵州茅台")),
        ("2026年11月27日到期吗", ("date", "2026-11-27")),
    ],
)
def test_entities(extractor, text, entity):
    assert entity in found(extractor, text)


def test_amount_is_not_a_stock_code(extractor):
    assert found(extractor, "再融资100000元") == {("amount", "100000")}


def test_no_entities_in_plain_question(extractor):
    assert found(extractor, "融资利率是多少") == set()


def test_value_parsers_reject_nonsense():
    assert values.parse_amount("abc万") is None
    assert values.parse_percent("很多%") is None
    assert values.parse_date("13月45日", date(2026, 11, 26)) is None
    assert values.cn_number("一百五十") == 150
    assert values.cn_number("三点五") == 3.5


def test_rule_intents_override_the_classifier_and_compliance_wins():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import ComplianceGuard, HumanRequestGuard

    def parsed(text: str) -> str:
        message = Message(data={"text": text, "intent": {"name": "faq", "confidence": 0.6}})
        for guard in (HumanRequestGuard(), ComplianceGuard()):  # the pipeline's order
            guard.process([message])
        return message.get("intent")["name"]

    assert parsed("我被追保了 急 找个人") == "request_human"
    assert parsed("叫个人来帮我挑个票") == "ask_investment_advice"  # a stock pick, whoever is asked
    assert parsed("人工几点有人") == "faq"  # the hours: the classifier's reading stands
    assert parsed("/request_human") == "faq"  # a button payload is left alone


def test_a_lookup_asking_for_the_rule_becomes_a_knowledge_question():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import RuleQuestionGuard

    def parsed(text: str, intent: str) -> str:
        message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})
        RuleQuestionGuard().process([message])
        return message.get("intent")["name"]

    assert parsed("七十多岁的老人家还能开融资融券吗", "check_eligibility") == "faq"  # people in general
    assert parsed("我妈72岁能开吗", "check_eligibility") == "faq"  # someone else: no record of theirs is read
    assert parsed("风险测评一共分几个等级", "query_risk_tier") == "faq"  # the set of tiers
    assert parsed("维持担保比例是怎么算的", "query_margin_status") == "faq"
    assert parsed("我能开两融吗", "check_eligibility") == "check_eligibility"  # the asker: a lookup
    assert parsed("我的维持担保比例怎么算的", "query_margin_status") == "query_margin_status"
    assert parsed("我和我老婆都能开吗", "check_eligibility") == "check_eligibility"
    assert parsed("老人家能开吗", "greet") == "greet"  # only a personal reading is changed
