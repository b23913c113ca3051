"""Knowledge base content, validation and the retrieval service."""

import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

from core.knowledge.model import Entry
from core.knowledge.validate import errors, validate_entries, validate_entry
from services.knowledge.service import KnowledgeService
from services.knowledge.store import FileStore

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "spec" / "interfaces.md"
SPEC_IDS = """basics_what_is basics_financing_vs_short broker_qualification eligibility_requirements
eligibility_assets eligibility_experience eligibility_risk_tier eligibility_age eligibility_one_account
account_opening_process account_knowledge_test account_close risk_five_tiers risk_assessment_validity
risk_tier_credit_strategy risk_disclosure quota_what_is quota_available quota_increase quota_market_cut
quota_vip interest_financing_rate interest_lending_rate interest_calculation interest_settlement
interest_overdue_penalty interest_early_repayment trading_repayment_methods margin_initial_ratio
margin_collateral_haircut margin_eligible_securities margin_short_sale_price margincall_maintenance_ratio
margincall_warning_line margincall_trigger margincall_deadline margincall_forced_liquidation
margincall_withdrawal contract_term contract_renewal service_hours service_education service_disclosure""".split()


@pytest.fixture(scope="module")
def entries():
    return FileStore().published()


@pytest.fixture(scope="module")
def service():
    return KnowledgeService()


def test_every_spec_topic_has_an_entry(entries):
    ids = {e.id for e in entries}
    assert set(SPEC_IDS) <= ids
    if SPEC.exists():  # the ids in the spec itself, when the shared folder is beside us
        section = SPEC.read_text(encoding="utf-8").split("## 2.")[0]
        assert set(re.findall(r"\b[a-z]+_[a-z_]+\b", section.split("## 1.")[1])) <= ids


def test_entries_are_complete_and_valid(entries, policy):
    problems = errors(validate_entries(entries, policy))
    assert problems == [], "\n".join(map(str, problems))
    for e in entries:
        assert len(set(e.paraphrases)) >= 6 and e.reviewed_by and e.reviewed_at and e.version >= 1


def test_answers_state_policy_numbers(service):
    assert "6.8%" in service.render(service.get("interest_financing_rate"))
    assert "8.8%" in service.render(service.get("interest_lending_rate"))
    text = service.render(service.get("margincall_trigger"))
    assert "130%" in text and "150%" in text
    assert "50万元" in service.render(service.get("eligibility_assets"))


def test_money_answers_carry_the_risk_reminder(service, policy):
    reminder = policy.get("texts.risk_reminder")
    for faq_id in ("interest_financing_rate", "margincall_forced_liquidation", "quota_market_cut"):
        assert service.render(service.get(faq_id)).endswith(reminder)


def _entry(**over):
    base = dict(
        id="test_entry",
        version=1,
        category="interest",
        question="测试问题？",
        paraphrases=[f"说法{i}" for i in range(6)],
        answer="融资年利率为{{ interest.financing_annual_rate | pct }}。",
        tags=["测试"],
        cites=["interest.financing_annual_rate"],
        money_topic=True,
        reviewed_by="投教部 测试",
        reviewed_at="2026-11-26",
    )
    base.update(over)
    return Entry.from_dict(base)


def test_validation_rejects_a_wrong_policy_number(policy):
    problems = errors(validate_entry(_entry(answer="融资年利率为7.8%。"), policy))
    assert any("7.8%" in p.message for p in problems)


def test_validation_rejects_banned_promises_and_missing_reminder(policy):
    problems = errors(validate_entry(_entry(answer="两融稳赚不赔，保本无风险。", money_topic=False), policy))
    messages = " ".join(p.message for p in problems)
    assert "稳赚" in messages and "保本" in messages and "无风险" in messages
    assert any(p.field == "money_topic" for p in problems)


def test_validation_rejects_unknown_placeholders_and_few_paraphrases(policy):
    problems = errors(validate_entry(_entry(answer="{{ interest.nope | pct }}", paraphrases=["一", "二"]), policy))
    fields = {p.field for p in problems}
    assert {"answer", "paraphrases"} <= fields


def test_conflicting_paraphrase_is_reported(entries, policy):
    rate = next(e for e in entries if e.id == "interest_financing_rate")
    thief = _entry(id="test_thief", paraphrases=[*rate.paraphrases[:8]], question=rate.question)
    problems = validate_entries([*entries, thief], policy)
    assert any(
        (p.entry_id in ("test_thief", "interest_financing_rate") and "匹配到另一个条目" in p.message)
        or "几乎重复" in p.message
        for p in problems
    )


@pytest.mark.parametrize(
    "question, faq_id",
    [
        ("融资利率多少", "interest_financing_rate"),
        ("融券的费率是多少", "interest_lending_rate"),
        ("維持擔保比例低於多少要追保", "margincall_trigger"),
        ("margin call 以后几天内要补足", "margincall_deadline"),
        ("比例超过多少可以把钱转出来", "margincall_withdrawal"),
        ("开两融需要多少资产", "eligibility_assets"),
    ],
)
def test_retrieval_finds_the_topic(service, question, faq_id):
    assert service.rank(question, k=1)[0].faq_id == faq_id


def test_decide_answers_clear_questions_and_clarifies_vague_ones(service):
    assert service.decide("融资年利率是多少").kind == "answer"
    vague = service.decide("比例")
    assert vague.kind in ("clarify", "answer") and len(vague.hits) == 3
    assert service.decide("").kind == "none"


def test_published_change_goes_live_without_retraining(tmp_path, policy):
    """Edit an entry's file: a running service answers with the new version within seconds."""
    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "knowledge" / "faq", faq)
    service = KnowledgeService(FileStore(faq), check_interval_s=0.2)
    service.start()
    assert service.get("interest_financing_rate").version == 1
    data = yaml.safe_load((faq / "interest_financing_rate.yml").read_text(encoding="utf-8"))
    data["version"] = 2
    data["paraphrases"].append("借钱炒股一年多少利息呀")
    (faq / "interest_financing_rate.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        hit = service.rank("融资利率是多少", k=1)[0]
        if hit.entry.version == 2:
            break
        time.sleep(0.1)
    assert service.rank("融资利率是多少", k=1)[0].entry.version == 2
    service.stop()


@pytest.mark.parametrize(
    "question",
    [
        "维持担保比例低于130%会怎样",
        "融資利率是多少",
        "开 margin account 的 requirements 都有哪些",
        "今天天气怎么样",
        "额度额度额度",
        "<script>alert(1)</script>",
        "😀",
        "x" * 5000,
    ],
)
def test_fast_query_path_scores_like_sklearn(service, question):
    """The retriever's per-query shortcuts (vectors, per-entry best texts, BM25, the
    classifier's probabilities) give the scores sklearn's own calls give."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from core.knowledge.retriever import _identity
    from core.segment import words
    from core.text import normalize

    r = service._retriever
    text = normalize(question)
    tokens = words(text)
    texts, token_lists = zip(*[(normalize(t), words(normalize(t))) for e in r.entries for t in e.texts])
    char = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True).fit(texts)
    word = TfidfVectorizer(analyzer=_identity, sublinear_tf=True).fit(token_lists)

    def dense(vec, width):
        cols, vals = vec
        return csr_matrix((vals, (np.zeros(len(cols), int), cols)), shape=(1, width)).toarray()

    assert np.allclose(dense(r.char(text), len(char.vocabulary_)), char.transform([text]).toarray())
    assert np.allclose(dense(r.word(tokens), len(word.vocabulary_)), word.transform([tokens]).toarray())
    features = hstack([char.transform([text]), word.transform([tokens])]).tocsr()
    expected = np.zeros(len(r.entries))
    expected[r.classifier.classes_] = r.classifier.predict_proba(features)[0]
    assert np.allclose(r._learned(r.char(text), tokens), expected)

    cos = (r.text_matrix @ char.transform([text]).T).toarray().ravel()
    top = r.weights.top_texts
    lexical = [np.sort(cos[r.owner == i])[::-1][:top].mean() for i in range(len(r.entries))]
    bm = r.bm25.scores(tokens)
    for hit in r.rank(question, k=len(r.entries)):
        i = r.entries.index(hit.entry)
        assert hit.parts["lexical"] == round(float(lexical[i]), 4)
        assert hit.parts["best_text"] == round(float(cos[r.owner == i].max()), 4)
        assert hit.parts["bm25"] == round(float(bm[i] / bm.max() if bm.max() > 0 else 0.0), 4)
