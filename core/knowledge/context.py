"""Conversation context for knowledge answers: what a follow-up, a menu choice or a
correction refers to.

Pure functions over the knowledge entries and a ranking function, so they work for
entries published after the model was trained. The dialogue keeps the state in Rasa
slots (the faq ids of the last answer, the last menu, the last question); this module
only reads them:

- `menu_choice`: an ordinal (第一个, 第2个, 2, 最后一个, 第二個) or words of one option.
- `split_denial`: "不是这个，我问的是…" → (denied, the rest as a new question).
- `follow_up`: an elliptical question ("那融券呢", "要多久", "罚息呢") ranked on its own and
  together with the previous topic; topics next to the previous one (same category or
  knowledge/neighbours.yml) get a small lift. Answered only when the combined ranking is
  clear; a self-contained question is decided on its own (`is_elliptical`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from core.knowledge.model import Entry, Hit
from core.settings import KNOWLEDGE_DIR
from core.text import normalize

NEIGHBOURS_FILE = KNOWLEDGE_DIR / "neighbours.yml"
Rank = Callable[[str, int], List[Hit]]

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"([0-9]{1,2}|[一二两三四五六七八九十])"
# 第二个 / 第2条 / 选2 / 2 / 二 / 第二个问题 / 2号 / 选项2 / option 2
_ORDINAL = re.compile(
    rf"^(?:我?(?:选|要|看|问)?(?:择)?(?:选项|第|option\s*|no\.?\s*|#)?){_NUM}(?:个|条|项|号|种|题)?(?:问题|选项|吧|的|那个|呢|啊)?$"
)
_LAST = re.compile(
    r"^(?:我?(?:选|要|看)?)?(?:最后一个|最后那个|最后一条|最后一项|倒数第一个|last(?: one)?)(?:吧|的|问题)?$"
)
_FIRST_WORDS = ("第一个", "头一个", "首个", "first", "第一条")
_FILLER = re.compile(
    r"[，,。.！!？?、~～\s]+|^(?:那么|那|还有|然后|再问一下|再问|另外|请问|那请问)|(?:呢|吗|啊|呀|的呢|嘞|咧)$"
)

# "不是这个" / "不对" / "都不是" / "算了" at the start; what follows is the real question
_DENIAL = re.compile(
    r"^(?:不是这个意思|不是这个问题|不是这个|不是这些|不是这样|都不是|全都不是|不是的|不是|不对不对|不对|错了|"
    r"答非所问|没有我要的|没有我想问的|不是我要问的|不是我想问的|不是我要的|算了|no|nope)"
    r"(?:啊|呀|哦|吧|呢)?[，,。.！!\s]*"
)
_CORRECTION_LEAD = re.compile(
    r"^(?:我(?:是)?(?:想)?(?:要)?问的?是|我说的是|我是说|我指的是|我想问|我要问|是问|问的是|应该是|i mean)[，,:：\s]*"
)
# a message made of a denial alone ("不是这个", "都不是", "不对啊")
_ONLY_DENIAL = re.compile(r"^[，,。.！!？?\s]*$")

# elliptical: leans on what was said before
_ELLIPSIS_START = ("那", "那么", "还有", "然后", "另外", "那如果", "如果是", "换成", "要是")
_ELLIPSIS_END = ("呢", "的呢", "那个呢", "咧", "嘞")
_DEICTIC = re.compile(r"这个|那个|这样|那样|它|这种|那种|这条|上面|刚才|刚刚|前面|这里")

# compliance: guarantees, promised returns, stock picks — refused in any turn
_COMPLIANCE = re.compile(
    r"保证(?!金).{0,8}(?:不亏|不会亏|赚|收益|盈利|回本|本金|翻倍|涨)|稳赚|包赚|保本|保收益|保底收益|稳赢|只赚不赔|稳稳赚"
    r"|承诺.{0,6}(?:收益|回报|不亏|赚)|推荐.{0,6}(?:股票|个股|哪只|几只|牛股|标的)|荐股|内幕消息"
    r"|(?:哪只|哪个|什么|几只)(?:股票|股).{0,6}(?:好|会涨|能涨|能买|可以买|值得)|(?:买|融资买|融券卖).{0,4}哪只"
    r"|明天.{0,4}(?:会涨|能涨)|guarantee"
)
# "人工几点有人": the hours, not a hand-off
_HOURS = re.compile(
    r"(?:人工|客服|柜台|营业部|热线|真人).{0,6}(?:几点|什么时候|啥时候|时间|上班|下班|有人|在线|几点到几点)"
    r"|(?:几点|什么时候|啥时候).{0,6}(?:有人工|有客服|有人|上班)"
)
_CONTRASTS = (("融资", "融券"), ("买入", "卖出"), ("利率", "费率"))


def _norm(text: str) -> str:
    return normalize(text or "")


def strip_fillers(text: str) -> str:
    """The content of a follow-up without its 那/呢/punctuation."""
    previous = None
    text = _norm(text)
    while previous != text:
        previous, text = text, _FILLER.sub("", text)
    return text


def menu_choice(text: str, options: Sequence[str], titles: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The option an ordinal picks ("第二个", "2", "最后一个", "第二個"), or None."""
    if not options:
        return None
    t = strip_fillers(text)
    if not t:
        return None
    if _LAST.match(t):
        return options[-1]
    if any(t.startswith(w) and len(t) <= len(w) + 3 for w in _FIRST_WORDS):
        return options[0]
    m = _ORDINAL.match(t)
    if m:
        raw = m.group(1)
        n = int(raw) if raw.isdigit() else _CN_DIGITS.get(raw, 0)
        if 1 <= n <= len(options):
            return options[n - 1]
    return None


def split_denial(text: str) -> Tuple[bool, str]:
    """(whether the message starts by denying the last answer or menu, the rest of it)."""
    t = _norm(text).strip()
    m = _DENIAL.match(t)
    if not m:
        return False, text
    rest = t[m.end() :]
    rest = _CORRECTION_LEAD.sub("", rest).strip()
    return True, "" if _ONLY_DENIAL.match(rest) else rest


def is_elliptical(text: str) -> bool:
    """Whether the question leans on the conversation ("那融券呢", "要多久", "这个怎么算")."""
    t = _norm(text)
    bare = re.sub(r"[，,。.！!？?、~～\s]+", "", t)
    if not bare:
        return False
    if bare.startswith(_ELLIPSIS_START) or bare.endswith(_ELLIPSIS_END):
        return True
    if _DEICTIC.search(bare):
        return True
    return len(strip_fillers(bare)) <= 5


def asks_compliance(text: str) -> bool:
    return bool(_COMPLIANCE.search(_norm(text)))


def asks_hours(text: str) -> bool:
    return bool(_HOURS.search(_norm(text)))


@lru_cache(maxsize=4)
def _curated(path: str, mtime: float) -> Dict[str, Tuple[str, ...]]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f) or {}
    return {str(k): tuple(str(v) for v in vs or ()) for k, vs in (data.get("links") or {}).items()}


def curated_links(path: Path = NEIGHBOURS_FILE) -> Dict[str, Tuple[str, ...]]:
    try:
        return _curated(str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return {}


def neighbours(
    entries: Sequence[Entry], ids: Iterable[str], links: Optional[Dict[str, Tuple[str, ...]]] = None
) -> Set[str]:
    """Topics next to `ids`: the same category, shared tags, and the curated links (both ways)."""
    links = curated_links() if links is None else links
    ids = [i for i in ids if i]
    by_id = {e.id: e for e in entries}
    out: Set[str] = set()
    for faq_id in ids:
        entry = by_id.get(faq_id)
        if entry is None:
            continue
        out.update(links.get(faq_id, ()))
        out.update(k for k, vs in links.items() if faq_id in vs)
        tags = set(entry.tags)
        for other in entries:
            if other.id != faq_id and (other.category == entry.category or tags & set(other.tags)):
                out.add(other.id)
    return {i for i in out if i in by_id} - set(ids)


def contrast(question: str, follow: str) -> str:
    """The previous question with the term the follow-up swaps in ("融资利率是多少" + "融券" →
    "融券利率是多少")."""
    q = _norm(question)
    for a, b in _CONTRASTS:
        for old, new in ((a, b), (b, a)):
            if new in follow and old not in follow and old in q:
                q = q.replace(old, new)
    return q


def topic_words(entry: Entry) -> str:
    """What a follow-up leaves out: the entry's main tag (its topic term), else its question."""
    return entry.tags[0] if entry.tags else entry.question


@dataclass(frozen=True)
class Resolution:
    kind: str  # "answer" | "clarify" | "none"
    hits: List[Hit] = field(default_factory=list)

    @property
    def best(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class ContextWeights:
    alone: float = 0.45  # the follow-up on its own
    together: float = 0.55  # the follow-up with the previous question
    neighbour: float = 0.06  # lift for topics next to the previous one
    successor: float = 0.10  # ...and for the first curated link (the thread's next step)
    repeat: float = 0.05  # the previous topic again, unless the follow-up swaps a term in it
    answer: float = 0.22  # combined score needed to answer
    margin: float = 0.04  # ...and lead over the runner-up


def follow_up(
    rank: Rank,
    entries: Sequence[Entry],
    text: str,
    previous: Sequence[Entry],
    exclude: Iterable[str] = (),
    weights: ContextWeights = ContextWeights(),
) -> Resolution:
    """Rank an elliptical follow-up together with the previous topic(s)."""
    content = strip_fillers(text) or _norm(text)
    n = len(entries)
    alone = {h.faq_id: h.score for h in rank(content, n)}
    together: Dict[str, float] = {}
    swapped = False
    for prev in previous[:1]:
        words = contrast(topic_words(prev), content)
        swapped = words != _norm(topic_words(prev))
        for h in rank(content + " " + words, n):
            together[h.faq_id] = max(together.get(h.faq_id, 0.0), h.score)
    near = neighbours(entries, [p.id for p in previous])
    links = curated_links()
    successors = {links[p.id][0] for p in previous[:1] if links.get(p.id)}
    repeated = {p.id for p in previous}
    excluded = set(exclude)
    by_id = {e.id: e for e in entries}
    scored = []
    for faq_id, entry in by_id.items():
        if faq_id in excluded:
            continue
        s = weights.alone * alone.get(faq_id, 0.0) + weights.together * together.get(faq_id, alone.get(faq_id, 0.0))
        if faq_id in successors:
            s += weights.successor
        elif faq_id in near:
            s += weights.neighbour
        if faq_id in repeated and not swapped:
            s -= weights.repeat
        scored.append(Hit(entry=entry, score=round(s, 4), parts={"context": 1.0}))
    scored.sort(key=lambda h: -h.score)
    top = scored[:3]
    if not top or top[0].score < weights.answer * 0.5:
        return Resolution("none", top)
    lead = top[0].score - (top[1].score if len(top) > 1 else 0.0)
    if top[0].score >= weights.answer and lead >= weights.margin:
        return Resolution("answer", top)
    return Resolution("clarify", top)


def pick_by_words(rank: Rank, text: str, options: Sequence[str], min_lead: float = 0.03) -> Optional[str]:
    """The menu option whose topic the words name ("罚息那个"), when one clearly leads."""
    if not options:
        return None
    content = strip_fillers(text)
    content = re.sub(r"(?:那个|这个|那条|的)$", "", content) or content
    if not content:
        return None
    scores = {h.faq_id: h.score for h in rank(content, 1000)}
    ranked = sorted(options, key=lambda o: -scores.get(o, 0.0))
    best = scores.get(ranked[0], 0.0)
    runner = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    return ranked[0] if best > 0.08 and best - runner >= min_lead else None
