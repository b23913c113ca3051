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
FIELD_NAMES = {"reviewed_by": "审核人", "reviewed_at": "审核日期", "category": "分类"}
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


def literal_numbers(template: str) -> List[str]:
    """Numbers typed into an answer (placeholders removed)."""
    text = PLACEHOLDER.sub(" ", template)
    text = re.sub(r"\bC[1-5]\b|T\+\d|沪深300|400-000-0000", " ", text)
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
            problems.append(Problem("policy", "margin_call", "lines must rise: 平仓 < 追保 < 警戒 < 提取"))
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
        p.append(Problem(eid, "id", "主题 ID 须为小写字母、数字和下划线，如 interest_financing_rate。", span=entry.id))
    if entry.version < 1:
        p.append(Problem(eid, "version", "版本号须不小于1。"))
    if entry.status not in STATUSES:
        p.append(Problem(eid, "status", f"状态须为以下之一：{'、'.join(STATUSES)}。"))
    if not entry.question:
        p.append(Problem(eid, "question", "标准问题不能为空。"))
    if len(set(entry.paraphrases)) < MIN_PARAPHRASES:
        have = len(set(entry.paraphrases))
        p.append(Problem(eid, "paraphrases", f"至少需要{MIN_PARAPHRASES}个不同的相似问法（现有{have}个）。"))
    for field_name in ("reviewed_by", "reviewed_at", "category"):
        if not getattr(entry, field_name):
            p.append(Problem(eid, field_name, f"缺少{FIELD_NAMES.get(field_name, field_name)}。"))
    if not entry.tags:
        p.append(Problem(eid, "tags", "至少填写一个标签。"))
    # placeholders must exist and use a known format
    for path, fmt in policy.placeholders(entry.answer):
        if fmt not in FORMATS:
            p.append(
                Problem(eid, "answer", f"占位符 {path} 的格式“{fmt}”不存在，可用：{'、'.join(FORMATS)}。", span=fmt)
            )
        if not policy.has(path):
            p.append(Problem(eid, "answer", f"政策文件中没有“{path}”这一项，请用“插入政策数字”选择。", span=path))
    for cite in entry.cites:
        if not policy.has(cite):
            p.append(Problem(eid, "cites", f"政策文件中没有“{cite}”这一项。", span=cite))
    # typed numbers must be policy numbers (7.8% when policy says 6.8% is an error)
    for literal in literal_numbers(entry.answer):
        digits = re.match(r"[\d,.]+", literal)
        assert digits is not None  # NUMBER's matches start with a digit
        value = Decimal(digits.group(0).replace(",", ""))
        if value.normalize() not in numbers:
            p.append(
                Problem(eid, "answer", f"数字“{literal}”与政策文件不符，请用“插入政策数字”插入正确的值。", span=literal)
            )
        else:
            p.append(
                Problem(
                    eid,
                    "answer",
                    f"数字“{literal}”是手工输入的，政策调整时不会自动更新；请改用占位符。",
                    "warning",
                    span=literal,
                )
            )
    try:
        body = policy.render(entry.answer)
    except PolicyError as exc:
        p.append(Problem(eid, "answer", f"答案无法生成：占位符“{exc}”有误。", span=str(exc)))
        body = entry.answer
    for word in BANNED:
        if word in body:
            p.append(Problem(eid, "answer", f"不得出现承诺收益或保本的说法“{word}”。", span=word))
    if len(body) > MAX_ANSWER_CHARS:
        p.append(Problem(eid, "answer", f"答案有{len(body)}字，请控制在{MAX_ANSWER_CHARS}字以内，便于手机阅读。"))
    if entry.category in MONEY_CATEGORIES and not entry.money_topic:
        p.append(Problem(eid, "money_topic", "涉及资金的分类须勾选“涉及资金”，以自动附上风险提示。"))
    return p


def validate_entries(entries: Sequence[Entry], policy: Policy, conflicts: bool = True) -> List[Problem]:
    numbers = _policy_numbers(policy)
    problems: List[Problem] = []
    seen: Dict[str, str] = {}
    for entry in entries:
        problems += validate_entry(entry, policy, numbers)
        if entry.id in seen:
            problems.append(Problem(entry.id, "id", "主题 ID 重复。", span=entry.id))
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
                        f"问法“{text}”会被匹配到另一个条目 {top[0].faq_id}，请改写或删除。",
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
                out.append(Problem(a, "question", f"与条目 {b} 几乎重复（相似度 {sims[i, j]:.2f}），请合并或区分。"))
    return out


def errors(problems: Iterable[Problem]) -> List[Problem]:
    return [p for p in problems if p.level == "error"]
