"""Stated-figure questions, no login needed: "借20万用40天利息多少", "我有40万能开吗",
"我净资产120万，稳健型能批多少", "保证金比例100%的话30万能融多少", "现金10万 股票100万
欠50万 比例多少", "欠了1万利息逾期10天罚多少", and their follow-ups ("那60天呢", "融券呢",
"要是平衡型呢", "取完以后比例是多少").

The client's own figures go through the same core/finance code and policy.yml numbers
as the personal lookups; the reply says it is an estimate, cites the rule and carries
the risk reminder. Pure computation (no database), so it runs in-process with the
knowledge actions and in the action server's no-login path alike.

The last estimate's kind and figures are kept in the `last_estimate` slot; a follow-up
that states only what changed ("20天呢") is merged into them. A message that is a
complete estimate on its own is answered on its own; one without a figure or a change
that fits the last estimate (e.g. "那罚息呢") is left to the knowledge answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.thread import Context, context_events, last_action
from core import finance
from core.formatting import risk_reminder, yuan
from core.knowledge.context import names_client_number, split_denial
from core.policy import Policy, fmt_pct, fmt_wan, plain
from core.text import normalize
from core.texts import client as client_text
from core.values import AMOUNT_UNIT, cn_number, parse_amount

LABEL = client_text.ESTIMATE_LABEL
SLOT = "last_estimate"  # {"kind": …, "topic": faq id, figures as strings}

# -- reading the figures ----------------------------------------------------------------
_CN = "零〇一二两三四五六七八九十百千万亿"
NUM = rf"(?:\d[\d,]*(?:\.\d+)?|[{_CN}][{_CN}点]*)"
SMALL = r"(?:\d{1,4}|[零〇一二两三四五六七八九十百]+)"  # days, months, ages, scores
_DATE = re.compile(r"\d{4}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*[日号]?|(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*[日号]")
_AMOUNT = re.compile(rf"({NUM})\s*个?\s*({AMOUNT_UNIT})")
_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d%])")
_PERCENT = re.compile(rf"({NUM})\s*%|百分之({NUM})|({NUM})\s*个(?:百分)?点")
# "资产140个 欠100个": spoken 个 for 万, read only in a message about money
_GE_AMOUNT = re.compile(
    r"(?<![\d.零〇一二两三四五六七八九十百])(\d{1,5}(?:\.\d+)?|[一二两三四五六七八九十百]{1,4})\s*个(?!\s*(?:月|天|日|交易日|工作日|星期|礼拜|点|百分点|人|小时|季度|年|问题|条件|w|万|亿|千|k))"
)
_MONEY_WORDS = re.compile(r"资产|欠|负债|融资|融了|现金|股票|市值|借|还|存|取|担保|保证金")
_HALF_FALL = re.compile(r"一半|腰斩|对半")
_LINE_WHERE = re.compile(r"(?:跌到|掉到|低于|降到)(?:多少|几多)")
_OTHER_WAY = re.compile(r"(?:卖|还|转|存|补).{0,8}(?:多少|几多)")
_TENTHS = re.compile(
    r"(?<![\d零〇一二两三四五六七八九十])([一二两三四五六七八九\d])\s*成(半)?(?!本|交|功|立|员|为|熟|年|人|绩)"
)  # 一成 = 10%, 一成半 = 15%
_DAYS = re.compile(
    rf"(?<![哪几每某同\d.])(?<!当(?=\D))({SMALL})\s*(?:个?\s*(?:自然日|交易日|天|日)(?!均|利率|费率|万分)|days?(?![a-z]))"
)
_WEEKS = re.compile(rf"({SMALL})\s*(?:(?:个)?(?:星期|礼拜|周)|weeks?(?![a-z]))")
_MONTHS = re.compile(rf"({SMALL}|半)\s*(?:个\s*月|months?(?![a-z]))|(半)\s*年")
_YEARS = re.compile(rf"(?<!\d)({SMALL})\s*年(?!化|利率|费率|内|前|以前)")
_AGE = re.compile(rf"({SMALL})\s*(?:周岁|岁)")
# an age said without 岁 ("我今年六十八了", "年纪70")
_AGE_SAID = re.compile(rf"(?:今年|年纪|年龄|岁数)(?:是|有|已经|都)?\s*({SMALL})(?![\d万千元%个天月年周分])")
_SCORE = re.compile(rf"({SMALL})\s*分(?!之|钟|行|红)")
_BARE = re.compile(r"(?<![\d.a-z])\d+(?:\.\d+)?(?![\d.])")
_INDEX_BEFORE = re.compile(r"(?:沪深|中证|上证|深证|创业板|科创|h|sh|sz|bj)\s*$")
_CODE = re.compile(r"(?<![a-z])c([1-5])(?!\d)")

# roles of an amount in an account ("现金10万 股票市值110万 融资欠50万"): the nearest word
_ROLES = (
    ("line", re.compile(r"授信|额度")),
    ("net", re.compile(r"净资产")),
    ("total", re.compile(r"总资产|资产总额|资产合计|总共|资产")),
    ("debt", re.compile(r"负债|欠|借了|借咗|(?<![能可以])借的|借款|融资|融券|融咗|融了|贷款|debt")),
    ("stocks", re.compile(r"股票|市值|持仓|证券|担保品|股")),
    ("cash", re.compile(r"现金|资金|余额|存款|cash")),
)
_HAIRCUTS = (
    ("st_or_bad_pe", re.compile(r"(?<![a-z])st|市盈率.{0,3}(?:负|300)|亏损股")),
    ("csi300", re.compile(r"沪深\s*(?:300|三百)|hs\s*300|成分股|成份股")),
    ("etf", re.compile(r"etf")),
    ("government_bond", re.compile(r"国债")),
    ("other_stock", re.compile(r"股票|个股|其他股|普通股|股")),
    ("cash", re.compile(r"现金")),
)
HAIRCUT_NAMES = {  # templates: Policy.render fills the index name and the P/E bound
    "cash": client_text.HAIRCUT_CASH,
    "government_bond": client_text.HAIRCUT_GOVERNMENT_BOND,
    "etf": client_text.HAIRCUT_ETF,
    "csi300": client_text.HAIRCUT_CSI300,
    "other_stock": client_text.HAIRCUT_OTHER_STOCK,
    "st_or_bad_pe": client_text.HAIRCUT_ST_OR_BAD_PE,
}

# -- what is asked ------------------------------------------------------------------------
_INTEREST = re.compile(r"利息|息|费用|费|收多少|多少钱|几多钱|几钱|成本|要俾|要给|付多少|交多少")
_RATE = re.compile(r"利率|费率|年化|rate")
_PENALTY = re.compile(r"罚|逾期|滞纳|过期|拖欠|拖了|没交|未交|不交|欠.{0,6}利息")
_OPEN = re.compile(
    r"开通|开户|开两融|开融资|能开|可以开|开吗|开得了|开唔开|开到|够不够|够吗|够唔够|够未|符合|门槛|达标|"
    r"可以吗|行吗|行不|得唔得|得不得|可唔可以|能做两融|能办|能不能做|资格|条件"
)
_LINE = re.compile(r"批|授信|额度|给多少|能给|上限|最多给")
_COLLATERAL_VALUE = re.compile(
    r"折算(?:成|为|后|下来)?(?:多少|几多)|折算.{0,4}值(?:多少|几多)|能抵多少|抵多少|算多少保证金|当多少保证金|值多少保证金|算多少担保"
    r"|(?:能|可以)?折(?:成|算)?(?:多少|几多)"
)
_CAPACITY = re.compile(r"能融|融多少|可以融|借多少|能借|可借|可融|能买多少|买多少|融得|融几多|借几多")
_HAS_MONEY = re.compile(r"我有|有|资产|存了|手上|账户里|身家")
_ASK = re.compile(r"多少|几多|几|比例|吗|呢|\?|？|咋|怎么|会不会|能不能|点|係咪|是不是")
_EXPERIENCE = re.compile(r"炒|交易|经验|入市|开户|做股票|买股票|玩股票|股龄")
_TEST = re.compile(r"测试|考试|考|测验")
_AGE_RULE = re.compile(r"年龄|岁数|年纪|超龄|太老")  # "那年龄呢 我今年65了": the age rule, asked
_MORE = re.compile(r"再(?:存|转|加|入|放|投|买)|追加|多存|多转|加上|另外存|又存|再来")
_WITHDRAW = re.compile(r"取|提取|转出|拿出|提现|出金|攞|提(?:多少|几多)|能提|可以提|提出来")
_AFTER_WITHDRAW = re.compile(r"取完|取了以后|取之后|取出后|取后|提取后|提完|提取之后|转出后|攞完|取出来后|取出以后")
_FALL = re.compile(r"跌|下挫|缩水|爆仓|(?:会|被|就|才|要).{0,2}(?:追保|平仓|强平)")
_RATIO = re.compile(r"比例|维持担保|担保比")
_TO_LEVEL = re.compile(r"(?:跌|掉|降|涨|升|缩水)(?:到|至|剩)|变成")
_HOW_FAR = re.compile(r"跌多少|跌几|跌到多少|多少.{0,6}(?:追保|平仓|强平)|几个点|几多")  # the fall to a line asked
# how much to put in to be safe again ("要存多少钱进去才够", "补多少才不用追保")
_RESTORE = re.compile(
    r"(?:存|转|补|追加|加|放|打|入)(?:多少|几多|多)(?:钱|现金|资金)?(?:进去|进来|入)?(?:才|就)?(?:够|行|可以|安全|不用|解除|恢复)"
    r"|(?:补|追加|补足|补到|恢复到?|回到).{0,6}(?:150%|多少)|补多少|要补|追加多少|存多少|转入多少"
)
_HOW_MUCH = re.compile(r"多少|几多|how much")
_MORE_USED = re.compile(r"再|又|多")  # "再融20w": on top of what is used
# what is left of a line after what is used ("用了100万 还有多少可以用")
_USED = re.compile(r"用了|已用|用掉|花了|已经借|借了|融了")
_LEFT = re.compile(r"还有|还剩|剩下|剩余|剩|可用|还能|仲有")
# a ratio the client says theirs is now ("比例掉到120%了", "我比例只有125%"), not a line
# asked about ("低于130%会怎样") nor a move ("跌10%")
_RATIO_NOW = re.compile(
    r"掉到|跌到|降到|到了|只有|只剩|剩下|现在|目前|已经|变成|变为|才\s*\d|我.{0,6}比例(?:是|有|为)?\s*\d"
)
_RATIO_LINE = re.compile(r"低于|高于|跌破|超过|不足|以下|以上|线|(?:跌|涨|降|升|缩水)(?:了|掉)?\s*\d")


@dataclass
class Figures:
    """The figures one message states, with where each amount sits (for its role)."""

    amounts: List[Tuple[Decimal, Optional[str]]] = field(default_factory=list)  # value, role
    percents: List[Decimal] = field(default_factory=list)
    days: Optional[int] = None
    months: Optional[int] = None  # a stated duration in months (experience)
    age: Optional[int] = None
    score: Optional[int] = None
    bare: List[int] = field(default_factory=list)  # small numbers without a unit ("69")
    tier: Optional[str] = None
    haircut: Optional[str] = None
    side: Optional[str] = None  # financing | lending, when only one is named
    kinds: List[Optional[str]] = field(default_factory=list)  # each amount's collateral kind, if named

    def first(self, *roles: Optional[str]) -> Optional[Decimal]:
        return next((v for v, r in self.amounts if r in roles), None)

    def by_role(self) -> Dict[str, Decimal]:
        out: Dict[str, Decimal] = {}
        for value, role in self.amounts:
            if role and role not in out:
                out[role] = value
        return out


def _num(text: str) -> Optional[Decimal]:
    if text in ("半",):
        return Decimal("0.5")
    try:
        return cn_number(text)
    except (InvalidOperation, ValueError):
        return None


def _small(text: str) -> Optional[int]:
    value = _num(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _role(segment: str, nearest_last: bool) -> Optional[str]:
    found: List[Tuple[int, int, str]] = []
    for rank, (role, pattern) in enumerate(_ROLES):
        if role == "line" and not nearest_last:
            continue  # "授信100万" is a line; "800万 额度多少" asks for one
        for m in pattern.finditer(segment):
            found.append((m.end() if nearest_last else -m.start(), -rank, role))
    return max(found)[2] if found else None


_SEPARATOR = re.compile(r"[,，;；。、\s和及与跟同]|还有|以及|另外|然后")


def _neighbours(text: str, spans: List[Tuple[int, int, Decimal]]) -> List[Tuple[Decimal, str, str]]:
    """Each amount with the words just before it, back to a separator, and just after it."""
    spans = sorted(spans)
    out: List[Tuple[Decimal, str, str]] = []
    for i, (start, end, value) in enumerate(spans):
        before = _SEPARATOR.split(text[(spans[i - 1][1] if i else 0) : start].rstrip())[-1]
        after = _SEPARATOR.split(text[end : (spans[i + 1][0] if i + 1 < len(spans) else len(text))].lstrip())[0]
        out.append((value, before, after))
    return out


def _assign_roles(text: str, spans: List[Tuple[int, int, Decimal]]) -> List[Tuple[Decimal, Optional[str]]]:
    """Each amount's role from the words just before it ("现金10万"), else from those just
    after it ("10万现金")."""
    return [(value, _role(before, True) or _role(after, False)) for value, before, after in _neighbours(text, spans)]


def _kind(segment: str) -> Optional[str]:
    return next((name for name, pattern in _HAIRCUTS if pattern.search(segment)), None)


def _assign_kinds(text: str, spans: List[Tuple[int, int, Decimal]]) -> List[Optional[str]]:
    """Each amount's collateral kind, named next to it ("国债20万", "100万沪深300的股票")."""
    return [_kind(before) or _kind(after) for _, before, after in _neighbours(text, spans)]


def read_figures(t: str, entities: Sequence[Mapping[str, Any]], policy: Policy) -> Figures:
    """The figures in normalised text `t` (the NLU's entities fill in what the text rules miss)."""
    f = Figures()
    work = _DATE.sub(lambda m: " " * len(m.group(0)), t)
    spans: List[Tuple[int, int, Decimal]] = []
    for m in list(_AMOUNT.finditer(work)) + list(_GROUPED.finditer(work)):
        if any(s < m.end() and m.start() < e for s, e, _ in spans):
            continue
        raw = m.group(0).replace(" ", "")
        value = parse_amount(raw)
        if value is not None and value > 0:
            spans.append((m.start(), m.end(), value))
    if _MONEY_WORDS.search(work):
        for m in _GE_AMOUNT.finditer(work):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                value = _num(m.group(1))  # ("八十个": 80万)
                if value is not None and value > 0:
                    spans.append((m.start(), m.end(), value * 10000))
    for s, e, _ in spans:
        work = _blank(work, s, e)
    for m in _PERCENT.finditer(work):
        value = _num(m.group(1) or m.group(2) or m.group(3))
        if value is not None:
            f.percents.append(value)
        work = _blank(work, m.start(), m.end())
    for m in _TENTHS.finditer(work):
        value = _num(m.group(1))
        if value is not None:
            f.percents.append(value * 10 + (5 if m.group(2) else 0))
        work = _blank(work, m.start(), m.end())
    if not f.percents and _FALL.search(work) and _HALF_FALL.search(work):
        f.percents.append(Decimal(50))  # "跌一半呢"
    for pattern, factor in ((_DAYS, 1), (_WEEKS, 7)):
        for m in pattern.finditer(work):
            n = _small(m.group(1))
            if n is not None and f.days is None:
                f.days = n * factor
            work = _blank(work, m.start(), m.end())
    for m in _MONTHS.finditer(work):
        n = Decimal(6) if m.group(2) else _num(m.group(1))  # 半年 = 6个月, 半个月 = 0.5
        if n is not None and f.months is None:
            f.months = int(n)
            f.days = f.days if f.days is not None else int(n * 30)
        work = _blank(work, m.start(), m.end())
    for m in _YEARS.finditer(work):
        n = _small(m.group(1))
        if n is not None and 0 < n <= 60 and f.months is None:
            f.months = n * 12
            if n <= 10 and f.days is None:
                f.days = n * 365  # "一年利息要多少": the calendar days of use
        work = _blank(work, m.start(), m.end())
    for m in _AGE.finditer(work):
        f.age = f.age if f.age is not None else _small(m.group(1))
        work = _blank(work, m.start(), m.end())
    m = _AGE_SAID.search(work) if f.age is None else None
    if m:
        f.age = _small(m.group(1))
        work = _blank(work, m.start(1), m.end(1))
    for m in _SCORE.finditer(work):
        f.score = f.score if f.score is not None else _small(m.group(1))
        work = _blank(work, m.start(), m.end())
    for m in _BARE.finditer(work):
        if _INDEX_BEFORE.search(work[: m.start()]):
            continue
        value = Decimal(m.group(0))
        digits = m.group(0).split(".")[0]
        if value >= 1000 and (len(digits) != 6 or digits.endswith("00")):
            spans.append((m.start(), m.end(), value))
        elif value < 1000 and value == value.to_integral_value():
            f.bare.append(int(value))
    if not spans:  # the NLU read an amount the rules here do not know
        for e in entities:
            if e.get("entity") == "amount":
                try:
                    spans.append((int(e.get("start") or 0), int(e.get("end") or 0), Decimal(str(e.get("value")))))
                except (InvalidOperation, ValueError, TypeError):
                    continue
    f.amounts = _assign_roles(t, spans)
    f.kinds = _assign_kinds(t, spans)
    # (not a client number's first digits: "C1003個戶口" names no tier C1)
    tiers = (
        [str(e.get("value")) for e in entities if e.get("entity") == "risk_tier"] if not names_client_number(t) else []
    )
    named = [(t.find(str(x["name"])), str(x["code"])) for x in policy.get("risk_tiers.tiers") if str(x["name"]) in t]
    if not named and len(t) <= SHORT_TIER_MAX_CHARS:  # "稳健的呢": the tier's name without 型
        named = [(t.find(str(x["name"])[:-1]), str(x["code"])) for x in policy.get("risk_tiers.tiers")]
        named = [(i, c) for i, c in named if i >= 0]
    code = _CODE.search(t)
    if named:
        f.tier = min(named)[1]
    elif code:
        f.tier = f"C{code.group(1)}"
    elif tiers and tiers[0] in policy.tier_codes():
        f.tier = tiers[0]
    f.haircut = _kind(t)
    f.side = side_named(t)
    return f


_NOT_SIDE = re.compile(r"(?:不是|不要|而不是|并非|not)\s*(?:问)?(?:的)?(融资|融券)")


def side_named(t: str) -> Optional[str]:
    """financing | lending, when the (normalised) text names only one of them ("我是想问融资，
    不是融券": the one not denied)."""
    t = _NOT_SIDE.sub("", t)
    lending, financing = "融券" in t, "融资" in t
    return "lending" if lending and not financing else "financing" if financing and not lending else None


# -- the estimates ----------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    text: str
    topic: str  # the faq id of the rule it applies
    kind: str
    figures: Dict[str, Any] = field(default_factory=dict)  # what a follow-up may change

    def state(self) -> Dict[str, Any]:
        return {"kind": self.kind, "topic": self.topic, **self.figures}

    def events(self) -> List[Dict[str, Any]]:
        """The slot event that keeps this estimate for the next turn."""
        return [SlotSet(SLOT, self.state())]

    def say(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, question: str, label: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        """Send this estimate (labelled with its kind, or `label`) and return the events that make
        its rule the conversation's topic and keep it for the next turn."""
        dispatcher.utter_message(text=self.text, json_message={"estimate": label or self.kind, "faq_id": self.topic})
        return context_events(tracker, [self.topic], [], question) + self.events()


def _pct(value: Decimal) -> str:
    """A ratio as a percentage, two decimals at most: 2.4 → '240%', 2.66666 → '266.67%'."""
    return f"{plain((value * 100).quantize(Decimal('0.01')))}%"


def _s(value: Optional[Decimal]) -> Optional[str]:
    return None if value is None else plain(value)


def annual_rate(policy: Policy, lending: bool) -> Decimal:
    return policy.dec("interest.lending_annual_fee_rate" if lending else "interest.financing_annual_rate")


def interest_due(policy: Policy, amount: Decimal, days: int, lending: bool) -> Decimal:
    """Interest (financing) or fee (lending) on `amount` for `days`, at the policy's rate."""
    return finance.interest_for(amount, days, annual_rate(policy, lending), int(policy.get("interest.day_count_basis")))


def interest(policy: Policy, amount: Decimal, days: int, lending: bool) -> Estimate:
    rate = annual_rate(policy, lending)
    basis = int(policy.get("interest.day_count_basis"))
    due = interest_due(policy, amount, days, lending)
    text = LABEL + client_text.EST_INTEREST.format(
        side=client_text.SIDE_LENDING if lending else client_text.SIDE_FINANCING,
        amount=yuan(amount),
        days=days,
        cost=client_text.EST_COST_FEE if lending else client_text.EST_COST_INTEREST,
        due=yuan(due),
        rate_name=client_text.EST_RATE_FEE if lending else client_text.EST_RATE_INTEREST,
        rate=fmt_pct(rate),
        basis=basis,
        reminder=risk_reminder(policy),
    )
    figures = {"amount": plain(amount), "days": days, "side": "lending" if lending else "financing"}
    return Estimate(text, "interest_calculation", "interest", figures)


def penalty(policy: Policy, unpaid: Decimal, days: int) -> Estimate:
    rate = policy.dec("interest.overdue_daily_penalty")
    due = finance.overdue_penalty(unpaid, days, rate)
    months = client_text.EST_LIST_SEP.join(
        client_text.EST_MONTH.format(month=m) for m in policy.get("interest.settlement_months")
    )
    text = LABEL + client_text.EST_PENALTY.format(
        unpaid=yuan(unpaid),
        days=days,
        due=yuan(due),
        rate=fmt_pct(rate),
        months=months,
        day=policy.get("interest.settlement_day"),
        reminder=risk_reminder(policy),
    )
    return Estimate(text, "interest_overdue_penalty", "penalty", {"amount": plain(unpaid), "days": days})


def eligibility(
    policy: Policy,
    assets: Optional[Decimal] = None,
    age: Optional[int] = None,
    months: Optional[int] = None,
    score: Optional[int] = None,
    added: Optional[Decimal] = None,
) -> Estimate:
    """The stated figures against the opening rules (assets, age, experience, test score)."""
    need = policy.dec("eligibility.min_avg_daily_assets")
    window = policy.get("eligibility.assets_window_trading_days")
    min_age, max_age = int(policy.get("eligibility.min_age")), int(policy.get("eligibility.max_age"))
    min_months = int(policy.get("eligibility.min_trading_experience_months"))
    pass_mark = int(policy.get("eligibility.knowledge_test_pass_mark"))
    checks: List[str] = []
    topic = "eligibility_assets"
    if assets is not None:
        stated = (
            yuan(assets) if added is None else client_text.EST_ELIG_ADDED.format(added=yuan(added), assets=yuan(assets))
        )
        if finance.meets_asset_rule(assets, policy):
            verdict = client_text.EST_ELIG_ASSETS_MET.format(stated=stated)
        else:
            verdict = client_text.EST_ELIG_ASSETS_SHORT.format(stated=stated, short=yuan(need - assets))
        if added is not None:
            verdict += client_text.EST_ELIG_ADDED_NOTE.format(window=window)
        checks.append(client_text.EST_ELIG_ASSETS.format(window=window, need=fmt_wan(need), verdict=verdict))
    if age is not None:
        topic = "eligibility_age" if assets is None else topic
        ok = min_age <= age <= max_age
        checks.append(
            client_text.EST_ELIG_AGE.format(
                min_age=min_age,
                max_age=max_age,
                age=age,
                verdict=client_text.EST_ELIG_AGE_MET if ok else client_text.EST_ELIG_AGE_OUT,
            )
        )
    if months is not None:
        topic = "eligibility_experience" if assets is None and age is None else topic
        ok = months >= min_months
        short = client_text.EST_ELIG_EXPERIENCE_SHORT.format(short=min_months - months)
        checks.append(
            client_text.EST_ELIG_EXPERIENCE.format(
                min_months=min_months, months=months, verdict=client_text.EST_ELIG_EXPERIENCE_MET if ok else short
            )
        )
    if score is not None:
        topic = "account_knowledge_test" if not checks else topic
        ok = score >= pass_mark
        checks.append(
            client_text.EST_ELIG_TEST.format(
                pass_mark=pass_mark,
                score=score,
                verdict=client_text.EST_ELIG_TEST_MET if ok else client_text.EST_ELIG_TEST_FAILED,
            )
        )
    others = [  # the rules no stated figure checked
        (client_text.EST_ELIG_OTHER_ASSETS.format(window=window, need=fmt_wan(need)), assets is None),
        (client_text.EST_ELIG_OTHER_EXPERIENCE.format(min_months=min_months), months is None),
        (client_text.EST_ELIG_OTHER_TIER, True),
        (client_text.EST_ELIG_OTHER_AGE.format(min_age=min_age, max_age=max_age), age is None),
    ]
    rest = client_text.EST_LIST_SEP.join(text for text, missing in others if missing)
    text = LABEL + client_text.EST_ELIG.format(
        checks=client_text.EST_SENTENCE_SEP.join(checks), rest=rest, reminder=risk_reminder(policy)
    )
    figures = {"assets": _s(assets), "age": age, "months": months, "score": score}
    return Estimate(text, topic, "eligibility", {k: v for k, v in figures.items() if v is not None})


def credit_line(policy: Policy, tier_code: str, net_assets: Decimal) -> Estimate:
    tier = policy.tier(tier_code)
    figures = {"tier": tier_code, "assets": plain(net_assets)}
    if not tier["may_open"]:
        text = LABEL + client_text.EST_LINE_MAY_NOT_OPEN.format(
            name=tier["name"], code=tier["code"], reminder=risk_reminder(policy)
        )
        return Estimate(text, "risk_tier_credit_strategy", "line", figures)
    line = finance.line_cap(policy, tier_code, net_assets)
    multiple = Decimal(str(tier["line_multiple"]))
    capped = net_assets * multiple > Decimal(str(tier["line_cap"]))
    text = LABEL + client_text.EST_LINE.format(
        name=tier["name"],
        code=tier["code"],
        multiple=plain(multiple),
        cap=fmt_wan(tier["line_cap"]),
        assets=yuan(net_assets),
        line=yuan(line),
        capped=client_text.EST_LINE_CAPPED if capped else "",
        reminder=risk_reminder(policy),
    )
    return Estimate(text, "risk_tier_credit_strategy", "line", figures)


def line_left(policy: Policy, line: Decimal, used: Decimal) -> Estimate:
    """What is left of a credit line after what the client says is used (可用额度)."""
    text = LABEL + client_text.EST_LINE_LEFT.format(
        line=yuan(line), used=yuan(used), left=yuan(max(Decimal(0), line - used)), reminder=risk_reminder(policy)
    )
    return Estimate(text, "quota_available", "line_left", {"line": plain(line), "used": plain(used)})


def _margin_ratio(policy: Policy, ratio: Optional[Decimal]) -> Tuple[Decimal, str]:
    """The margin ratio an estimate uses (the policy's minimum when none or a lower one is
    stated), and the note that says so."""
    minimum = policy.dec("margin.min_margin_ratio")
    if ratio is not None and ratio < minimum:
        return minimum, client_text.EST_CAP_MINIMUM.format(minimum=fmt_pct(minimum))
    return (minimum if ratio is None else ratio), ""


def capacity(policy: Policy, collateral: Decimal, ratio: Optional[Decimal], haircut: Optional[str] = None) -> Estimate:
    used, note = _margin_ratio(policy, ratio)
    kind = haircut if haircut in HAIRCUT_NAMES else "cash"
    rate = Decimal(str(policy.get(f"margin.haircuts.{kind}")))
    amount = finance.financing_capacity(collateral, used, rate)
    if kind == "cash":
        basis = client_text.EST_CAP_CASH_BASIS.format(collateral=yuan(collateral), rate=fmt_pct(rate))
        formula = client_text.EST_CAP_CASH_FORMULA
        tail = client_text.EST_CAP_CASH_TAIL
    else:
        value = finance.money(collateral * rate)
        basis = client_text.EST_CAP_BASIS.format(
            collateral=yuan(collateral),
            name=policy.render(HAIRCUT_NAMES[kind]),
            up_to=client_text.EST_CAP_UP_TO if kind in ("etf", "csi300", "other_stock") else "",
            rate=fmt_pct(rate),
            value=yuan(value),
        )
        formula = client_text.EST_CAP_FORMULA
        tail = client_text.EST_CAP_TAIL
    text = LABEL + client_text.EST_CAPACITY.format(
        note=note,
        basis=basis,
        used=fmt_pct(used),
        amount=yuan(amount),
        formula=formula,
        tail=tail,
        reminder=risk_reminder(policy),
    )
    figures = {"amount": plain(collateral), "ratio": _s(ratio), "haircut": haircut}
    return Estimate(
        text, "margin_initial_ratio" if kind == "cash" else "margin_collateral_haircut", "capacity", figures
    )


def mixed_capacity(policy: Policy, parts: Sequence[Tuple[Decimal, str]], ratio: Optional[Decimal]) -> Estimate:
    """Financing on collateral of several kinds ("国债20万，再加100万沪深300的股票"): each
    part at its haircut, the sum over the margin ratio."""
    used, note = _margin_ratio(policy, ratio)
    shown, total = [], Decimal(0)
    for collateral, kind in parts:
        rate = Decimal(str(policy.get(f"margin.haircuts.{kind}")))
        value = finance.money(collateral * rate)
        total += value
        template = client_text.EST_CAP_PART_CASH if kind == "cash" else client_text.EST_CAP_PART
        shown.append(
            template.format(
                collateral=yuan(collateral),
                name=policy.render(HAIRCUT_NAMES[kind]),
                up_to=client_text.EST_CAP_UP_TO if kind in ("etf", "csi300", "other_stock") else "",
                rate=fmt_pct(rate),
                value=yuan(value),
            )
        )
    text = LABEL + client_text.EST_CAPACITY.format(
        note=note,
        basis=client_text.EST_CAP_PARTS_BASIS.format(parts="、".join(shown), value=yuan(total)),
        used=fmt_pct(used),
        amount=yuan(finance.financing_capacity(total, used)),
        formula=client_text.EST_CAP_PARTS_FORMULA,
        tail=client_text.EST_CAP_TAIL,
        reminder=risk_reminder(policy),
    )
    figures = {"parts": ",".join(f"{plain(c)}:{k}" for c, k in parts), "ratio": _s(ratio)}
    return Estimate(text, "margin_collateral_haircut", "capacity", figures)


def collateral_parts(f: Figures) -> Optional[List[Tuple[Decimal, str]]]:
    """The collateral a message lists by kind, when it states two or more amounts and each
    has its kind named (or is plainly cash or stocks)."""
    if len(f.amounts) < 2 or len(f.kinds) != len(f.amounts):
        return None
    parts: List[Tuple[Decimal, str]] = []
    for (value, role), kind in zip(f.amounts, f.kinds):
        if role not in (None, "cash", "stocks"):
            return None  # a debt, a line or a total is not one more piece of collateral
        kind = kind or {"cash": "cash", "stocks": "other_stock"}.get(role or "")
        if kind is None or not _valid_amount(value):
            return None
        parts.append((value, kind))
    return parts


def _read_parts(value: Any) -> Optional[List[Tuple[Decimal, str]]]:
    """The parts kept in the slot ("200000:government_bond,…"), or None when malformed."""
    if not isinstance(value, str) or not value:
        return None
    parts: List[Tuple[Decimal, str]] = []
    for item in value.split(",")[:10]:
        amount, _, kind = item.partition(":")
        number = _dec(amount)
        if kind not in HAIRCUT_NAMES or not _valid_amount(number) or number is None:
            return None
        parts.append((number, kind))
    return parts


ZONES = {
    "liquidation": client_text.EST_ZONE_LIQUIDATION,
    "call": client_text.EST_ZONE_CALL,
    "warning": client_text.EST_ZONE_WARNING,
    "safe": client_text.EST_ZONE_SAFE,
    "withdrawable": client_text.EST_ZONE_WITHDRAWABLE,
}


# the entry that explains what happens in each zone of a stated ratio
ZONE_TOPICS = {
    "liquidation": "margincall_forced_liquidation",
    "call": "margincall_deadline",
    "warning": "margincall_warning_line",
    "safe": "margincall_maintenance_ratio",
    "withdrawable": "margincall_withdrawal",
}


def _line_figures(policy: Policy) -> Dict[str, Any]:
    return {
        "liq": fmt_pct(policy.get("margin_call.immediate_liquidation_line")),
        "call": fmt_pct(policy.get("margin_call.call_line")),
        "warning": fmt_pct(policy.get("margin_call.warning_line")),
        "withdraw": fmt_pct(policy.get("margin_call.withdrawal_line")),
        "restore": fmt_pct(policy.get("margin_call.restore_to")),
        "days": policy.get("margin_call.deadline_trading_days"),
    }


STATED_RATIOS = (Decimal("0.5"), Decimal("10"))  # outside these a percentage is no maintenance ratio


def stated_ratio(policy: Policy, ratio: Decimal) -> Optional[Estimate]:
    """A maintenance ratio the client states (a fraction, 1.2 = 120%): its zone and what
    follows; None when the figure cannot be one."""
    if not STATED_RATIOS[0] <= ratio <= STATED_RATIOS[1]:
        return None
    zone = finance.zone(ratio, policy)
    fmt = _line_figures(policy)
    text = client_text.EST_STATED_RATIO.format(
        ratio=_pct(ratio), zone=ZONES[zone].format(**fmt), reminder=risk_reminder(policy), **fmt
    )
    return Estimate(LABEL + text, ZONE_TOPICS[zone], "stated_ratio", {"ratio": plain(ratio)})


def account(
    policy: Policy,
    debt: Decimal,
    cash: Optional[Decimal] = None,
    stocks: Optional[Decimal] = None,
    total: Optional[Decimal] = None,
    aspect: str = "ratio",
    take: Optional[Decimal] = None,
    move: Optional[Decimal] = None,
    ask_fall: bool = False,
) -> Estimate:
    """维持担保比例 from stated assets and debt, and what was asked about it: a fall to the
    call / liquidation line, the amount above the withdrawal line, or the ratio after a
    withdrawal (`take`, else the most allowed) or a price move (`move` percent). With
    `ask_fall` ("要是跌了会咋样"), the fall to simulate is asked for as well."""
    lines = {k: policy.dec(f"margin_call.{k}") for k in ("warning_line", "call_line", "immediate_liquidation_line")}
    withdraw_line = policy.dec("margin_call.withdrawal_line")
    if cash is None and stocks is None:
        cash_v, stocks_v = Decimal(0), total or Decimal(0)
    else:
        cash_v, stocks_v = cash or Decimal(0), stocks or Decimal(0)
        if total is not None and cash is None:
            cash_v = max(Decimal(0), total - stocks_v)
        elif total is not None and stocks is None:
            stocks_v = max(Decimal(0), total - cash_v)
    snap = finance.stated_snapshot(cash_v, stocks_v, debt)
    ratio = snap.ratio
    figures = {
        "debt": plain(debt),
        "cash": _s(cash),
        "stocks": _s(stocks),
        "total": _s(total),
        "aspect": aspect,
        "move": _s(move) if aspect == "fall" else None,  # "30呢" next: another fall
    }
    figures = {k: v for k, v in figures.items() if v is not None}
    if ratio is None:
        return Estimate(
            LABEL + client_text.EST_ACCOUNT_NO_DEBT,
            "margincall_maintenance_ratio",
            "account",
            figures,
        )
    fmt = _line_figures(policy)
    parts = []
    if cash is not None or stocks is not None:
        assets = client_text.EST_ACCOUNT_PARTS.format(cash=yuan(cash_v), stocks=yuan(stocks_v))
    else:
        assets = client_text.EST_ACCOUNT_TOTAL.format(total=yuan(snap.total_assets))
    parts.append(
        client_text.EST_ACCOUNT_RATIO.format(
            assets=assets,
            debt=yuan(debt),
            ratio=_pct(ratio),
            zone=ZONES[finance.zone(ratio, policy)].format(**fmt),
            **fmt,
        )
    )
    topic = "margincall_maintenance_ratio"
    if aspect == "restore":  # "要存多少钱进去才够": back to the restore line
        topic = "margincall_deadline"
        target = policy.dec("margin_call.restore_to")
        if ratio >= target:
            parts.append(client_text.EST_RESTORE_ALREADY.format(restore=fmt["restore"]))
        else:
            parts.append(
                client_text.EST_RESTORE.format(
                    restore=fmt["restore"],
                    cash=yuan(finance.cash_to_restore(snap, target)),
                    repay=yuan(finance.repayment_to_restore(snap, target)),
                    debt=yuan(debt),
                    assets=yuan(snap.total_assets),
                )
            )
            sale = finance.sale_to_restore(snap, target)
            if sale is not None:
                parts.append(client_text.EST_RESTORE_SALE.format(sale=yuan(sale), restore=fmt["restore"]))
    elif aspect == "fall" and move is not None:
        after = finance.after_price_move(snap, -abs(move))
        parts.append(
            client_text.EST_ACCOUNT_MOVE.format(
                move=plain(abs(move)),
                ratio=_pct(after.ratio or Decimal(0)),
                zone=ZONES[finance.zone(after.ratio, policy)].format(**fmt),
            )
        )
    elif aspect == "fall":
        topic = "margincall_trigger"
        falls = []
        for key, name in (
            ("call_line", client_text.LINE_CALL),
            ("immediate_liquidation_line", client_text.LINE_LIQUIDATION),
        ):
            fall = finance.fall_to_line(snap, lines[key])
            if fall is not None:
                falls.append(
                    client_text.EST_FALL_TO.format(
                        fall=plain(fall.quantize(Decimal("0.01"))), name=name, line=fmt_pct(lines[key])
                    )
                    if fall > 0
                    else client_text.EST_BELOW_LINE.format(name=name, line=fmt_pct(lines[key]))
                )
        if falls:
            all_stocks = cash is None and stocks is None
            note = client_text.EST_FALL_ALL_STOCKS if all_stocks else client_text.EST_FALL_DEBT_SAME
            parts.append(
                client_text.EST_FALLS.format(falls=client_text.EST_CLAUSE_SEP.join(falls), note=note, call=fmt["call"])
            )
        if ask_fall:
            parts.append(client_text.EST_ASK_FALL.format(fall=fmt_pct(Decimal("0.2"))))
    elif aspect in ("withdraw", "after"):
        topic = "margincall_withdrawal"
        most = finance.excess_over_line(snap.total_assets, debt, withdraw_line)
        if take is not None:
            left = snap.total_assets - take
            after_ratio = left / debt
            ok = take <= most
            verdict = client_text.EST_TAKE_OK if ok else client_text.EST_TAKE_TOO_MUCH
            parts.append(
                client_text.EST_TAKE.format(
                    take=yuan(take),
                    ratio=_pct(after_ratio),
                    left=yuan(left),
                    debt=yuan(debt),
                    verdict=verdict.format(withdraw=fmt["withdraw"]),
                    most=yuan(most),
                )
            )
        elif most <= 0:
            parts.append(client_text.EST_NO_WITHDRAWAL.format(withdraw=fmt["withdraw"]))
        else:
            after_ratio = (snap.total_assets - most) / debt
            most_text = client_text.EST_MOST.format(
                withdraw=fmt["withdraw"], most=yuan(most), total=yuan(snap.total_assets), debt=yuan(debt)
            )
            after_text = client_text.EST_AFTER.format(
                ratio=_pct(after_ratio), left=yuan(snap.total_assets - most), debt=yuan(debt)
            )
            if aspect == "after":
                parts.insert(0, after_text)
                parts.append(most_text)
            else:
                parts.append(client_text.EST_CLAUSE_SEP.join((most_text, after_text)))
        if take is not None:
            figures["take"] = plain(take)
    text = LABEL + client_text.EST_ACCOUNT.format(
        parts=client_text.EST_PART_SEP.join(parts), reminder=risk_reminder(policy)
    )
    return Estimate(text, topic, "account", figures)


# -- deciding -----------------------------------------------------------------------------
def _dec(value: Any) -> Optional[Decimal]:
    """A figure kept in the slot, or None when it is not one (a finite amount a plan may have)."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and abs(number) <= SLOT_FIGURE_MAX else None


SLOT_FIGURE_MAX = Decimal("1e12")
SHORT_TIER_MAX_CHARS = 8  # a tier named without its 型 only in a short follow-up ("要是平衡的呢")


def _aspect(t: str) -> Optional[str]:
    if _RESTORE.search(t):
        return "restore"
    if _AFTER_WITHDRAW.search(t):
        return "after"
    if _WITHDRAW.search(t):
        return "withdraw"
    if _FALL.search(t):
        return "fall"
    if _RATIO.search(t):
        return "ratio"
    return None


def _valid_amount(value: Optional[Decimal]) -> bool:
    return value is not None and 0 < value <= Decimal("1000000000")


def _valid_days(days: Optional[int]) -> bool:
    return days is not None and 0 < days <= 3650


def _fresh(t: str, f: Figures, policy: Policy) -> Optional[Estimate]:
    """An estimate the message asks for on its own."""
    amount = f.first(None, "cash", "total", "stocks", "net", "debt", "line") if f.amounts else None
    roles = f.by_role()
    if "line" in roles and _USED.search(t) and _LEFT.search(t):  # "授信100w 融资用了40w 还剩多少"
        used = [v for v, r in f.amounts if r in (None, "debt")]
        if used and all(_valid_amount(v) for v in used):
            return line_left(policy, roles["line"], sum(used, Decimal(0)))
    if _valid_amount(amount) and amount is not None:
        if _valid_days(f.days) and f.days is not None and _PENALTY.search(t):
            return penalty(policy, amount, f.days)
        if _valid_days(f.days) and f.days is not None and _INTEREST.search(t):
            return interest(policy, amount, f.days, lending=f.side == "lending")
        if f.days is None and _INTEREST.search(t) and _BORROW.search(t) and set(roles) <= {"debt"}:
            # "借36w利息多少": the days, please (the amount is kept)
            kind = "penalty" if _PENALTY.search(t) else "interest"
            return _missing({}, kind, amount, None, f.side or "financing")
        if (
            "debt" in roles
            and len(f.percents) == 1
            and _RATIO.search(t)
            and not {"cash", "stocks", "total"} & set(roles)
        ):
            ratio = f.percents[0] / 100  # "比例350%，负债80万，最多可以取多少": the assets are ratio × debt
            if STATED_RATIOS[0] <= ratio <= STATED_RATIOS[1]:
                total = finance.money(ratio * roles["debt"])
                return account(policy, roles["debt"], total=total, aspect=_aspect(t) or "ratio")
        # (the account stated alone, "股票80w 没现金 借了50w", asks for its ratio too)
        if "debt" in roles and ({"cash", "stocks", "total"} & set(roles)) and (_ASK.search(t) or not _OPEN.search(t)):
            return account(
                policy,
                roles["debt"],
                roles.get("cash"),
                roles.get("stocks"),
                roles.get("total"),
                _aspect(t) or "ratio",
                move=f.percents[0] if f.percents and _FALL.search(t) else None,
                ask_fall=bool(_FALL.search(t)) and not f.percents and not _HOW_FAR.search(t),
            )
        assets = roles.get("net") or roles.get("total") or f.first(None, "cash", "stocks")
        stated_line = "net" in roles and not _OPEN.search(t)  # "我是稳健型，净资产六十万左右": the line they may get
        if f.tier and (_LINE.search(t) or _CAPACITY.search(t) or stated_line) and assets is not None:
            return credit_line(policy, f.tier, assets)
        if (_CAPACITY.search(t) or (f.haircut and _COLLATERAL_VALUE.search(t))) and not _INTEREST.search(t):
            ratio = f.percents[0] / 100 if f.percents else None
            parts = collateral_parts(f)
            return mixed_capacity(policy, parts, ratio) if parts else capacity(policy, amount, ratio, f.haircut)
        if _OPEN.search(t) and _HAS_MONEY.search(t) and not _LINE.search(t):
            return eligibility(policy, assets=assets or amount)
    if (
        not f.amounts
        and len(f.percents) == 1
        and _RATIO.search(t)
        and _RATIO_NOW.search(t)
        and not _RATIO_LINE.search(t)
    ):
        found = stated_ratio(policy, f.percents[0] / 100)  # "比例掉到120%了怎么办": that ratio's zone
        if found is not None:
            return found
    if _OPEN.search(t) or _ASK.search(t):
        age = f.age if f.age is not None and 0 < f.age < 130 else None
        months = f.months if f.months is not None and _EXPERIENCE.search(t) and not f.amounts else None
        score = f.score if f.score is not None and 0 <= f.score <= 100 and _TEST.search(t) else None
        if age is not None or months is not None or score is not None:
            if age is not None and not (_OPEN.search(t) or _AGE_RULE.search(t)):
                return None  # an age alone is only an eligibility question when it asks about opening
            return eligibility(policy, age=age, months=months, score=score)
    return None


_LEANS = re.compile(r"那|要是|如果|假如|万一|换成|改成")  # a message that starts by leaning on the last one
_SAME = re.compile(r"same|一样|同样|不变|照旧|也是")  # "融券呢, same amount same days"
BARE_DAYS_MAX_CHARS = 6  # "180呢", "那120呢"
SIDE_MAX_CHARS = 8  # "那融券呢", "我是想问融资": the other side of the same estimate
MISSING_MAX_CHARS = 12  # a short message after an interest rule is its figure ("借的是72万")
_BORROW = re.compile(r"借|融资|融券|用了|使用")


def _partial(kind: str, topic: str, ask: str, figures: Mapping[str, Any]) -> Estimate:
    """An estimate with part of its figures: a question for the rest (what was given is
    kept in the slot for the next message)."""
    return Estimate(ask, topic, kind, {k: v for k, v in figures.items() if v is not None})


def _missing(
    previous: Mapping[str, Any], kind: str, amount: Optional[Decimal], days: Optional[int], side: Any
) -> Estimate:
    """An interest or penalty estimate with one of its two figures: a question for the other."""
    if amount is None:
        ask = client_text.EST_NEED_AMOUNT
    else:
        ask = client_text.EST_NEED_DAYS_LATE if kind == "penalty" else client_text.EST_NEED_DAYS
    figures = {"amount": plain(amount) if amount is not None else None, "days": days, "side": side}
    topic = str(previous.get("topic") or ("interest_calculation" if kind == "interest" else "interest_overdue_penalty"))
    return _partial(kind, topic, ask, figures)


def _line_follow_up(
    t: str, f: Figures, previous: Mapping[str, Any], policy: Policy, amount: Optional[Decimal]
) -> Optional[Estimate]:
    """A credit-line estimate's next figure: the tier or the net assets (the other is asked
    for while missing), or what is used of the line ("用了100万 还有多少")."""
    tier, assets = f.tier or previous.get("tier"), _dec(previous.get("assets"))
    topic = "risk_tier_credit_strategy"
    if amount is not None and tier and assets is not None and _USED.search(t) and _LEFT.search(t):
        found = line_left(policy, finance.line_cap(policy, str(tier), assets), amount)
        return Estimate(found.text, found.topic, "line", {"tier": tier, "assets": plain(assets)})
    if f.tier is None and amount is None:
        return None
    if f.tier is None and not (len(t) <= MISSING_MAX_CHARS or f.first("net", "total")):
        return None  # an amount in a longer message about something else
    assets = amount if amount is not None else assets
    if tier and assets is not None:
        return credit_line(policy, str(tier), assets)
    if tier:
        name = policy.tier(str(tier))["name"]
        return _partial("line", topic, client_text.EST_NEED_NET_ASSETS.format(have=name), {"tier": tier})
    assert assets is not None
    return _partial("line", topic, client_text.EST_NEED_TIER.format(have=yuan(assets)), {"assets": plain(assets)})


def _follow_up(t: str, f: Figures, previous: Mapping[str, Any], policy: Policy) -> Optional[Estimate]:
    """The last estimate with what this message changes; None when it changes nothing
    that estimate uses."""
    kind = previous.get("kind")
    amount = f.first(None, "cash", "total", "stocks", "net", "debt", "line")
    amount = amount if _valid_amount(amount) else None
    days = f.days if _valid_days(f.days) else None
    if days is None and amount is None and len(f.bare) == 1 and previous.get("days") and len(t) <= BARE_DAYS_MAX_CHARS:
        days = f.bare[0] if _valid_days(f.bare[0]) else None  # "180呢" after "90天呢": the days again
    if kind in ("interest", "penalty"):
        if kind == "interest" and _PENALTY.search(t) and amount is None:
            base, used = _dec(previous.get("amount")), previous.get("days")
            if days is not None and base is not None and used:  # "结息日没交上 拖了10天呢": on that interest
                unpaid = interest_due(policy, base, int(used), previous.get("side") == "lending")
                return penalty(policy, unpaid, days)
            return None  # "那罚息呢", "逾期呢": the penalty rule, not this loan's interest
        side = f.side if kind == "interest" and f.side != previous.get("side") else None
        said = split_denial(t)[1] or t  # ("讲错了，我是想问融资，不是融券": what is asked after the denial)
        longer = len(_NOT_SIDE.sub("", said)) > SIDE_MAX_CHARS and not _SAME.search(t)
        if side and amount is None and days is None and (_RATE.search(t) or longer):
            return None  # "融券利率呢": the rate itself, a knowledge answer; a longer message is its own
        if amount is None and days is None and side is None:
            return None
        base = _dec(previous.get("amount"))
        new_amount = amount or base
        new_days = days or previous.get("days")
        if new_amount is None or not new_days:  # "借的是72万": kept, and the other figure asked for
            if amount is None and days is None:
                return None  # ("那融券呢" after the rule alone: the other side's rule)
            about_it = len(t) <= MISSING_MAX_CHARS or _INTEREST.search(t) or _BORROW.search(t)
            return _missing(previous, kind, new_amount, new_days, side or previous.get("side")) if about_it else None
        if kind == "penalty":
            return penalty(policy, new_amount, int(new_days))
        lending = (side or previous.get("side")) == "lending"
        return interest(policy, new_amount, int(new_days), lending)
    if kind == "eligibility" and f.tier and previous.get("assets"):
        assets = amount or _dec(previous.get("assets"))
        return credit_line(policy, f.tier, assets) if assets is not None else None
    if kind == "line":
        return _line_follow_up(t, f, previous, policy, amount)
    if kind == "line_left" and amount is not None:  # "再融20w呢": that much more used
        line, used = _dec(previous.get("line")), _dec(previous.get("used")) or Decimal(0)
        if line is None:
            return None
        return line_left(policy, line, used + amount if _MORE_USED.search(t) else amount)
    if kind == "eligibility":
        age = f.age
        if age is None and previous.get("age") is not None and len(f.bare) == 1 and not f.amounts:
            age = f.bare[0]  # "那我爸 69 呢"
        age = age if age is not None and 0 < age < 130 else None
        experience = _EXPERIENCE.search(t) or previous.get("months") is not None
        months = f.months if f.months is not None and not f.amounts and experience else None  # not "再过两年"
        score = f.score if f.score is not None and 0 <= f.score <= 100 else None
        added = None
        assets = None
        if amount is not None:
            if _MORE.search(t) and previous.get("assets"):
                added = amount
                assets = (_dec(previous.get("assets")) or Decimal(0)) + amount
            else:
                assets = amount
        if assets is None and age is None and months is None and score is None:
            return None
        return eligibility(policy, assets=assets, age=age, months=months, score=score, added=added)
    if kind == "capacity":
        ratio = f.percents[0] / 100 if f.percents else _dec(previous.get("ratio"))
        haircut = f.haircut or previous.get("haircut")
        if amount is None and not f.percents and not f.haircut:
            return None
        parts = collateral_parts(f) or (
            _read_parts(previous.get("parts")) if amount is None and not f.haircut else None
        )
        if parts:  # "那保证金比例120%呢" after collateral of several kinds: the same parts
            return mixed_capacity(policy, parts, ratio)
        base = amount or _dec(previous.get("amount"))
        return capacity(policy, base, ratio, haircut) if base is not None else None
    if kind == "stated_ratio":  # "那125%呢": another ratio
        ratio = f.percents[0] / 100 if len(f.percents) == 1 and not f.amounts else None
        return stated_ratio(policy, ratio) if ratio is not None else None
    if kind == "account":
        return _account_follow_up(t, f, previous, policy, amount)
    return None


def _account_follow_up(
    t: str, f: Figures, previous: Mapping[str, Any], policy: Policy, amount: Optional[Decimal]
) -> Optional[Estimate]:
    figures = {k: _dec(previous.get(k)) for k in ("debt", "cash", "stocks", "total")}
    aspect = _aspect(t)
    if aspect is None and previous.get("aspect") == "restore" and _OTHER_WAY.search(t):
        aspect = "restore"  # "不补钱 卖券还款的话要卖多少": the same goal, each way of reaching it
    roles = f.by_role()
    changed = False
    for role in ("debt", "cash", "stocks", "total"):
        if role in roles and _valid_amount(roles[role]):
            figures[role], changed = roles[role], True
    if amount is not None and not roles and figures["stocks"] is not None and _TO_LEVEL.search(t):
        figures["stocks"], changed = amount, True  # "再跌到70w呢" after the stocks were stated: their new value
    fallen = _dec(previous.get("move")) if previous.get("aspect") == "fall" else None
    if aspect == "restore" and fallen is not None and figures["stocks"] is not None and 0 < fallen < 100:
        # "那要补多少cash才能回到150" right after "跌50%": from the holdings after that fall
        figures["stocks"], changed = finance.money(figures["stocks"] * (100 - fallen) / 100), True
    take = None
    if amount is not None and not roles and aspect in ("withdraw", "after"):
        take = amount  # "那取100w呢"
    if aspect in ("withdraw", "after") and take is None and previous.get("take") and aspect == "after":
        take = _dec(previous.get("take"))
    move = f.percents[0] if f.percents and aspect == "fall" else None
    if move is None and not (f.percents or f.amounts) and len(f.bare) == 1 and 0 < f.bare[0] < 100:
        if (aspect or previous.get("aspect")) == "fall" and (aspect or previous.get("move")):
            move, aspect = Decimal(f.bare[0]), "fall"  # "跌20呢", then "30呢": a fall of that many percent
    if move is None and (aspect or previous.get("aspect")) == "fall" and not f.percents:
        move = _dec(previous.get("move"))  # the fall asked about before the figures came
    level = f.percents[0] / 100 if len(f.percents) == 1 and not f.amounts and _RATIO_NOW.search(t) else None
    if level is not None and figures["debt"] is not None and STATED_RATIOS[0] <= level <= STATED_RATIOS[1]:
        # "如果跌到280%呢": the same debt at that ratio
        figures.update(cash=None, stocks=None, total=finance.money(level * figures["debt"]))
        changed, move = True, None
        aspect = aspect if aspect != "fall" else None
    if not changed and aspect is None and take is None:
        return None
    debt = figures["debt"]
    kept = {k: _s(v) for k, v in figures.items()} | {"aspect": aspect or previous.get("aspect")}
    has_assets = any(figures[k] is not None for k in ("cash", "stocks", "total"))
    topic = "margincall_maintenance_ratio"
    if debt is None:  # "现金5万元，股票85万元": and the debt?
        if not changed:
            return None
        have = client_text.EST_LIST_SEP.join(
            f"{name}{yuan(figures[k])}" for k, name in _ASSET_NAMES if figures[k] is not None
        )
        return _partial("account", topic, client_text.EST_NEED_DEBT.format(have=have), kept)
    if not has_assets:  # "欠了60万": and the assets?
        return _partial("account", topic, client_text.EST_NEED_ASSETS.format(have=yuan(debt)), kept)
    return _account_of(policy, debt, figures, aspect or str(previous.get("aspect") or "ratio"), take, move)


_ASSET_NAMES = (
    ("cash", client_text.EST_NAME_CASH),
    ("stocks", client_text.EST_NAME_STOCKS),
    ("total", client_text.EST_NAME_TOTAL),
)


_KEPT_WORDS = ("kind", "topic", "side", "aspect", "parts")
_KEPT_AMOUNTS = ("amount", "debt", "cash", "stocks", "total", "assets", "take", "ratio", "line", "used", "move")
_KEPT_COUNTS = {"days": 3650, "age": 130, "months": 1200, "score": 100}


def kept_figures(previous: Mapping[str, Any], policy: Policy) -> Dict[str, Any]:
    """The last estimate's slot value with only well-formed figures (a slot written by an older
    version, or by hand through the tracker store, cannot break the next estimate)."""
    out: Dict[str, Any] = {k: previous[k] for k in _KEPT_WORDS if isinstance(previous.get(k), str)}
    for key in _KEPT_AMOUNTS:
        value = _dec(previous.get(key))
        if value is not None and value >= 0:
            out[key] = plain(value)
    for key, most in _KEPT_COUNTS.items():
        value = previous.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most:
            out[key] = value
    if previous.get("tier") in policy.tier_codes():
        out["tier"] = previous["tier"]
    return out


def same_family(topic: str, context_ids: Sequence[str]) -> bool:
    """Whether the context still holds `topic` or a rule of its family (margincall_…, interest_…)."""
    family = topic.split("_", 1)[0] + "_"
    return topic in context_ids or any(i.startswith(family) for i in context_ids[:1])


def previous_estimate(tracker: Tracker, context_ids: Sequence[str]) -> Optional[Dict[str, Any]]:
    """The last estimate of this conversation, while it is still what the conversation is
    about: the context (reset on a new identity) still holds its topic."""
    value = tracker.get_slot(SLOT)
    if isinstance(value, dict) and value.get("kind") and same_family(str(value.get("topic")), context_ids):
        return value  # (a neighbouring rule in between: "刚好150算不算警戒" → "if 股票跌到80w呢")
    # after a rule's knowledge answer ("融资利率多少"), figures for that rule ("借10万30天呢")
    # start an estimate of its kind
    topic = next((i for i in context_ids if i in TOPIC_KINDS), None)
    return {"topic": topic, **TOPIC_KINDS[topic]} if topic else None


# the actions whose answers an estimate's next figure may follow (not a personal answer,
# whose follow-ups "那20万呢" are that answer's own)
KNOWLEDGE_ACTIONS = frozenset({"action_answer_faq", "action_clarify", "action_out_of_scope", "action_converse"})


def estimate_in_turn(tracker: Tracker, policy: Policy) -> Optional[Estimate]:
    """The estimate the latest message asks for, read with the conversation's last
    estimate or rule when a knowledge answer came just before ("算下利息" → "30万 60天")."""
    latest = tracker.latest_message or {}
    previous = None
    if last_action(tracker) in KNOWLEDGE_ACTIONS:
        previous = previous_estimate(tracker, Context.from_tracker(tracker).ids)
    return estimate(latest.get("text") or "", latest.get("entities") or [], policy, previous)


TOPIC_KINDS: Dict[str, Dict[str, Any]] = {
    "interest_financing_rate": {"kind": "interest", "side": "financing"},
    "interest_calculation": {"kind": "interest", "side": "financing"},
    "interest_lending_rate": {"kind": "interest", "side": "lending"},
    "interest_overdue_penalty": {"kind": "penalty"},
    "risk_tier_credit_strategy": {"kind": "line"},
    "eligibility_assets": {"kind": "eligibility"},
    "eligibility_age": {"kind": "eligibility", "age": 0},
    "margin_initial_ratio": {"kind": "capacity"},
    "margin_collateral_haircut": {"kind": "capacity"},
    "margincall_maintenance_ratio": {"kind": "account"},
    "margincall_withdrawal": {"kind": "account", "aspect": "withdraw"},
}


def estimate(
    text: str,
    entities: Sequence[Mapping[str, Any]],
    policy: Policy,
    previous: Optional[Mapping[str, Any]] = None,
) -> Optional[Estimate]:
    """An estimate when the message states the figures one of the rules needs, or, after
    an estimate (`previous`, the slot's value), a figure or question that changes it."""
    t = normalize(text)
    if not t:
        return None
    if _DAY_COUNT.search(t):
        return None  # "两个都按360天一年算？": the day count, a rule, not 360 days of interest
    previous = kept_figures(previous, policy) if previous else None
    f = read_figures(t, entities, policy)
    again = _again(previous, policy) if previous and _EXPLAIN.search(t) and f.days is None else None
    if again is not None and all(yuan(value) in again.text for value, _ in f.amounts):
        return again  # "这个3,400是怎么算出来的" (a figure it showed): that estimate, with its formula
    fresh = _fresh(t, f, policy)
    if previous and fresh is not None and fresh.kind != previous.get("kind") and _LEANS.match(t):
        # "那要是我净资产涨到300万，是不是就能借150万" after a credit line: that line again
        return _follow_up(t, f, previous, policy) or fresh
    if previous and fresh is not None and fresh.kind == previous.get("kind") == "account" and _aspect(t) is None:
        # the account's figures after "补多少才回到150" or "跌两成会怎样": that question, answered
        return _follow_up(t, f, previous, policy) or fresh
    if fresh is not None or not previous:
        return fresh
    return _follow_up(t, f, previous, policy)


_DAY_COUNT = re.compile(r"360天?(?:为|算|当)?一年|一年(?:按|算|是)?360")
_EXPLAIN = re.compile(
    r"怎么算|咋算|如何算|怎样算|怎么来的|咋来的|怎么得出|算出来|怎么计算|点计|点样计|how.{0,12}(?:calculat|comput)"
)


def _again(previous: Mapping[str, Any], policy: Policy) -> Optional[Estimate]:
    """The last estimate computed again from its kept figures, or None when it cannot be."""
    kind = previous.get("kind")
    amount, days = _dec(previous.get("amount")), previous.get("days")
    if kind in ("interest", "penalty") and amount is not None and isinstance(days, int) and _valid_days(days):
        if kind == "penalty":
            return penalty(policy, amount, days)
        return interest(policy, amount, days, previous.get("side") == "lending")
    debt = _dec(previous.get("debt"))
    if kind == "account" and debt is not None:
        figures = {k: _dec(previous.get(k)) for k in ("cash", "stocks", "total")}
        aspect = str(previous.get("aspect") or "ratio")
        return _account_of(policy, debt, figures, aspect, _dec(previous.get("take")), _dec(previous.get("move")))
    return None


def _account_of(
    policy: Policy,
    debt: Decimal,
    figures: Mapping[str, Optional[Decimal]],
    aspect: str,
    take: Optional[Decimal],
    move: Optional[Decimal],
) -> Estimate:
    """The ratio estimate on kept or updated figures (cash, stocks, total) and that debt."""
    return account(policy, debt, figures["cash"], figures["stocks"], figures["total"], aspect, take=take, move=move)


def goal_request(text: str, policy: Policy) -> Optional[Estimate]:
    """ "要补多少钱才能回到150%" before any login and without figures: the figures it needs are
    asked for (the next message's are estimated against the restore line). "要是股票跌20% 我维持
    担保比例变多少" likewise: the account's figures, for that fall."""
    t = normalize(text)
    f = read_figures(t, [], policy)
    if not f.amounts and len(f.percents) == 1 and _FALL.search(t) and _RATIO.search(t) and 0 < f.percents[0] < 100:
        move = plain(f.percents[0])
        ask = client_text.EST_ASK_ACCOUNT_MOVE.format(move=move)
        return _partial("account", "margincall_maintenance_ratio", ask, {"aspect": "fall", "move": move})
    if not (_RESTORE.search(t) and _HOW_MUCH.search(t)) or read_figures(t, [], policy).amounts:
        return None
    if _LINE_WHERE.search(t):
        return None  # "跌到多少要补钱的那个比例": where the call line lies, a rule
    ask = client_text.EST_ASK_RESTORE.format(restore=fmt_pct(policy.get("margin_call.restore_to")))
    return _partial("account", "margincall_deadline", ask, {"aspect": "restore"})


# what to ask for, by estimate kind, when a calculation request states no figures
FIGURES_WANTED = {
    "interest": client_text.EST_ASK_INTEREST,
    "penalty": client_text.EST_ASK_PENALTY,
    "line": client_text.EST_ASK_LINE,
    "eligibility": client_text.EST_ASK_ELIGIBILITY,
    "capacity": client_text.EST_ASK_CAPACITY,
    "account": client_text.EST_ASK_ACCOUNT,
}


RATIO_TOPIC = "margincall_maintenance_ratio"


def pending_account(policy: Policy, move: Optional[str]) -> Estimate:
    """A what-if on a market move without the account's figures ("跌了会不会追保 帮我算"): the
    figures asked for, and the move kept for when they come."""
    figures: Dict[str, Any] = {"aspect": "fall"} | ({"move": move} if move else {})
    if move:
        text = client_text.EST_ASK_ACCOUNT_MOVE.format(move=move)
    else:
        text = client_text.EST_ASK_ACCOUNT_FALL.format(**_line_figures(policy))
    return Estimate(text, RATIO_TOPIC, "account", figures)


def topic_side(topic: str) -> Optional[str]:
    """The side (financing | lending) an interest rule is about, if any."""
    side = TOPIC_KINDS.get(topic, {}).get("side")
    return str(side) if side else None


def figures_wanted(topic: str) -> Optional[str]:
    """For a calculation request answered with `topic`'s rule: the figures to ask for."""
    kind = TOPIC_KINDS.get(topic, {}).get("kind")
    return FIGURES_WANTED.get(str(kind)) if kind else None
