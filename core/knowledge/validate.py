"""Validation of policy.yml and knowledge entries.

Run on every save (publishing tools) and from the CLI. Each problem names the
entry and field. Errors block publishing; warnings are shown to the author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from core.knowledge.model import STATUSES, Entry, is_faq_id
from core.policy import FORMATS, PLACEHOLDER, Policy, PolicyError, to_decimal
from core.texts import editor as editor_text

MIN_PARAPHRASES = 6
MAX_ANSWER_CHARS = 400  # a phone screen, reminder excluded
MONEY_CATEGORIES = {"interest", "margin", "margincall", "quota", "trading"}
BANNED = (
    "保本",
    "稳赚",
    "稳赚不赔",
    "无风险",
    "零风险",
    "保证收益",
    "保证盈利",
    "包赚",
    "只赚不赔",
    "不会亏",
    "稳定收益",
    "必涨",
    "翻倍",
    "收益率保证",
)
FIELD_NAMES = {
    "reviewed_by": editor_text.FIELD_REVIEWED_BY,
    "reviewed_at": editor_text.FIELD_REVIEWED_AT,
    "category": editor_text.FIELD_CATEGORY,
}
# Policy values that are names with digits in them, not numbers: 沪深300, the hotline.
NAMES_WITH_DIGITS = ("margin.haircut_index_name", "quota.market_cut_trigger_index", "broker.hotline")
# A number with its unit, as clients read it: 6.8%, 50万元, 1,000,000元, 24个月, 3年 ...
NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(\d[\d,]*(?:\.\d+)?)\s*(%|万元|万|亿元|亿|元|个月|月|年|天|日|个交易日|小时|分|岁|倍)?"
)


@dataclass(frozen=True)
class Problem:
    entry_id: str
    field: str
    message: str
    level: str = "error"  # or "warning"
    span: Optional[str] = None  # the offending text as written, for highlighting it

    def __str__(self) -> str:
        return f"[{self.level}] {self.entry_id}.{self.field}: {self.message}"


def _policy_numbers(policy: Policy) -> Set[Decimal]:
    """Every numeric value in policy.yml, as it could be written in an answer."""
    out: Set[Decimal] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            d = to_decimal(node)
            out.update({d, d * 100, d / 10000, d / 100000000})

    walk(policy.data)
    return {d.normalize() for d in out}


def literal_numbers(template: str, policy: Policy) -> List[str]:
    """Numbers typed into an answer (placeholders, tier codes, T+n and the policy's names removed)."""
    text = PLACEHOLDER.sub(" ", template)
    names = sorted({str(policy.get(path)) for path in NAMES_WITH_DIGITS if policy.has(path)}, key=len, reverse=True)
    text = re.sub("|".join([r"\bC[1-5]\b", r"T\+\d", *map(re.escape, names)]), " ", text)
    return [m.group(0).strip() for m in NUMBER.finditer(text)]


def validate_policy(policy: Policy) -> List[Problem]:
    problems: List[Problem] = []

    def need(path: str, lo: Optional[float] = None, hi: Optional[float] = None) -> None:
        try:
            value = policy.dec(path)
        except (PolicyError, InvalidOperation, TypeError):
            problems.append(Problem("policy", path, "missing or not a number"))
            return
        if (lo is not None and value < Decimal(str(lo))) or (hi is not None and value > Decimal(str(hi))):
            problems.append(Problem("policy", path, f"{value} outside [{lo}, {hi}]"))

    for path in (
        "interest.financing_annual_rate",
        "interest.lending_annual_fee_rate",
        "interest.overdue_daily_penalty",
        "quota.max_market_cut",
    ):
        need(path, 0, 1)
    for path in (
        "margin_call.immediate_liquidation_line",
        "margin_call.call_line",
        "margin_call.warning_line",
        "margin_call.restore_to",
        "margin_call.withdrawal_line",
        "margin.min_margin_ratio",
    ):
        need(path, 0, 10)
    need("eligibility.min_avg_daily_assets", 0)
    need("risk_tiers.assessment_validity_months", 1, 120)
    try:
        lines = [
            policy.dec(f"margin_call.{k}")
            for k in ("immediate_liquidation_line", "call_line", "warning_line", "withdrawal_line")
        ]
        if lines != sorted(lines):
            problems.append(Problem("policy", "margin_call", editor_text.POLICY_LINES_ORDER))
    except (PolicyError, InvalidOperation):
        pass
    codes = [t.get("code") for t in policy.get("risk_tiers.tiers")] if policy.has("risk_tiers.tiers") else []
    if codes != ["C1", "C2", "C3", "C4", "C5"]:
        problems.append(Problem("policy", "risk_tiers.tiers", f"expected C1..C5, got {codes}"))
    for name, rate in (policy.get("margin.haircuts") or {}).items():
        if not 0 <= to_decimal(rate) <= 1:
            problems.append(Problem("policy", f"margin.haircuts.{name}", "haircut outside 0..1"))
    if not policy.has("texts.risk_reminder"):
        problems.append(Problem("policy", "texts.risk_reminder", "missing"))
    return problems


def validate_entry(entry: Entry, policy: Policy, numbers: Optional[Set[Decimal]] = None) -> List[Problem]:
    numbers = numbers if numbers is not None else _policy_numbers(policy)
    p: List[Problem] = []
    eid = entry.id or "?"
    if not is_faq_id(entry.id):
        p.append(Problem(eid, "id", editor_text.ID_FORMAT, span=entry.id))
    if entry.version < 1:
        p.append(Problem(eid, "version", editor_text.VERSION_TOO_LOW))
    if entry.status not in STATUSES:
        p.append(Problem(eid, "status", editor_text.STATUS_UNKNOWN.format(statuses="、".join(STATUSES))))
    if not entry.question:
        p.append(Problem(eid, "question", editor_text.QUESTION_EMPTY))
    if len(set(entry.paraphrases)) < MIN_PARAPHRASES:
        have = len(set(entry.paraphrases))
        p.append(Problem(eid, "paraphrases", editor_text.TOO_FEW_PARAPHRASES.format(need=MIN_PARAPHRASES, have=have)))
    for field_name in ("reviewed_by", "reviewed_at", "category"):
        if not getattr(entry, field_name):
            p.append(
                Problem(
                    eid, field_name, editor_text.FIELD_MISSING.format(field=FIELD_NAMES.get(field_name, field_name))
                )
            )
    if not entry.tags:
        p.append(Problem(eid, "tags", editor_text.TAGS_EMPTY))
    # placeholders must exist and use a known format
    for path, fmt in policy.placeholders(entry.answer):
        if fmt not in FORMATS:
            p.append(
                Problem(
                    eid,
                    "answer",
                    editor_text.PLACEHOLDER_FORMAT.format(path=path, fmt=fmt, formats="、".join(FORMATS)),
                    span=fmt,
                )
            )
        if not policy.has(path):
            p.append(Problem(eid, "answer", editor_text.PLACEHOLDER_UNKNOWN.format(path=path), span=path))
    for cite in entry.cites:
        if not policy.has(cite):
            p.append(Problem(eid, "cites", editor_text.CITE_UNKNOWN.format(path=cite), span=cite))
    # typed numbers must be policy numbers (7.8% when policy says 6.8% is an error)
    for literal in literal_numbers(entry.answer, policy):
        digits = re.match(r"[\d,.]+", literal)
        assert digits is not None  # NUMBER's matches start with a digit
        value = Decimal(digits.group(0).replace(",", ""))
        if value.normalize() not in numbers:
            p.append(Problem(eid, "answer", editor_text.NUMBER_NOT_IN_POLICY.format(literal=literal), span=literal))
        else:
            p.append(
                Problem(
                    eid,
                    "answer",
                    editor_text.NUMBER_TYPED.format(literal=literal),
                    "warning",
                    span=literal,
                )
            )
    try:
        body = policy.render(entry.answer)
    except PolicyError as exc:
        p.append(Problem(eid, "answer", editor_text.ANSWER_UNRENDERABLE.format(error=exc), span=str(exc)))
        body = entry.answer
    for word in BANNED:
        if word in body:
            p.append(Problem(eid, "answer", editor_text.BANNED_PHRASE.format(word=word), span=word))
    if len(body) > MAX_ANSWER_CHARS:
        p.append(Problem(eid, "answer", editor_text.ANSWER_TOO_LONG.format(have=len(body), max=MAX_ANSWER_CHARS)))
    if entry.category in MONEY_CATEGORIES and not entry.money_topic:
        p.append(Problem(eid, "money_topic", editor_text.MONEY_TOPIC_UNTICKED))
    return p


def validate_entries(entries: Sequence[Entry], policy: Policy, conflicts: bool = True) -> List[Problem]:
    numbers = _policy_numbers(policy)
    problems: List[Problem] = []
    seen: Dict[str, str] = {}
    for entry in entries:
        problems += validate_entry(entry, policy, numbers)
        if entry.id in seen:
            problems.append(Problem(entry.id, "id", editor_text.DUPLICATE_ID, span=entry.id))
        seen[entry.id] = entry.id
    if conflicts and len(entries) > 1:
        problems += find_conflicts(entries)
    return problems


def find_conflicts(entries: Sequence[Entry], only: Optional[str] = None) -> List[Problem]:
    """Paraphrases that the live retriever sends elsewhere, and near-duplicate entries
    (all entries, or just those involving the entry `only`)."""
    from core.knowledge.retriever import Retriever

    retriever = Retriever(entries)
    problems: List[Problem] = []
    for entry in entries:
        if only is not None and entry.id != only:
            continue
        for text in entry.texts:
            top = retriever.rank(text, k=1)
            if top and top[0].faq_id != entry.id:
                problems.append(
                    Problem(
                        entry.id,
                        "paraphrases",
                        editor_text.PARAPHRASE_ELSEWHERE.format(text=text, other=top[0].faq_id),
                        span=text,
                    )
                )
    problems += [p for p in _near_duplicates(retriever) if only is None or only == p.entry_id or only in p.message]
    return problems


def _near_duplicates(retriever: Any, threshold: float = 0.9) -> List[Problem]:
    import numpy as np

    n = len(retriever.entries)
    centroids = np.vstack([np.asarray(retriever.text_matrix[retriever.owner == i].mean(axis=0)) for i in range(n)])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    sims = (centroids / np.maximum(norms, 1e-9)) @ (centroids / np.maximum(norms, 1e-9)).T
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            if sims[i, j] >= threshold:
                a, b = retriever.entries[i].id, retriever.entries[j].id
                out.append(
                    Problem(a, "question", editor_text.NEAR_DUPLICATE.format(other=b, similarity=f"{sims[i, j]:.2f}"))
                )
    return out


def errors(problems: Iterable[Problem]) -> List[Problem]:
    return [p for p in problems if p.level == "error"]
