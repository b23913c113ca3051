"""What people read lives in one place per surface: core/texts (Python) and
web/static/strings.js (the three pages); no policy figure is typed into either."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterator, Tuple

import pytest

from core.policy import Policy, fmt_pct
from core.texts import api, client, editor, staff

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
PACKAGES = ("actions", "bot", "web", "services", "storage", "core")
TEXTS = (api, client, editor, staff)

# Being rewritten by another change; their texts move to core/texts after it lands.
PENDING: set = set()  # modules whose texts are still to move (none left)
# actions/estimate.py's patterns: those that read the figures clients state, and those that
# read what the question asks of them
_ESTIMATE_READS = (
    "_CN",
    "NUM",
    "SMALL",
    "_DATE",
    "_AMOUNT",
    "_PERCENT",
    "_DAYS",
    "_WEEKS",
    "_MONTHS",
    "_YEARS",
    "_AGE",
    "_SCORE",
    "_AGE_SAID",
    "_TENTHS",
    "_TO_LEVEL",
    "_INDEX_BEFORE",
    "_num",
    "_SEPARATOR",
    "_GE_AMOUNT",
    "_MONEY_WORDS",
    "_HALF_FALL",
)
_ESTIMATE_ASKS = (
    "_EXPLAIN",
    "_AGE_RULE",
    "_DAY_COUNT",
    "_BORROW",
    "_RESTORE",
    "_HOW_MUCH",
    "_MORE_USED",
    "_USED",
    "_LEFT",
    "_NOT_SIDE",
    "_LEANS",
    "_SAME",
    "_RATIO_NOW",
    "_RATIO_LINE",
    "_INTEREST",
    "_RATE",
    "_PENALTY",
    "_OPEN",
    "_LINE",
    "_CAPACITY",
    "_COLLATERAL_VALUE",
    "_HAS_MONEY",
    "_ASK",
    "_EXPERIENCE",
    "_TEST",
    "_MORE",
    "_WITHDRAW",
    "_AFTER_WITHDRAW",
    "_FALL",
    "_RATIO",
    "_LINE_WHERE",
    "_OTHER_WAY",
    "_HOW_FAR",
)
# Chinese that is data, not text for people: (module, top-level name, or "*": the module) → why.
DATA = {
    ("core/values.py", "*"): "parses the numbers, amounts and dates clients type",
    ("bot/nlu/spacy_pipeline.py", "*"): "spaCy patterns for amounts, percentages and dates",
    ("storage/seed.py", "*"): "the demo clients, securities and their recorded history",
    ("core/logs.py", "*"): "patterns of names and figures that the logs mask",
    ("core/retention.py", "CLASSES"): "the retention table: each class's contents and legal basis",
    ("core/formatting.py", "points"): "the unit of a figure (个百分点)",
    ("core/formatting.py", "day"): "the units of a date (年月日)",
    ("core/policy.py", "fmt_wan"): "the unit of a figure (万元)",
    ("core/policy.py", "fmt_yuan"): "the unit of a figure (元)",
    ("core/knowledge/validate.py", "BANNED"): "the promises an answer may not make",
    ("core/knowledge/validate.py", "NUMBER"): "the units a typed number may carry",
    ("actions/personal.py", "SELF_WORDS"): "words that make a question about the client's own account",
    ("actions/personal.py", "LINE_WORD"): "the word every line's name ends with (警戒线, 提取线)",
    ("bot/channels/assist.py", "NO_TOPIC"): "words that ask for a person or are small talk",
    ("bot/channels/assist.py", "REASON_QUERIES"): "retrieval queries, never shown",
    ("bot/channels/assist.py", "MARGIN_CALL_QUERY"): "a retrieval query, never shown",
    ("bot/channels/assist.py", "AGENT_VOICE"): "rewrites of the bot's phrasing into an agent's",
    ("services/restrictions.py", "LIQUIDATION_WORDS"): "words that ask about forced liquidation",
    ("services/handoff.py", "LIQUIDATION_REASONS"): "words of a hand-off reason that make it urgent",
    ("services/staff.py", "DEMO_STAFF"): "the demo staff accounts' names",
    ("actions/knowledge.py", "OWN_WORDS"): "words that make a withdrawal question about the client's own account",
    ("actions/knowledge.py", "_QUESTION_MARKS"): "words that make a message a question",
    ("actions/knowledge.py", "_ASKS_BY_ENDING"): "endings that make a message a question (“能再提点额不”)",
    ("actions/knowledge.py", "_PUSHBACK"): "words that push back on a refusal",
    ("actions/knowledge.py", "_HOW_COMPUTED"): "words that ask how a figure was computed",
    ("actions/knowledge.py", "_SHARED_TERM"): "terms several topics share (利率, 比例, 期限)",
    ("actions/knowledge.py", "_VALUE_Q"): "words that ask for a value",
    ("actions/knowledge.py", "_HOW_Q"): "words that ask how or why",
    ("actions/knowledge.py", "_COST_TERM"): "words that ask about a cost (利率, 费用)",
    ("actions/knowledge.py", "SIDE_WORDS"): "the names of the two sides, carried into a fragment",
    ("actions/simulate.py", "_LINE_ASKED"): "words that ask where a margin line lies",
    ("core/knowledge/context.py", "*"): "reads follow-ups, menu choices, denials, advice and hours questions",
    ("actions/estimate.py", "_ROLES"): "words that name an amount's role (cash, stocks, debt …)",
    ("actions/estimate.py", "_HAIRCUTS"): "words that name a kind of collateral",
    ("actions/whatif.py", "*"): "reads what-if moves, figures, goals and follow-ups from what clients type",
    ("actions/followup.py", "ABOVE_WORDS"): "words with which a client asserts a ratio is above a line",
    ("actions/followup.py", "BELOW_WORDS"): "words with which a client asserts a ratio is below a line",
    ("actions/simulate.py", "RISE_WORDS"): "words that make a stated change a rise",
    ("actions/simulate.py", "FALL_WORDS"): "words that make a stated change a fall",
    ("actions/simulate.py", "CANCEL"): "words that leave the simulation form",
    ("actions/estimate.py", "side_named"): "words that name the financing or the lending side",
    **{
        ("actions/estimate.py", name): "reads the numbers, units and durations clients type" for name in _ESTIMATE_READS
    },
    **{("actions/estimate.py", name): "words that say what a stated-figure question asks" for name in _ESTIMATE_ASKS},
}


def _owner(stmt: ast.stmt) -> str:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return type(stmt).__name__


def _docstrings(tree: ast.AST) -> set:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def chinese_literals(path: Path) -> Iterator[Tuple[str, int, str]]:
    """(top-level owner, line, text) of each Chinese string constant but docstrings
    (f-strings' literal parts included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    for stmt in tree.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if CJK.search(node.value):
                    yield _owner(stmt), node.lineno, node.value


def modules() -> Iterator[str]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel and not rel.startswith("core/texts/"):
                yield rel


def test_text_for_people_is_in_core_texts():
    stray = [
        f"{rel}:{line} ({owner}) {text[:40]!r}"
        for rel in modules()
        if rel not in PENDING and (rel, "*") not in DATA
        for owner, line, text in chinese_literals(ROOT / rel)
        if (rel, owner) not in DATA
    ]
    assert not stray, "move these to core/texts (or, if data, add them to DATA with the reason):\n" + "\n".join(stray)


def test_the_allow_lists_name_only_what_exists():
    every = {(rel, owner) for rel in modules() for owner, _, _ in chinese_literals(ROOT / rel)}
    files = {rel for rel, _ in every}
    assert [key for key in DATA if key not in every and not (key[1] == "*" and key[0] in files)] == []
    assert PENDING <= set(modules())


def texts() -> Dict[str, str]:
    """Every text of core/texts by module.NAME; tuples of labels item by item."""
    out: Dict[str, str] = {}
    for module in TEXTS:
        for name, value in vars(module).items():
            if name.isupper():
                for i, text in enumerate(value if isinstance(value, tuple) else (value,)):
                    out[f"{module.__name__}.{name}" + (f"[{i}]" if isinstance(value, tuple) else "")] = text
    return out


@pytest.mark.parametrize("module", TEXTS, ids=lambda m: m.__name__)
def test_texts_are_immutable_constants(module: ModuleType):
    public = {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "annotations"}
    assert public, module.__name__
    for name, value in public.items():
        assert name.isupper(), f"{module.__name__}.{name}: constants only"
        ok = isinstance(value, str) or (isinstance(value, tuple) and all(isinstance(v, str) for v in value))
        assert ok, f"{module.__name__}.{name} is {type(value).__name__}: str or a tuple of str only"


# A figure as policy.yml's numbers read in Chinese: 150%, 50万元, 2倍, 1,000,000元 …
FIGURE = re.compile(r"\d(?:[\d,.]*\d)?\s*(?:%|万|亿|倍|元)")


def _policy_strings_with_digits(policy: Policy) -> set:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and re.search(r"\d", node):
            found.add(node)  # the hotline, the index name, service hours

    walk(policy.data)
    return found


def test_no_policy_figure_is_typed_into_a_text(policy):
    named = _policy_strings_with_digits(policy)
    assert "400-000-0000" in named and "沪深300" in named  # the walk finds what it must
    typed = {
        key: text
        for key, text in texts().items()
        if FIGURE.search(text) or any(value in text for value in named if not value.startswith("20"))
    }
    assert typed == {}, "fill these from core/policy ({placeholder} or {{ path | fmt }}):\n" + repr(typed)


def test_no_policy_figure_or_inline_chinese_in_the_pages_scripts():
    static = ROOT / "web" / "static"
    table = (static / "strings.js").read_text(encoding="utf-8")
    assert not FIGURE.search(table), FIGURE.search(table)
    comment = re.compile(r"/\*.*?\*/|(?<![:\"'])//[^\n]*", re.S)
    for name in ("agent.js", "editor.js", "widget.js", "staff.js"):
        code = comment.sub("", (static / name).read_text(encoding="utf-8"))
        found = CJK.search(code)
        assert not found, f"{name}: …{code[found.start() - 40 : found.end() + 20]}… belongs in strings.js"


def test_the_market_cut_reason_follows_the_policy(policy):
    from services.alerts import market_cut_reason

    assert market_cut_reason(policy) == "因市场波动（沪深300单日下跌超过5%）"
    quota = {**policy.data["quota"], "market_cut_trigger_index": "中证500", "market_cut_trigger_index_fall": 0.07}
    assert market_cut_reason(Policy({**policy.data, "quota": quota})) == "因市场波动（中证500单日下跌超过7%）"


def test_the_consoles_restore_label_is_filled_from_the_policy(database_url, policy):
    from web.agent_api import client_figures

    figures = client_figures("C1003", "kf_liu")  # in a margin call
    assert figures is not None and figures["restore_to"] == fmt_pct(policy.get("margin_call.restore_to"))
    table = (ROOT / "web" / "static" / "strings.js").read_text(encoding="utf-8")
    assert 'cash_to_restore: "恢复{restore_to}需追加现金"' in table
