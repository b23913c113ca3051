"""Reading a what-if request or a personal follow-up from one message (pure: no database).

Used by the simulation form's validation (in-process), by the knowledge actions (to hand a
personal follow-up to the action server) and by the personal actions themselves, so every
path reads a message the same way, whatever intent the NLU gave it.

A request is a *move* and its *figure*:

    fall / rise               "跌15%", "15个点", "一半", "跌了20万"       pct:15 | amt:200000
    finance                   "再融资20万", "全用完"                     amt:200000 | all
    cash / collateral         "转10万现金进去", "存30w入去"              amt:100000
    repay / withdraw          "还款5万", "取100w", "全部取出"            amt:… | all
    repay_new                 "从外面转20万进来还款" (new money, not the account's cash)
    sell_repay                "卖掉一半股票来还钱"                       pct:50 | amt:…
    goal_cash / goal_repay /  "要转多少才够150%", "还多少才能回到150"     pct:150 (the target line)
    goal_sell

A move without its figure that asks what it would do ("补点钱比例能到多少", "要是行情涨了我比例
能到多少") is ("simulate", move): the simulation form asks for the figure.

A follow-up on the state just shown (the `last_lookup` slot, see `State`) is one of the moves
above, or: can_finance ("那我现在还能融资买吗"), withdraw_max ("最多能取多少"), assessment
("有效期到什么时候", "过期了会怎样"), vip ("我有专属经理不"), confirm ("那就超过150%了吧").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker

from actions.common import verified_client_id
from actions.estimate import SLOT_FIGURE_MAX, estimate_in_turn, read_figures
from core.knowledge.context import asks_what_if_not, split_denial
from core.policy import Policy, plain
from core.text import normalize
from core.values import cn_number

SLOT_STATE = "last_lookup"
FOLLOWUP_ACTION = "action_personal_followup"
ALL = "all"  # figure: the whole available quota / withdrawable amount / debt
PCT_KINDS = ("fall", "rise")
GOALS = ("goal_cash", "goal_repay", "goal_sell")
SIMULATE = "simulate"  # a move without its figure: ("simulate", move)
SIM_FORM = "simulate_form"
SLOT_SIM_KIND = "sim_kind"
SLOT_SIM_FIGURE = "sim_figure"
MOVES = ("fall", "rise", "finance", "cash", "collateral", "repay", "repay_new", "withdraw", "sell_repay", *GOALS)
ANSWERS = (
    "why_line",
    "can_finance",
    "withdraw_max",
    "assessment",
    "vip",
    "confirm",
    "interest_available",
    "interest_debt",
    "interest_short",
    "interest_move",
    "line_at",
    "tier_line",
    "fall_to",
    "retier",
    "line_cut",
    "if_not",
)
# another figure of the same account, named in a short follow-up ("总的呢", "担保比例呢",
# "最晚啥时候"): answered by that figure's own lookup (actions/followup.py); first match wins
FIGURES = (
    ("figure_ratio", re.compile(r"担保比例|维持比例|担保比|比例|ratio")),
    ("figure_deadline", re.compile(r"最晚|最迟|截止|期限|deadline|几时|什么时候|啥时候|哪天|何时")),
    ("figure_quota", re.compile(r"总的|总额|总共|一共|授信|额度|已用|用了多少|剩|还有多少|quota|limit")),
    ("figure_tier", re.compile(r"风险等级|等级|测评结果|级别|tier")),
)
FIGURE_KINDS = (*(name for name, _ in FIGURES), "figure_eligibility", "figure_account")
# after the opening rules were checked: which of them failed, and by how much ("具体差在哪")
_WHY_NOT_OPEN = re.compile(
    r"为什么|为啥|为何|差在哪|差哪|哪条|哪一条|哪些条件|缺什么|差什么|还差|差多少|不符合|哪里不|why"
)
FIGURE_MAX_CHARS = 12  # longer messages say enough to be read on their own
PERSONAL_ACTIONS = frozenset(
    {
        "action_query_quota",
        "action_query_risk_tier",
        "action_query_margin_status",
        "action_check_eligibility",
        "action_simulate_margin",
        "action_personal_followup",
    }
)


def _alt(*words: str) -> str:
    """One regex alternative group of the words (regex syntax allowed in each)."""
    return "(?:" + "|".join(words) + ")"


_SELF = re.compile(r"我|本人|俺|my\b|\bi\b|\bme\b")
_TAKE = _alt(
    r"(?<![获领读争录选听提])取(?!消|决|得|代|名|线)",
    r"提取(?!线)",
    "提现|提钱|提走|提出",
    r"提(?:些|点|啲|一些|一点|部分)(?:钱|资金|现金)",
    r"提(?=\d|多少|几多|一半)",
    "攞|拿出|拿走|转出|出金",
)
_REPAY = _alt(
    "还款|还钱|还债|还贷|偿还|还掉|还清|还上|归还|还融资|还负债",
    "[要来去先直接再都共]还",
    "还[0-9一二两三四五六七八九十几多]",
    "还一半",
    "还(?:点|些|一点|一些|一部分|部分)",  # "我还点钱进去"
    "还(?:吧|啦|了)?$",  # "卖50个还"
)
_CASH_REPAY = re.compile(r"直接还|现金还|用现金|拿现金|用钱还")
# money from outside the credit account ("从外面转20万进来", "自己掏10万出来")
_OUTSIDE = _alt("从外面|外面|外部|场外|银行|自己掏|另外拿|额外拿|掏", r"转[^出]{0,8}(?:进来|进去|入)")
_SELL = r"(?:卖掉|卖出|卖了|卖|沽|抛掉|抛|减仓|清仓|清掉|清了|平掉|变卖|变现)"
_IN = r"(?:进去|进来|进|入去|入嚟|入来|入)"
_SECURITIES = r"(?:股票|证券|债券|国债|基金|etf|担保物|担保品)"
_AMOUNT_Q = re.compile(r"多少|几多|几钱|多钱|how much")
_HALF = re.compile(r"一半|腰斩|对半|半仓")
# an amount the assets fall or rise to, not by ("总资产跌到100w"): figure "to:1000000"
_HOLDINGS = re.compile(r"市值|股票|持仓|仓位|票")  # (not "资产", the assets with the cash)
_TO_LEVEL = re.compile(r"(?:跌|降|掉|缩水|涨|升|变|回)(?:到|至|成)(?:了)?\s*$|(?:只剩|剩下|剩)(?:了)?\s*$")
_TENTHS = re.compile(r"([一二两三四五六七八九]|[1-9])\s*成(半)?")  # 一成半 = 15%
_POINTS = re.compile(r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百]+)\s*(?:个百分点|个点|点)")
_ALL = re.compile(r"全部|全用|用完|用光|用满|用尽|用足|用掉|满额|全额|全取|全提|全还|清空|借满|融满|全借|全融|all\b")
_ALL_QUOTA = re.compile(r"用完|用光|用满|用尽|用足|用掉|满额|全用|全部用|借满|融满|全借|全融|全部借")
_TARGET_NUM = re.compile(
    r"(?:到|够|回|过|上|高于|超过|达到|恢复|返|至)\s*([1-9][0-9]{2}(?:\.[0-9]+)?)\s*(?:%|个点|以上)?"
)
_LINE_NAMES = (
    ("警戒线", "margin_call.warning_line"),
    ("追保线", "margin_call.call_line"),
    ("平仓线", "margin_call.immediate_liquidation_line"),
    ("提取线", "margin_call.withdrawal_line"),
)
# the line an event names when no line is ("跌多少会追保", "跌多少会被强平")
_LINE_EVENTS = (
    ("预警", "margin_call.warning_line"),
    ("警戒", "margin_call.warning_line"),
    ("警告", "margin_call.warning_line"),
    ("强平", "margin_call.immediate_liquidation_line"),
    ("平仓", "margin_call.immediate_liquidation_line"),
    ("被平", "margin_call.immediate_liquidation_line"),
    ("斩仓", "margin_call.immediate_liquidation_line"),
    ("通知", "margin_call.warning_line"),  # the first message is the warning's ("跌到什么程度会通知我")
    ("提醒", "margin_call.warning_line"),
    ("短信", "margin_call.warning_line"),
)
# the resulting ratio asked for ("比例能到多少", "ratio会变多少", "个比例係幾多"), not an amount
_OUTCOME_Q = re.compile(
    r"(?:能|会|可以|可)(?:到|回到|变成|变为|升到|涨到|变|是|係)(?:多少|几多|几)|(?:回到|变成|变为|升到|涨到|变到)(?:多少|几多)"
    r"|(?:比例|ratio|维持担保)\s*(?:会|能)"  # ("我现在ratio多少" asks the ratio as it is)
    r"|(?:之后|之後|以后|以後|完|后).{0,8}(?:比例|ratio)|恢复到?(?:多少|几多)"
    r"|会(?:怎样|怎么样|咋样|如何)|模拟|测算|算下|算一下|计下|计算一下|帮我算|快算"
)
# the sale asked for ("卖股票来还呢，要卖多少"): how much to sell to be safe again
_SELL_ASKED = re.compile(r"(?:要|需要|得|该)?卖(?:掉|出|了)?(?:多少|几多)")
# a line crossed ("跌破追保线会怎样", "跌到130会怎样"): the rule for it, not a simulation
_PAST_A_LINE = re.compile(r"线|跌破|低于|跌到|跌至|高于|超过|不足|以下|以上|追保|平仓|强平|预警")
# an amount asked for ("补多少才够", "要存多少钱"): a goal
_AMOUNT_ASKED = re.compile(
    r"(?:补|存|转|追加|卖|卖掉|卖出|入|还款)(?:多少|几多)|(?:要|需要|得|该)(?:还|卖|存|补|转)?(?:多少|几多)|多少钱|几多钱|几钱"
)
_GOAL = re.compile(r"才|先|够|回到|恢复|达到|超过|高于|解除|补足|补够|达标|脱离")
# the money still missing ("还差多少到150"), not points ("差几个点")
_SHORT_BY = re.compile(r"差(?:多少|几多)(?!个?百分点|个?点)")
# whether they will be sold out now ("你们是不是马上就平我仓")
_LIQUIDATION_Q = re.compile(
    r"(?:马上|立刻|立即|直接|现在|会不会|是不是|要不要)(?:就)?(?:会)?(?:被|把我)?(?:强制平仓|强平|平仓|斩仓|平我|卖我|卖掉)"
)
# only "what do I do now?" ("那咋办", "我该怎么处理呢")
_ONLY_WHAT_TO_DO = re.compile(
    r"(?:那|那么|所以|现在|那现在)?(?:我)?(?:该|要|应该|需要)?(?:怎么办|怎么做|怎么处理|如何处理|怎么搞|怎么弄)(?:呢|啊|呀|才好|好)?[?？!！。.~\s]*"
)
_RESTORE_WORDS = re.compile(r"解除|补足|补够|恢复|达标|脱离|不被追|不用追|出追保")

KIND_PATTERNS: List[Tuple[str, re.Pattern[str]]] = [
    ("sell_repay", re.compile(_SELL + r".{0,12}" + _REPAY)),
    ("repay_new", re.compile(_OUTSIDE + r".{0,12}" + _REPAY)),
    ("repay", re.compile(_REPAY)),
    ("withdraw", re.compile(_TAKE + r"|(?:转|拿|提)[^进入]{0,8}(?:出来|出去|出嚟|出)")),
    (
        "collateral",
        re.compile(
            r"(?:转|存|放|打|划|买)[^出]{0,8}"
            + _SECURITIES
            + r".{0,4}"
            + _IN
            + r"|"
            + _SECURITIES
            + r".{0,6}(?:转|存|放|划).{0,3}"
            + _IN
            + r"|划入|担保物|担保品"
        ),
    ),
    (
        "cash",
        re.compile(
            r"(?:转|存|打|汇|放|拿|充|入|补|加)[^出]{0,8}(?<!买)(?<!融)"  # ("拿去融资买入": a purchase)
            + _IN
            + r"|追加|存入|入金|存钱|存|补钱|加钱|补|现金|cash|充值|(?:^|[^收流])入(?=\s*[0-9一二两三四五六七八九十])"
            # "我而家加50萬夠唔夠": a sum added, not a purchase on margin
            + r"|(?:^|[^增追])加\s*(?=[0-9一二两三四五六七八九十][0-9.一二两三四五六七八九十百千万w]*\s*"
            + r"(?:万|w|元|块)?(?!.{0,3}(?:融|借|买|杠杆|仓)))"
        ),
    ),
    ("finance", re.compile(r"再融资|融资|借|加杠杆|杠杆|买入|加仓|融|(?<![卖收])买(?=\s*\d)|" + _ALL_QUOTA.pattern)),
    ("rise", re.compile(r"上涨|涨|上升|反弹|升|(?:^|\s)\+\s*\d")),
    ("fall", re.compile(r"下跌|跌|亏|缩水|腰斩|回撤|暴跌|降|跌穿|(?:^|\s)[-−]\s*\d")),
]
_CAN = _alt(
    "can|能不能|能否|可不可以|可唔可以|可以|可否|可|能|还能|还可以|点先可以",
    "点样先|怎样才能|怎么才能|如何才能|怎么样才能|什么时候能|什么时候可以|几时可以",
    "几时能|要点|要怎样|要怎么|要咋",
)
_CAN_FINANCE = re.compile(
    _CAN + r".{0,6}(?:融资|融券|再融|借钱|借|加仓|开仓|卖空|用(?:吗|不|嘛|么|啊|呀|得|这|额度|$|\?|？))"
    r"|能用(?!多少|几多)|用得了|用唔用得|可以用(?!多少|几多)"
    r"|(?:再融资|再融|融资|借钱|加仓).{0,8}(?:可不可以|可以吗|行吗|行不行|能吗|行不|得不得)"
)
# the interest on what is left of the client's own line ("用完剩下的额度融资30天 利息多少")
_AVAILABLE_INTEREST = re.compile(
    r"(?:剩下|剩余|可用|全部|所有|余下)的?(?:额度|授信)|额度(?:全部|都)?用完|(?:全部|都|额度)用(?:完|晒|哂|光|满)"
    r"|(?:全|都|全部)(?:借|融|用)(?:了|完|出来|满)?|(?:借|融)(?:满|光|完)"
)
_OWN_DEBT = re.compile(
    r"我(?:现在|目前|而家)?(?:的|嘅)?(?:融资)?(?:负债|欠款|借款)|我(?:现在)?(?:欠|借)的"
    r"|(?:已经|已)?(?:用了|用掉|已用|借了|融了)的(?:那|这)?(?:部分|些|笔)?|(?:融资|借款|负债)(?:的)?(?:那|这)(?:部分|笔)"
)
_OWN_SHORT = re.compile(r"融券(?:的|嘅)?(?:那|这)?(?:部分|笔)|我(?:的|嘅)?融券|融券(?:负债|市值)")
_FALL_TO_Q = re.compile(r"跌(?:多少|几多|几个点|几成|百分之几)|跌到什么程度|能扛|扛得住|撑得住|how far")
_ACCOUNT_STATE = re.compile(
    r"(?:账户|户口|仓位)(?:现在|目前|而家)?(?:是)?(?:啥|什么|咩|怎么样|咋样|点样)?(?:情况|状况|状态)"
    r"|(?:账户|户口|仓位)(?:现在|目前|而家|今天|今日)?(?:怎么样|咋样|点样|点|如何|还好吗|还好吧|没事吧|没问题吧|有事吗|有冇事|安全吗|安不安全)"
    r"|(?:比例|ratio)(?:现在|目前|而家|今天|今日)?(?:怎么样|咋样|点样|如何|还好吗|还好吧|没事吧|安全吗|安不安全|还够吗|够不够|还行吗)"
)
_ACCOUNT_PROBLEM = re.compile(r"(?:账号|账户|户口|号)(?:是不是|有|有没有|有冇)?(?:啥|什么|咩)?(?:问题|异常|毛病)")
_RATIO_ASKED = re.compile(
    r"\d+(?:\.\d+)?%|(?<![\d.])\d{2,3}(?:\.\d+)?(?![\d.万元天w])|比例|怎么算|咋算|这个数|这么低|这么高"
)
_RETEST = re.compile(
    r"重新(?:去|再)?(?:做|搞|弄|考)?(?:个|一下|一次|一个)?(?:风险)?测|重测|再测|重做(?:风险)?测评|重新评估|retake|re-?assess"
)
# the client cannot take money out ("钱咋取不出来"): what their ratio allows
_CANNOT_TAKE = re.compile(r"(?:取|提|转)(?:不出|不了|唔到|不到|唔出)|(?:取|提)(?:钱|现|款)(?:失败|不成功)")
_NET_ASSETS = re.compile(r"净资产|身家|net assets?|net worth")
_LINE_Q = re.compile(r"额度|授信|批|credit line")
_INTEREST_Q = re.compile(r"利息|息|费用|多少钱|几多钱|省多少|省几多")
AMOUNT_MOVES = ("finance", "repay", "repay_new", "sell_repay")  # moves whose figure is a sum of money
_CANNOT_FINANCE = re.compile(
    r"(?:融资|融券)?买不进|融不了|借不了|买不了|用不了额度|不能融资|融资不了|下不了单|(?:融资|融券|买入).{0,4}(?:整不了|弄不了)"
    r"|(?:融资|融券).{0,6}(?:disabled|点不了|点了没反应|没反应|灰色|按钮灰|无法买入|不能买入)"
)
# the line after a market cut ("万一大跌额度被砍 我最少还剩多少额度")
_LINE_CUT = re.compile(
    r"(?:被砍|砍额度|被下调|下调|被调低|调低|被降|降额).{0,12}(?:最少|最低|还剩|剩多少|剩下|会变成|变成多少)"
)
# a verified client asking for one of their own figures in a longer message
_ASKS_OWN = re.compile(r"多少|几多|几时|什么时候|啥时候|最晚|最迟|截止|哪天|什么情况|怎么样了|咋样了|check")
OWN_FIGURES = (
    ("figure_ratio", re.compile(r"担保比例|维持比例|担保比|ratio|margin\s*status|维保")),
    ("figure_deadline", re.compile(r"最晚|最迟|截止|deadline|什么时候之前|几时之前|哪天之前")),
    ("figure_quota", re.compile(r"授信|额度|quota")),
    ("figure_tier", re.compile(r"风险等级|测评结果|tier")),
)
_KNOWLEDGE = re.compile(
    r"能开|开通|开两融|哪些|哪只|哪个|什么股票|啥股票|利率|利息|费率|条件|流程|怎么开|开户|区别|是什么|什么是"
    r"|结息|罚息|展期|合约|折算|标的|讲座|销户"
)
_WITHDRAW_Q = re.compile(
    r"(?:can|最多|能不能|能否|可不可以|可唔可以|可以|能|可|还能|几多|多少|how much).{0,6}"
    + _TAKE
    + r"|"
    + _TAKE
    + r".{0,6}(?:多少|几多|吗|不|嘛|么|出来|出嚟|出去|钱)"
)
_VIP = re.compile(r"专属经理|客户经理|服务经理|理财经理|vip|贵宾|专属客服|专人|经理")
_ASSESS = re.compile(r"测评|风险等级|评估|问卷|风测")
_OPEN_Q = re.compile(r"能开|可以开|开得了|开通|就能|就可以|够格|符合")
_EXPIRY = re.compile(r"有效期|到期|过期|过了期|过咗期|失效|几时到|什么时候到|啥时候到|用到|有效|expire|expiry|valid")
_CONFIRM = re.compile(r"吧|吗|么|嘛|对吧|是不是|是吗|对不对|够了|够不够|够吗|没问题|安全|就|咯|啦|未|没事|ok")
_SAFE = re.compile(r"安全|够了|没事|没问题|解除|脱离|不会被|不用追|过关")
_RATIO = re.compile(r"比例|ratio|担保比")
# a figure the client worked out, to be checked against their account ("我自己算的…对不")
_OWN_CHECK = re.compile(r"我(?:自己)?(?:算|计)(?:的|出来|出嚟|咗)")
_HUMAN = re.compile(r"人工|转接|真人|客服电话")
_THIS_FIGURE = re.compile(
    r"这个数|这数|这么多|这么少|这么高|这么低|这么点|这个额度|只有|才|多少|咁少|咁多|咁高|咁低|净系|淨係|\d+万"
)
_CHARGED = re.compile(r"扣|我的融资利息|我.{0,4}要付|我.{0,4}要交")
_ELIGIBILITY_SHORT = re.compile(r"资产|差多少|差几多|到多少|够不够|才够|才行")
_PER_DAY = re.compile(r"每天|每日|一天|日息|per day|a day|daily")  # the interest of one day
_LEFT_ASKED = re.compile(r"剩|可用|比.{0,8}少|少了|少这么多")
# how a credit line is set, or its ceiling ("额度是按风险等级算的吗", "授信上限多少")
_LINE_BASIS = re.compile(
    r"(?:额度|授信).{0,10}(?:按|根据|依据|跟|看).{0,8}(?:算|定|核定|批|来)|(?:额度|授信)(?:的)?(?:上限|最高|封顶)"
)
_WHY = re.compile(
    r"为什么|为啥|为何|凭什么|怎么来的|咋来的|怎么定的|怎么算的|咋算的|依据|why|(?:咋|怎么|为啥)(?:会)?这么"
)


@dataclass(frozen=True)
class State:
    """The verified client's last personal answer (the `last_lookup` slot): what kind of state
    was shown ("quota", "risk_tier", "margin_status", "eligibility", "what_if"), whose it was,
    at which user turn, and the simulation's move and figure ("withdraw amt:500000")."""

    kind: str
    client: str
    turn: int
    sim: Optional[str] = None

    def as_slot(self) -> Dict[str, Any]:
        return {"kind": self.kind, "client": self.client, "turn": self.turn, "sim": self.sim}

    @property
    def sim_move(self) -> Optional[Tuple[str, str]]:
        kind, _, figure = (self.sim or "").partition(" ")
        return (kind, figure) if kind in MOVES and figure else None


def names_a_tier(t: str, policy: Policy) -> bool:
    """Whether the (normalised) message names a risk tier ("成长型")."""
    return any(str(x["name"]) in t for x in policy.get("risk_tiers.tiers"))


def shown_kind(state: Optional[State]) -> str:
    return state.kind if state is not None else ""


def user_turns(tracker: Tracker) -> int:
    return sum(1 for e in tracker.events or [] if e.get("event") == "user")


def state_of(tracker: Tracker) -> Optional[State]:
    """The last personal state, only for the identity verified now (a new identity starts afresh)."""
    raw = tracker.get_slot(SLOT_STATE)
    client = verified_client_id(tracker)
    if not isinstance(raw, dict) or client is None or raw.get("client") != client:
        return None
    try:
        return State(str(raw["kind"]), client, int(raw.get("turn") or 0), raw.get("sim") or None)
    except (KeyError, TypeError, ValueError):
        return None


def just_shown(tracker: Tracker, state: Optional[State]) -> bool:
    """The personal answer was the bot's last answer (the turn before this message)."""
    return state is not None and state.turn == user_turns(tracker) - 1


def _decimal(value: Any) -> Optional[Decimal]:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _entity(entities: List[Dict[str, Any]], name: str) -> Optional[Decimal]:
    for e in entities:
        if e.get("entity") == name:
            d = _decimal(e.get("value"))
            if d is not None:
                return d
    return None


def kind_in(text: str) -> Optional[str]:
    t = normalize(text)
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(t):
            return kind
    return None


def figure_in(text: str, entities: List[Dict[str, Any]]) -> Optional[str]:
    """ "pct:15", "amt:200000" or "all" from a message, or None ("跌15%", "15个点", "一半", "30w")."""
    t = normalize(text)
    pct = _entity(entities, "percent")
    if pct is None:
        m = _POINTS.search(t)
        if m and m.group(0) == "一点":
            m = None  # "取一点钱": a little, no figure
        if m:
            pct = Decimal(m.group(1)) if m.group(1)[0].isdigit() else cn_number(m.group(1))
        elif _HALF.search(t):
            pct = Decimal(50)
        elif _TENTHS.search(t):
            found = _TENTHS.search(t)
            digit = found.group(1)  # type: ignore[union-attr]
            tenths = Decimal(digit) if digit.isdigit() else cn_number(digit)
            pct = None if tenths is None else tenths * 10 + (5 if found.group(2) else 0)  # type: ignore[union-attr]
    if pct is not None:
        return f"pct:{plain(pct)}"
    amount = _entity(entities, "amount")
    if amount is not None:
        start = next((int(e.get("start") or 0) for e in entities if e.get("entity") == "amount"), 0)
        before = normalize(text[:start]) if start else ""
        if not _TO_LEVEL.search(before):
            return f"amt:{plain(amount)}"
        return f"{'mv' if _HOLDINGS.search(before) else 'to'}:{plain(amount)}"  # "市值就剩100万": the holdings
    return ALL if _ALL.search(t) else None


_BARE_NUMBER = re.compile(r"(?<![\d.])(\d{1,4}(?:\.\d+)?)\s*(个)?(?![\d.%])")


def bare_figure(text: str, kind: Optional[str]) -> Optional[str]:
    """A figure without its unit, read for the move asked about: "那40呢" after a fall is 40%;
    "还10个" is 10万 (spoken "个" for 万 in amounts). None when unclear."""
    t = normalize(text)
    numbers = _BARE_NUMBER.findall(t)
    if len(numbers) != 1 or kind is None:
        return None
    raw, ge = numbers[0]
    value = Decimal(raw)
    if kind in PCT_KINDS:
        return f"pct:{plain(value)}" if not ge and 0 < value <= 100 else None
    if kind in MOVES and kind not in GOALS and ge and 0 < value <= 100000:
        return f"amt:{plain(value * 10000)}"
    return None


def target_in(text: str, entities: List[Dict[str, Any]], policy: Policy) -> Optional[Decimal]:
    """The line a goal names, in percent: "150%", "回到150", "警戒线以上"; None if none is named."""
    t = normalize(text)
    pct = _entity(entities, "percent")
    if pct is not None and Decimal(100) < pct <= Decimal(1000):
        return pct
    m = _TARGET_NUM.search(t)
    if m:
        return Decimal(m.group(1))
    for name, path in _LINE_NAMES:
        if name in t:
            return policy.dec(path) * 100
    return None


def goal_in(text: str, entities: List[Dict[str, Any]], policy: Policy) -> Optional[Tuple[str, str]]:
    """ "要转多少才够150%" → ("goal_cash", "pct:150"); "还多少才能回到150" → ("goal_repay", …)."""
    t = normalize(text)
    if not _AMOUNT_Q.search(t) or re.search(_TAKE, t):
        return None
    target = target_in(text, entities, policy)
    figure = figure_in(text, entities)
    if figure is not None and figure != ALL and (target is None or figure != f"pct:{plain(target)}"):
        return None  # "卖掉一半…比例会回到多少": the move has its figure; the ratio is the question
    restore = _RESTORE_WORDS.search(t) is not None
    if target is None and _OUTCOME_Q.search(t) and not _AMOUNT_ASKED.search(t):
        return None  # "补点钱能回到多少": the ratio after a move, whose figure is asked for
    if target is None and not (restore or _GOAL.search(t) or re.search(r"补|追加", t) or _SELL_ASKED.search(t)):
        return None  # "还能借多少": a quota question, not a goal
    if re.search(_SELL, t):
        kind = "goal_sell"
    elif re.search(_REPAY, t):
        kind = "goal_repay"
    elif re.search(r"转|存|补|追加|入金|打|放|加|入|现金", t) or _SHORT_BY.search(t):
        kind = "goal_cash"
    else:
        return None
    goal = target if target is not None else policy.dec("margin_call.restore_to") * 100
    return kind, f"pct:{plain(goal)}"


def read_move(text: str, entities: List[Dict[str, Any]], policy: Policy) -> Tuple[Optional[str], Optional[str]]:
    """(move, figure) of a what-if request; either may be None (the form asks for the figure)."""
    goal = goal_in(text, entities, policy)
    if goal is not None:
        return goal
    kind = kind_in(text)
    figure = figure_in(text, entities)
    t = normalize(text)
    if kind in PCT_KINDS and figure == ALL:
        figure = None
    if kind in ("finance", None) and figure == ALL and _ALL_QUOTA.search(t):
        kind = "finance"
    if kind == "sell_repay" and (figure == ALL or (figure is None and re.search(r"全卖|清仓|所有", t))):
        figure = "pct:100"
    return kind, figure


def read_followup(
    text: str, entities: List[Dict[str, Any]], state: Optional[State], recent: bool, policy: Policy
) -> Optional[Tuple[str, Optional[str]]]:
    """What a verified client's message asks about their own state, or None.

    A short follow-up is read against the state just shown (`recent`); a question that names
    the client ("我能取钱吗") is answered from their record whenever they are verified."""
    t = normalize(text)
    if not t or _HUMAN.search(t):
        return None
    if recent and _OWN_ELLIPSIS.match(t) and shown_kind(state) in _OWN_FIGURES:
        return _OWN_FIGURES[str(shown_kind(state))], None  # "咁我自己嘅呢": their figure just shown, again
    kind, figure = read_move(text, entities, policy)
    if _SELF.search(t) and figure is None and _ACCOUNT_PROBLEM.search(t):
        return "figure_account", None  # "我账户有啥问题吗": their ratio, and an expired assessment
    if _SELF.search(t) and figure is None and _ACCOUNT_STATE.search(t):
        return "figure_ratio", None  # "今日跌咗好多 我個戶口點": their account now, no what-if
    # about the client's own account: a move with its figure asked about the ratio ("额度全部用掉
    # 比例会咋样"), or what a move without its figure would do ("补点钱能回到多少")
    outcome = (
        not names_a_tier(t, policy)  # "升到成長型會變幾多": the line at that tier, no market move
        and kind in MOVES
        and figure is None
        and bool(_OUTCOME_Q.search(t))
        and not (asks_what_if_not(t) or _KNOWLEDGE.search(t) or _PAST_A_LINE.search(t))
        and (kind != "finance" or _RATIO.search(t) is not None)  # ("融资…会怎样" is often a rule question)
    )
    own = (
        _SELF.search(t) is not None
        or (kind is not None and figure is not None and _RATIO.search(t) is not None)
        or outcome
    )
    if kind == "fall" and figure is None and (own or recent) and _FALL_TO_Q.search(t):
        # "我的股票跌多少会碰到警戒线": the fall that takes them to that line (to the call line
        # when only the event is named: "跌多少会追保", "能扛多少跌幅")
        target = target_in(text, entities, policy)
        if target is None:
            named = next((path for word, path in _LINE_EVENTS if word in t), "margin_call.call_line")
            target = policy.dec(named) * 100
        return "fall_to", plain(target)
    stated = read_figures(t, entities, policy)
    net = stated.first("net", None) if _NET_ASSETS.search(t) and not stated.tier else None
    if net is not None and 0 < net < SLOT_FIGURE_MAX and (own or recent or _LINE_Q.search(t) or len(t) <= 12):
        return "line_at", plain(net)  # "净资产200万的话": the line at their own tier
    if _CANNOT_TAKE.search(t) and figure is None and not _KNOWLEDGE.search(t):
        return "withdraw_max", None  # "钱咋取不出来": their ratio against the withdrawal line
    if not (recent or own or _CANNOT_FINANCE.search(t) or _CAN_FINANCE.search(t)):
        return None
    if recent and shown_kind(state) == "eligibility" and _ELIGIBILITY_SHORT.search(t):
        return "figure_eligibility", None  # "那我资产还差多少才够呀": the opening rules with what is short
    if kind in GOALS:
        return kind, figure
    if outcome:
        return SIMULATE, kind  # the form asks for the figure (with a margin call said first)
    days = stated.days if stated.days is not None else (1 if _PER_DAY.search(t) else None)
    if _INTEREST_Q.search(t) and days is not None and 0 < days <= 3650 and not stated.amounts:
        base = interest_base(t, state.sim_move if recent and state is not None else None)
        if base is None and recent and shown_kind(state) in ("margin_status", "quota"):
            base = "interest_debt"  # "一个季度利息大概多少 按90天" after their debt was shown
        if base is not None:  # "用了的那部分一天利息多少", "借30天要多少利息" after a simulated financing
            return base, str(days)
    if _CANNOT_FINANCE.search(t):  # "融资买不进去 咋回事": what blocks it on their account
        return "can_finance", None
    why_ratio = _WHY.search(t) and (len(t) <= 4 or (_RATIO_ASKED.search(t) and len(t) <= 16))
    if recent and shown_kind(state) == "margin_status" and why_ratio:
        return "figure_ratio", None  # "点解会系128%？点计㗎": the lookup, which shows its computation
    if recent and shown_kind(state) == "quota" and _WHY.search(t) and _LEFT_ASKED.search(t) and len(t) <= 16:
        return "figure_quota", None  # "为啥就剩这么点": what is used and what is left, from their record
    if recent and shown_kind(state) == "quota" and _WHY.search(t) and _THIS_FIGURE.search(t) and len(t) <= 14:
        return "why_line", None  # "为什么是这个数呢": how their line was set
    if (own or (recent and shown_kind(state) in ("quota", "risk_tier"))) and _LINE_BASIS.search(t):
        return "why_line", None  # "额度是按这个等级算的吗 上限多少": how their line is set
    if recent and shown_kind(state) == "eligibility" and _WHY_NOT_OPEN.search(t) and len(t) <= 16:
        return "figure_eligibility", None  # "why, 具体差在哪": the rules again, with what is short
    if _LINE_CUT.search(t):
        return "line_cut", None
    shown = state.kind if state is not None else ""
    if asks_what_if_not(t) and figure is None and recent and shown in ("margin_status", "what_if", "quota"):
        return "if_not", None  # "要是来不及会怎么样": what follows on their account
    if _LIQUIDATION_Q.search(t) and figure is None and recent and shown in ("margin_status", "what_if"):
        return "if_not", None  # "那你们是不是马上就平我仓": when liquidation comes, on their account
    if _ONLY_WHAT_TO_DO.fullmatch(t) and recent and shown == "margin_status":
        # "咋办" after their ratio: what restores the maintenance ratio (or that nothing is needed)
        return "goal_cash", f"pct:{plain(policy.dec('margin_call.restore_to') * 100)}"
    tier = stated.tier
    if tier and _RETEST.search(t) and not _LINE_Q.search(t) and (recent and shown in ("eligibility", "risk_tier")):
        return "retier", tier  # "那我要是重新测评成稳健型呢": the opening rules with that tier
    if tier and not _OPEN_Q.search(t) and ((recent and shown in ("quota", "risk_tier")) or (own and _LINE_Q.search(t))):
        return "tier_line", tier  # "那我是成长型呢": the line their net assets would get at that tier
    if tier and _OPEN_Q.search(t) and (shown in ("eligibility", "risk_tier") or own):
        return "retier", tier  # "那我重新测个稳健型是不是就能开了": the rules with that tier
    if not tier and _RETEST.search(t) and recent and shown in ("eligibility", "risk_tier") and len(t) <= 20:
        return "retier", None  # "那我重新测评呢": the other rules, with any tier that may open
    if own and _ACCOUNT_STATE.search(t):
        return "figure_ratio", None  # "我账户现在啥情况": their ratio and any margin call
    if _KNOWLEDGE.search(t):
        return None
    if kind is None and recent and shown in ("what_if", "margin_status") and _CONFIRM.search(t):
        if target_in(text, entities, policy) is not None or _SAFE.search(t):
            return "confirm", None  # "那就超过150%了吧": the figure just shown against that line
    last = state.sim_move if state is not None else None
    if figure is None and recent and last is not None:
        figure = bare_figure(text, kind or last[0])  # "那40呢", "还10个"
    if kind == "repay" and last is not None and last[0] in ("sell_repay", "goal_sell") and not _CASH_REPAY.search(t):
        kind = "sell_repay"  # "还110万" right after selling to repay: that many securities sold
    if figure is not None:
        if kind is None and recent and last is not None:  # "那20万呢": the last move, a new figure
            kind = None if (last[0] in PCT_KINDS and figure == ALL) else last[0]
        return (kind, figure) if kind in MOVES else None
    if _WITHDRAW_Q.search(t):
        return "withdraw_max", None
    if _CAN_FINANCE.search(t):
        return "can_finance", None
    if _VIP.search(t):
        return "vip", None
    if _ASSESS.search(t) and _EXPIRY.search(t):
        return "assessment", None
    if recent and _EXPIRY.search(t) and shown in ("risk_tier", "eligibility", "quota", "what_if"):
        if "过期" in t or "失效" in t or shown in ("risk_tier", "eligibility"):
            return "assessment", None
    if recent and not own and len(t) <= FIGURE_MAX_CHARS:  # ("我的额度多少" is a question of its own)
        return next(((name, None) for name, pattern in FIGURES if pattern.search(t)), None)
    if (own or recent) and len(t) > FIGURE_MAX_CHARS and _ASKS_OWN.search(t) and not _KNOWLEDGE.search(t):
        # "请问我这个账户现在的担保比例是多少呀？昨天营业部…", "那我最晚要在什么时候之前弄好": their figure
        return next(((name, None) for name, pattern in OWN_FIGURES if pattern.search(t)), None)
    return None


_OWN_QUOTA_Q = re.compile(
    r"(?:额度|授信|quota).{0,6}(?:还剩|剩下|剩多少|剩几多|还有多少|可用|available)"
    r"|(?:可用|剩余|剩下|available)\s?(?:的)?\s?(?:额度|quota)"
)
_OWN_RATIO_Q = re.compile(r"(?:担保比例|维持比例|比例|维保|ratio).{0,4}(?:多少|几多|是多少|\?|？|呢|$)")
# whether the client is in a margin call now ("margin call了吗", "我被追保了没"): their account
_OWN_CALL_Q = re.compile(
    r"^(?:那|那么|所以)?(?:我|俺)?(?:现在|目前)?(?:是不是|有没有|有冇)?(?:被)?(?:追保|强平|强制平仓|爆仓)(?:了(?:吗|没有?|么|嘛|未|$)|吗|没有?|么)"
)
_RULE_Q = re.compile(r"怎么|如何|咋|什么意思|啥意思|是啥|为什么|为啥|规则|定义|保证金|提取线|警戒|追保线|平仓线")


# "那我自己的呢", "咁我自己嘅呢" after a rule: the client's own figure for that rule
_OWN_ELLIPSIS = re.compile(
    r"^(?:那|那么|咁|所以)?(?:我|俺|本人)(?:自己|自已|本人)?(?:的|嘅)?(?:账户|户口)?"
    r"(?:呢|是多少|多少|是几多|几多|怎么样|咋样|如何|情况呢?|现在呢)?[?？!！。.~\s]*$"
)
# the figure each lookup shows
_OWN_FIGURES = {
    "margin_status": "figure_ratio",
    "quota": "figure_quota",
    "risk_tier": "figure_tier",
    "eligibility": "figure_eligibility",
}
# the lookup that shows a rule's figure on the client's own account, by faq id prefix
_TOPIC_LOOKUPS = (
    ("margincall_", "action_query_margin_status"),
    ("quota_", "action_query_quota"),
    ("risk_", "action_query_risk_tier"),
    ("eligibility_risk_tier", "action_query_risk_tier"),
    ("eligibility_", "action_check_eligibility"),
)


def _undenied(text: str) -> str:
    """The message without its leading denials ("算了不用了 直接告诉我ratio多少")."""
    for _ in range(3):
        denied, rest = split_denial(text)
        if not denied or not rest:
            break
        text = rest
    return _NO_NEED.sub("", normalize(text)) or text


_NO_NEED = re.compile(r"^(?:不用了|不用|不必了|唔使|冇所谓)[，,。.！!\s]*")


def own_lookup(text: str, topics: Sequence[str] = ()) -> Optional[str]:
    """The lookup a verified client's short question about their own figure stands for, when
    the NLU read it as a knowledge question ("rz额度还剩多少", "俺比例多少", "那我自己的呢" after
    the rule `topics` just answered); None otherwise."""
    t = normalize(_undenied(text))
    if topics and _OWN_ELLIPSIS.match(t):
        return next((action for prefix, action in _TOPIC_LOOKUPS if topics[0].startswith(prefix)), None)
    if len(t) > FIGURE_MAX_CHARS or _KNOWLEDGE.search(t) or _RULE_Q.search(t):
        return None
    if _OWN_QUOTA_Q.search(t):
        return "action_query_quota"
    if (_SELF.search(t) and _OWN_RATIO_Q.search(t)) or _OWN_CALL_Q.search(t):
        return "action_query_margin_status"
    return None


def interest_base(t: str, last_move: Optional[Tuple[str, str]]) -> Optional[str]:
    """What an interest question without its amount is about: the client's short position,
    their whole available quota, their financing debt, or the sum just simulated."""
    if _OWN_SHORT.search(t):
        return "interest_short"
    if _AVAILABLE_INTEREST.search(t):
        return "interest_available"
    if _OWN_DEBT.search(t):
        return "interest_debt"
    if last_move is not None and last_move[0] in AMOUNT_MOVES and last_move[1].startswith("amt:"):
        return "interest_move"
    if _CHARGED.search(t):  # "利息每天扣多少": what their financing debt costs
        return "interest_debt"
    return None


def followup_of(tracker: Tracker, policy: Policy) -> Optional[Tuple[str, Optional[str]]]:
    """The follow-up in the latest message of a verified client, read against their state."""
    if verified_client_id(tracker) is None:
        return None
    latest = tracker.latest_message or {}
    text, entities = latest.get("text") or "", latest.get("entities") or []
    said = normalize(text)
    if _OWN_CHECK.search(said) and _RATIO.search(said):
        return "figure_ratio", None  # "我自己算的维持比例是250% 对不": checked against their account
    if estimate_in_turn(tracker, policy) is not None:  # figures the client states: an estimate
        return None
    state = state_of(tracker)
    return read_followup(text, entities, state, just_shown(tracker, state), policy)
