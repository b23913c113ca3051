"""Format of tests/eval/dialogue_dev.yml, the held-out tests/eval/dialogue_fresh.yml and
dialogue_blind*.yml, and the scorer of benchmarks/eval_dialogue.py (no server)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Mapping, Set

import pytest

from benchmarks import eval_dialogue as ev

ROOT = Path(__file__).resolve().parent.parent
DEV_FILE = ROOT / "tests" / "eval" / "dialogue_dev.yml"
FRESH_FILE = ROOT / "tests" / "eval" / "dialogue_fresh.yml"
BLIND_FILES = [ROOT / "tests" / "eval" / f"dialogue_blind{n}.yml" for n in ("", *map(str, range(2, 27)))]
# file → (least conversations, least per pattern, least context turns, most turns per conversation)
EVAL_FILES = {DEV_FILE: (110, 8, 60, 5), FRESH_FILE: (60, 6, 40, 4), **{f: (40, 4, 25, 5) for f in BLIND_FILES}}
AUTHORS = {"A", "B", "C", "D", "E"}
TURN_KEYS = {"user", "expect", "context"}
CONVERSATION_KEYS = {"id", "pattern", "author", "client", "turns"}
BOOL_KEYS = {"menu", "handoff", "no_handoff", "form_asks", "compliance"}


@pytest.fixture(scope="module", params=sorted(EVAL_FILES), ids=lambda p: p.name)
def eval_file(request: pytest.FixtureRequest) -> Path:
    return request.param


@pytest.fixture(scope="module")
def conversations(eval_file: Path) -> List[Dict[str, Any]]:
    data = ev.load_conversations(eval_file)
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def known_faq_ids() -> Set[str]:
    ids = set()
    for path in (ROOT / "knowledge" / "faq").glob("*.yml"):
        match = re.search(r"^id:\s*['\"]?([A-Za-z0-9_]+)", path.read_text(encoding="utf-8"), re.M)
        if match:
            ids.add(match.group(1))
    assert ids, "no knowledge/faq/*.yml with an id: key"
    for spec in (ROOT.parent / "shared" / "spec" / "interfaces.md", ROOT / "shared" / "spec" / "interfaces.md"):
        if spec.exists():  # and listed in the contract (§1), when the spec is at hand
            section = spec.read_text(encoding="utf-8").split("## 1.", 1)[-1].split("## 2.", 1)[0]
            ids &= set(re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", section))
            break
    return ids


def _expects(expect: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    """The expectation and its any_of alternatives, flattened."""
    out = [expect]
    for sub in expect.get("any_of") or []:
        out.extend(_expects(sub))
    return out


def _check_expect(expect: Any, where: str, faq_ids: Set[str]) -> None:
    assert isinstance(expect, dict) and expect, f"{where}: expect must be a non-empty mapping"
    unknown = set(expect) - ev.EXPECT_KEYS
    assert not unknown, f"{where}: unknown expect keys {unknown}"
    for key in ("faq_id", "not_faq_id"):
        if key in expect:
            values = expect[key] if isinstance(expect[key], list) else [expect[key]]
            assert values and all(isinstance(v, str) for v in values), f"{where}: {key}"
            assert set(values) <= faq_ids, f"{where}: unknown faq ids {set(values) - faq_ids}"
    for key in ("contains", "not_contains"):
        if key in expect:
            assert isinstance(expect[key], list) and expect[key], f"{where}: {key} must be a list"
            assert all(isinstance(v, str) and v for v in expect[key]), f"{where}: {key} items must be strings"
    for key in BOOL_KEYS & set(expect):
        assert expect[key] is True, f"{where}: {key} must be true when given"
    if "pick" in expect:
        assert isinstance(expect["pick"], int) and not isinstance(expect["pick"], bool) and expect["pick"] != 0
    if "any_of" in expect:
        assert isinstance(expect["any_of"], list) and len(expect["any_of"]) >= 2, f"{where}: any_of"
        for i, sub in enumerate(expect["any_of"]):
            _check_expect(sub, f"{where} any_of[{i}]", faq_ids)


def test_schema(eval_file: Path, conversations: List[Dict[str, Any]], known_faq_ids: Set[str]) -> None:
    least, _, _, most_turns = EVAL_FILES[eval_file]
    assert len(conversations) >= least
    ids = [c.get("id") for c in conversations]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for conv in conversations:
        cid = conv["id"]
        assert set(conv) <= CONVERSATION_KEYS, f"{cid}: unknown keys {set(conv) - CONVERSATION_KEYS}"
        assert conv["pattern"] in ev.PATTERNS, cid
        assert re.fullmatch(rf"{conv['pattern']}-[a-z0-9]{{3}}", cid), f"{cid}: id should be <pattern>-NNN"
        assert conv["author"] in AUTHORS, cid
        if "client" in conv:
            assert conv["client"] in ev.CLIENTS, cid
        turns = conv["turns"]
        assert isinstance(turns, list) and 2 <= len(turns) <= most_turns, f"{cid}: 2–{most_turns} turns"
        for n, turn in enumerate(turns, start=1):
            where = f"{cid} turn {n}"
            assert set(turn) == TURN_KEYS, f"{where}: keys {set(turn)}"
            assert isinstance(turn["user"], str) and turn["user"].strip(), where
            assert isinstance(turn["context"], bool), where
            _check_expect(turn["expect"], where, known_faq_ids)
            if n == 1:
                assert turn["context"] is False, f"{where}: a first turn cannot depend on earlier ones"
                assert not any("pick" in e for e in _expects(turn["expect"])), where
            if any("pick" in e for e in _expects(turn["expect"])):
                assert turns[n - 2]["expect"].get("menu") is True, f"{where}: pick needs a menu the turn before"


def test_coverage(eval_file: Path, conversations: List[Dict[str, Any]]) -> None:
    _, per_pattern, context_turns, _ = EVAL_FILES[eval_file]
    by_pattern = Counter(c["pattern"] for c in conversations)
    assert set(by_pattern) == set(ev.PATTERNS)
    assert min(by_pattern.values()) >= per_pattern, by_pattern
    assert sum(t["context"] for c in conversations for t in c["turns"]) >= context_turns
    assert len({c["author"] for c in conversations}) == len(AUTHORS)
    assert len({c["client"] for c in conversations if c.get("client")}) >= 3
    header = eval_file.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    for word in ("Schema", "Authors", *sorted(ev.EXPECT_KEYS)):
        assert word in header, f"the header comment should document {word}"


# --- the scorer, on hand-made reply lists -------------------------------------------
def answer(faq_id: str, text: str, **extra: Any) -> Dict[str, Any]:
    return {"text": text, "custom": {"faq_id": faq_id, "version": 1}, **extra}


MENU = [
    {
        "text": "您是想了解以下哪个问题？",
        "buttons": [
            {"title": "融资利率是多少？", "payload": '/faq{"faq_id": "interest_financing_rate"}'},
            {"title": "融券费率是多少？", "payload": '/faq{"faq_id": "interest_lending_rate"}'},
            {"title": "逾期罚息怎么算？", "payload": '/faq{"faq_id": "interest_overdue_penalty"}'},
        ],
    }
]
LENDING = [answer("interest_lending_rate", "融券年费率为8.80%，按实际使用天数计算。")]


def test_faq_and_contains() -> None:
    assert ev.check({"faq_id": "interest_lending_rate", "contains": ["8.8%"]}, LENDING) == []
    assert ev.check({"faq_id": ["interest_calculation", "interest_lending_rate"]}, LENDING) == []
    assert ev.check({"faq_id": "interest_financing_rate"}, LENDING)
    assert ev.check({"not_faq_id": "interest_lending_rate"}, LENDING)
    assert ev.check({"not_contains": ["6.8%"]}, LENDING) == []
    quota = [{"text": "授信额度3,000,000元，已用2,500,000元，可用额度50万元。"}]
    assert ev.check({"contains": ["500,000"]}, quota) == []
    assert ev.check({"contains": ["2,500"]}, quota)  # no partial numbers
    assert ev.check({"contains": ["50%"]}, [{"text": "恢复到150%以上"}])
    assert (
        ev.check(
            {"contains": ["224%", "1,511.11", "11月27日"]},
            [{"text": "变为224.00%；利息1511.11元；截止2026-11-27 15:00"}],
        )
        == []
    )


def test_menu_and_pick() -> None:
    assert ev.check({"menu": True}, MENU) == []
    assert ev.check({"menu": True}, LENDING)
    related = [answer("interest_lending_rate", "…", buttons=MENU[0]["buttons"])]
    assert ev.check({"menu": True}, related), "an answer with related buttons is not a menu"
    assert ev.check({"pick": 2}, LENDING, previous=MENU) == []
    assert ev.check({"pick": -1}, LENDING, previous=MENU)
    assert ev.check({"pick": -1}, [answer("interest_overdue_penalty", "…")], previous=MENU) == []
    assert ev.check({"pick": 4}, LENDING, previous=MENU)
    assert ev.check({"pick": 1}, LENDING, previous=LENDING)


def test_handoff_form_compliance_any_of() -> None:
    by_payload = [{"text": "好的，请稍候。", "custom": {"handoff": "requested"}}]
    by_text = [{"text": "现在不在服务时间。您的请求已记录，人工客服将尽快回复您。"}]
    failed = [{"text": "抱歉，暂时无法为您转接人工客服，请稍后再试。"}]
    hours = [answer("service_hours", "人工客服服务时间为交易日08:30–20:00。")]
    assert ev.check({"handoff": True}, by_payload) == [] and ev.check({"handoff": True}, by_text) == []
    assert ev.check({"handoff": True}, failed) and ev.check({"no_handoff": True}, failed) == []
    assert ev.check({"no_handoff": True, "contains": ["08:30", "8:30"]}, hours) == []
    assert ev.check({"no_handoff": True}, by_payload)
    assert ev.check({"form_asks": True}, [{"text": "请告诉我要测算的情形，例如跌10%。"}]) == []
    assert ev.check({"form_asks": True}, [{"text": "跌多少？"}]) == []
    assert ev.check({"form_asks": True}, LENDING)
    refusal = [{"text": "抱歉，我不能承诺任何收益。\n风险提示：融资融券会放大亏损。"}]
    assert ev.check({"compliance": True}, refusal) == []
    assert ev.check({"compliance": True}, [{"text": "风险提示：请审慎决策。"}])
    either = {"any_of": [{"menu": True}, {"handoff": True}]}
    assert ev.check(either, MENU) == [] and ev.check(either, by_payload) == []
    assert ev.check(either, LENDING)
    assert ev.check({"nonsense": True}, LENDING)


def test_run_with_fake_transport() -> None:
    conversations = [
        {
            "id": "ellipsis-001",
            "pattern": "ellipsis",
            "author": "A",
            "turns": [
                {"user": "融资利率多少", "expect": {"faq_id": "interest_financing_rate"}, "context": False},
                {
                    "user": "那融券呢",
                    "expect": {"faq_id": "interest_lending_rate", "contains": ["8.8%"]},
                    "context": True,
                },
            ],
        },
        {
            "id": "menu_choice-001",
            "pattern": "menu_choice",
            "author": "B",
            "client": "C1003",
            "turns": [
                {"user": "利息", "expect": {"menu": True}, "context": False},
                {"user": "第二个", "expect": {"pick": 2}, "context": True},
            ],
        },
    ]
    seen: List[Dict[str, Any]] = []

    def fake(url: str, body: Dict[str, Any]) -> List[Dict[str, Any]]:
        seen.append(body)
        return {
            "融资利率多少": [answer("interest_financing_rate", "6.8%")],
            "那融券呢": LENDING,
            "利息": MENU,
            "第二个": [answer("interest_settlement", "…")],
        }[body["message"]]

    report = ev.run("http://fake", conversations, post=fake, secret="test-secret")
    scores = report.scores()
    assert scores["ALL"].turns == 4 and scores["ALL"].turns_ok == 3
    assert scores["ellipsis"].conversation_success == 1.0 and scores["menu_choice"].conversation_success == 0.0
    assert scores["ALL"].context_turns == 2 and scores["ALL"].context_accuracy == 0.5
    assert [(t.conversation, t.index) for t in report.failures] == [("menu_choice-001", 2)]
    assert "menu_choice" in report.table() and report.failure_lines()
    senders = {b["sender"] for b in seen}
    assert len(senders) == 2, "a fresh sender per conversation"
    assert "metadata" not in seen[0] and seen[2]["metadata"]["token"] == seen[3]["metadata"]["token"]
    jwt = pytest.importorskip("jwt")
    claims = jwt.decode(seen[2]["metadata"]["token"], "test-secret", algorithms=["HS256"], audience="client")
    assert claims["sub"] == "C1003" and claims["exp"] > claims["iat"]


def test_missing_secret_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ev.SECRET_ENV, raising=False)
    with pytest.raises(SystemExit, match=ev.SECRET_ENV):
        ev.mint_token("C1001")
