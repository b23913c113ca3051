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
_EN_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "last": -1}
_EN_CHOICE = re.compile(r"^(?:the\s*)?(first|1st|second|2nd|third|3rd|last)(?:\s*(?:one|option))?$")
# "第二个吧，谢谢您", "2 pls": the politeness around a choice
_POLITE = re.compile(
    r"(?:谢谢您|谢谢你|谢谢|多谢|麻烦了|麻烦您了|麻烦你了|麻烦您|麻烦你|辛苦了|thanks|thank you|thx|please|pls|plz)$"
    r"|^(?:麻烦您|麻烦你|麻烦|劳驾|请|帮我|你说呢|那就|当然是|肯定是)"
)
_FILLER = re.compile(
    r"[，,。.！!？?、~～\s]+|^(?:那个|这个|那么|那|还有|然后|再问一下|再问|另外|请问一下|请问|问一下|一下|那请问|麻烦再问下"
    r"|麻烦再问一句|再问一句|再问下|就|麻烦您|麻烦你|劳驾|我想问问|我想问一下|我想问下|我想问|想问下|想问一下|我想了解一下"
    r"|我想了解|想了解一下|有个|就是|您好|你好|谢谢|不好意思|打扰一下|打扰了|麻烦问下|麻烦问一下|hi|hello|嗨|哈喽)"
    r"|(?:呢|吗|啊|呀|的呢|嘞|咧|啦|喇|哈|哦|吧|来着|的事|的事情|方面的事情|方面的问题|的问题|的"
    r"|pls|please|plz|thx|thanks)$"
)

# "不是这个" / "不对" / "都不是" / "算了" at the start; what follows is the real question
_DENIAL = re.compile(
    r"^(?:(?:哎呀|哎|唉|啊|呃|嗯|额|哦|噢|喔|sorry|oops|wait|不好意思|抱歉)[，,。.！!\s]*)*"
    r"(?:我?(?:说错了|讲错了|打错了|搞错了|问错了|问岔了|说岔了|问反了|弄错了|写错了|看错了)|不是这个意思|不是这个问题|不是这个|不是这些|不是这样|都不是|全都不是|都不对|全都不对|全不对|不是的|不是|不对不对|不对|错了|"
    r"答非所问|没有我要的|没有我想问的|不是我要问的|不是我想问的|不是我要的|算了|no|nope)"
    r"(?:啊|呀|哦|吧|呢)?[，,。.！!\s]*"
)
_CORRECTION_LEAD = re.compile(
    r"^(?:我(?:其实|本来|刚才)?(?:是)?(?:想)?(?:要)?问的?是|我(?:其实|本来)?是?想问"
    r"|我说的是|我是说|我指的是|我想问|我要问|是问|问的是|应该是|是(?!不是)|i mean)[，,:：\s]*"
)
# a message made of a denial alone ("不是这个", "都不是", "不对啊")
_ONLY_DENIAL = re.compile(r"^[，,。.！!？?\s]*$")

# elliptical: leans on what was said before
_ELLIPSIS_START = (
    "那",
    "那么",
    "还有",
    "然后",
    "另外",
    "那如果",
    "如果是",
    "换成",
    "要是",
    "万一",
    "假如",
    "不处理",
    "不管",
)
_ELLIPSIS_END = ("呢", "的呢", "那个呢", "咧", "嘞")
_DEICTIC = re.compile(r"这个|那个|这样|那样|它|这种|那种|这条|上面|刚才|刚刚|前面|这里")
# "周末也有人接吗", "节假日也算利息吗": the same question for another case
_ALSO = re.compile(r"^.{1,6}?(?:也|都)(?:有|能|可以|可|行|要|会|算|收|是|一样)")

# compliance: guarantees, promised returns, compensation for losses, market calls and
# stock picks — refused in any turn, in any phrasing
_COMPLIANCE = re.compile(
    r"保证(?!金).{0,14}(?:不亏|不会亏|不会再亏|赚|收益|盈利|回本|本金|翻倍|涨)|稳赚|包赚|保本|保收益|保底收益|稳赢|只赚不赔|稳稳赚"
    r"|(?:给我|给个|能不能|可不可以|能否|帮我)(?:给我)?.{0,2}保证(?:一下|下)?(?:$|[，,。.！!？?\s吗呀啊吧])"
    r"|承诺.{0,6}(?:收益|回报|不亏|赚|年化|利润)|推荐.{0,6}(?:股票|个股|哪只|几只|牛股|标的|板块)|荐股|内幕消息"
    r"|(?:翻倍|赚钱|收益|回本|不亏).{0,10}(?:保证|担保|打包票|承诺)|板块.{0,6}(?:能说|推荐|好|会涨|看好|买)"
    r"|(?:哪只|哪个|什么|几只|啥)\s?(?:股票|股|票|etf|基金).{0,6}(?:好|会涨|要涨|能涨|会升|能升|翻倍|回本|能买|可以买|值得|最稳|稳)|(?:买|融资买|融券卖).{0,4}哪只"
    r"|(?:买|选|挑|推荐|融资买|干)(?:点|个)?(?:啥|什么|哪个|哪只|哪些|哪几只)(?:股票|股|票)"
    r"|(?:挑|选|推荐|荐|指点)(?:一|几|两|个|一下|一个)?只?(?:好)?(?:股票|个股|好股|牛股|票子|票(?!据|数))"
    r"|(?:挑|选|推荐|荐|找)(?:几|两|一|三|个)(?:只|支|个).{0,8}(?:股票|个股|股)"
    r"|(?:给|来|整|荐)(?:个|只|一只|几只|两只)(?:好)?(?:票|股|股票)(?:吧|呗|呀|啊)?(?:$|[，,。.！!？?\s])"
    r"|(?:明天|下周|后市|大盘|行情|股价).{0,6}(?:会涨|能涨|会跌|涨吗|跌吗|涨不涨|跌不跌|怎么走|走势|反弹)"
    r"|会不会(?:马上|很快|立刻|明天)?(?:涨|跌|大涨|大跌|反弹)(?:啊|呢|吧|吗|呀)?(?:$|[，,。.！!？?\s])|涨还是跌|准话|打包票|拍胸脯"
    # how much to borrow is the client's decision ("我是稳健型 您看我借多少比较合适")
    r"|(?:借|融|买|上)多少(?:比较|才|最)?(?:合适|好|划算)|该借多少|加多少杠杆"
    r"|(?:亏|赔|损失|亏损|爆仓|平仓|跌).{0,8}(?:你们|公司|券商|证券).{0,3}(?:赔|负责|承担|兜底|补偿|管)"
    r"|(?:你们|公司|券商).{0,6}(?:补偿|赔偿)|内部.{0,4}(?:消息|知道|渠道)"
    # a sector or a buy that will double: a pick all the same ("就说哪个板块", "买啥能翻倍")
    r"|(?:哪个|什么|啥)(?:板块|行业|赛道)(?!.{0,10}(?:担保|折算|标的|范围|可以融|能融|规则))|(?:买|融资买|干)(?:点)?(?:啥|什么|哪个|哪只).{0,4}(?:能|会|可以)?(?:翻倍|赚|涨)"
    r"|(?:你们|公司|券商).{0,4}(?:赔吗|赔不赔|会赔|兜底|包赔|负责赔)|亏了.{0,6}赔"
    r"|收益.{0,4}(?:有保障|保障|有保证|稳不稳|稳吗|稳定吗)|(?:保障|确保).{0,4}(?:收益|赚钱|不亏)"
    r"|保证(?!金).{0,12}(?:cover|覆盖|盖过|跑赢|赚回|回报|return)|(?:return|回报|收益).{0,8}保证"
    # market timing: "现在加杠杆入货啱唔啱时机", "是不是抄底的好时机"
    r"|(?:好|对|合适|适合|啱|正确)(?:不啱|唔啱|不对|不合适)?的?时机|时机.{0,4}(?:对|好|合适|啱|到了|成熟)"
    # a loss or gain asked to be ruled out or promised: "会不会亏光", "肯定能赚吗"
    r"|推荐(?:个|一个|几个|只|一只|几只)?(?:票|股)|哪只股票.{0,8}(?:适合|应该|值得|short|long)"
    r"|(?:all in|梭哈|满仓干|全仓|加满杠杆|满杠杆).{0,24}(?:稳|行|可以|好|能赚|yes or no)"
    r"|(?:一定|肯定|铁定)(?:能|会)?(?:赚|盈利|不亏|不会亏|升|涨|大涨)"
    # how much it will earn: no figure can be promised ("借50万买一年大概能赚多少")
    r"|(?:能|可以|大概|会|可)赚(?:多少|几多)|赚(?:多少|几多)钱|(?:收益|回报)(?:率)?(?:有|是|能有)?(?:多少|几多)"
    # a trading decision to make for the client ("补仓还是平仓好")
    r"|(?:补仓|加仓|减仓|平仓|卖掉|卖出|买入|持有|割肉|止损|清仓|拿着).{0,6}还是.{0,10}好"
    # a loss event ruled out ("保证我不会被斩仓"), a choice between products made for them
    r"|保证(?!金).{0,8}(?:不会|不)(?:被人|给人|被|把我|把|给我)?(?:强制平仓|平仓|强平|追保|爆仓|平(?![安均台方衡]))"
    # a trading decision asked for outright ("现在该割肉还是补仓", "你就说补不补", "该不该止损")
    r"|(?:割肉|补仓|加仓|减仓|清仓|止损|抄底|卖掉|卖出|买入|持有|拿着|平仓)还是(?:割肉|补仓|加仓|减仓|清仓|止损|抄底|卖掉|卖出|买入|持有|拿着|平仓|等|扛|继续)"
    r"|(?:该不该|应不应该)(?:割肉|补仓|加仓|减仓|清仓|止损|抄底|卖|买|抛|跑|加杠杆|上杠杆)|买不买|卖不卖|割不割|抛不抛|跑不跑"
    r"|(?:你就说|你说|你觉得|你看|直接说|就说|告诉我)(?:我)?(?:该)?(?:补不补|加不加|平不平|要不要(?:补|买|卖|割|加|抛|跑))"
    # leverage or an entry point judged for them ("这个位置加杠杆稳不稳"), a sector's stocks
    r"|(?:加|上|开|用)杠杆.{0,4}(?:稳不稳|稳吗|安全吗|好不好|好吗|行不行|靠谱|合适吗|划算吗|值不值)"
    r"|(?:这个|现在这个|目前这个|当前)(?:位置|点位|价位).{0,8}(?:加|买|上|进|入|抄|融|稳|安全|好)"
    r"|(?:银行|券商|科技|白酒|新能源|医药|地产|芯片|军工|半导体|消费|bank|tech)\s?(?:股|stocks?|板块|etf).{0,6}(?:能买|能不能买|可以买|值得|好不好|会涨|买不买)"
    # copying someone's trades ("你们内部人一般融多少 我跟着来")
    r"|(?:内部人|内部员工|你们员工|业内人士|大户|机构|庄家|高手).{0,6}(?:一般|都)?(?:融多少|买什么|买啥|买哪|怎么操作|加多少|仓位)"
    r"|跟着(?:你们|你|内部人?|大户|机构|别人)(?:买|来|操作|做|干|融)|我跟着(?:来|买|融|干)|跟单|抄作业"
    r"|推荐.{0,6}的(?:票|股)|挑.{0,3}(?:只|支)标的|(?:能|会|可以)翻倍|which stocks?|stock tips|any tips"
    r"|几成仓位|仓位.{0,4}(?:多少|几成)?.{0,2}(?:稳|合适)"
    r"|(?:该不该|应不应该)(?:借|融|借满|融资|上)|(?:融资|融券)?(?:买|卖)[^，,。？?]{1,6}(?:稳不稳|会涨吗|能涨吗)"
    r"|(?:你说|你觉得|你看).{0,12}好还是.{0,10}好"
    r"|(?:融资|融券|哪个|哪种|哪样).{0,8}(?:哪个|哪种)?(?:更)?(?:划算|合算|值得|好赚|赚得多|更赚)"
    r"|guarantee"
)
# what a request for a pick or a market call is made of: a message without any of these
# that the knowledge base clearly answers is a question, whatever the classifier guessed
# ("那炒股要炒多久才行", "那些ST股又怎么算")
_PICK_WORDS = re.compile(
    r"推荐|荐|哪只|哪个股|哪个好|买哪|选哪|什么股|啥股|哪几只|选股|会升|升吗|觉得|看好|预测|判断|挑|分析|走势|行情"
    r"|会涨|会跌|涨吗|跌吗|涨不涨|跌不跌|反弹|时机|抄底|赚|收益|回报|稳|代码|ticker|建议|值得|适合"
)
# "人工几点有人", "晚上也在吗": the hours, not a hand-off
_HOURS = re.compile(
    r"(?:人工|客服|柜台|营业部|热线|真人).{0,6}(?:几点|什么时候|啥时候|时间|上班|下班|有人|在线|几点到几点)"
    r"|(?:几点|什么时候|啥时候|多久|多长时间).{0,6}(?:有人工|有客服|有人|上班)|多久(?:才)?(?:能|会)?(?:接|接通|接入)"
    r"|(?:电话|热线).{0,6}(?:有人接|有没有人接|能打通|打得通)"
    r"|(?:你们|营业厅|公司).{0,4}(?:几点|什么时候|啥时候)(?:上班|下班|开门|关门|营业)"
    r"|(?:助手|机器人|智能客服|你们?).{0,8}(?:晚上|夜里|半夜|凌晨|周末|节假日|假期|24小时|全天|随时).{0,4}(?:在|有|能|可以|服务|回复)"
    r"|(?:晚上|夜里|半夜|凌晨|周末|节假日).{0,6}(?:在吗|在不在|有人吗|能问|可以问|能用|服务吗|有人工)"
    # the number to call: the hours answer carries the hotline ("你们客服电话", "打电话也可以吗")
    r"|(?:电话|热线|号码|联系方式)(?:号码)?(?:是|是多少|多少|几号|是什么|是啥|啥)"
    r"|(?:客服|人工)的?(?:电话|热线)(?:号码)?(?:呢|吗|啊|呀)?$|打电话(?:是不是|也|可不可以|可以|行)"
)
# what a vague question is made of when it names no topic ("这个多少", "最晚啥时候", "多久")
_VAGUE_WORDS = re.compile(
    r"请问|我想问|想问|问一下|问下|一下|这个|那个|这样|这些|那些|它|多少钱|多少|多久|多长时间|几天|几个|几号|什么时候|啥时候"
    r"|几时|几点|最晚|最迟|最早|最多|最少|最长|最短|一般|大概|怎么办|怎么弄|怎么算|怎么样|怎样|咋办|咋整|咋弄|咋算|如何"
    r"|是什么|是啥|什么|啥|时候|时间|东西|玩意儿|玩意|要|得|能|可以|行|吗|呢|啊|呀|吧|的|了|是|有|算|给|个|下"
)

_CONTRASTS = (("融资", "融券"), ("买入", "卖出"), ("利率", "费率"))
# the margin lines: "警戒线是多少" + "追保的呢" asks the same of the call line
_LINE_CONTRASTS = (("警戒", "追保"), ("警戒", "平仓"), ("追保", "平仓"), ("追保", "提取"), ("警戒", "提取"))


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
    previous = None
    while previous != t:
        previous, t = t, strip_fillers(_POLITE.sub("", t))
    if not t:
        return None
    english = _EN_CHOICE.match(t)
    if english:
        n = _EN_ORDINALS[english.group(1)]
        return options[n - 1] if n == -1 or n <= len(options) else None
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
    if _DEICTIC.search(bare) or (_ALSO.search(bare) and len(bare) <= 12):
        return True
    return len(strip_fillers(bare)) <= 5


_SAME_AGAIN = re.compile(r"也|这么|那么|同样|一样|照样")


def names_other_side(text: str) -> bool:
    """Whether the question turns the previous one to its other case ("那融券借来的股票呢，
    也是这么长吗？"): a contrast's half, or "也/这么/一样"."""
    t = _norm(text)
    return bool(_SAME_AGAIN.search(t)) or any(w in t for pair in _CONTRASTS for w in pair)


# a what-if or a request to work one out ("要是股票跌了…", "帮我测一下"), not a question about now
_HYPOTHETICAL = re.compile(r"如果|要是|假如|假设|万一|若|if\b|测一下|测下|算算|算一下|帮我算|帮我测|模拟")


def is_hypothetical(text: str) -> bool:
    return bool(_HYPOTHETICAL.search(_norm(text)))


# "在吗", "你好 有人在吗": a greeting that checks someone is there, not a question
_GREETING_WORDS = re.compile(
    r"在吗|在不在|在么|在嘛|在没|在冇|有人吗|有人在吗|有没有人|有冇人|有人没|你好|您好|哈喽|哈啰|哈囉|嗨|早上好|下午好|晚上好|早安|早"
    r"|客服|小助手|助手|老师|喂|请问|hi|hello|hey|[?？!！~～。.,，\s]"
)


def only_greeting(text: str) -> bool:
    return bool(_norm(text)) and not _GREETING_WORDS.sub("", _norm(text))


def is_vague(text: str) -> bool:
    """A question that names no topic at all: nothing is left once its question words,
    deictics and fillers are taken out ("这个多少", "最晚啥时候", "多久")."""
    bare = re.sub(r"[，,。.！!？?、~～\s]+", "", _norm(text))
    return bool(bare) and not _VAGUE_WORDS.sub("", bare)


FRAGMENT_CHARS = 3  # "利率", "期限", "比例呢": a term, not yet a question


_CLAUSES = re.compile(r"[，,。；;？?！!\s]+|(?:还有|另外|以及|顺便问下|顺便问一下|再问下)")
CLAUSE_CHARS = 4  # a clause this long can be a question of its own ("啥时候结息")


def clauses(text: str) -> List[str]:
    """The separate questions of a message that asks two things ("融资利率多少 啥时候结息")."""
    # (a clause of politeness alone, "请问一下", asks nothing)
    return [c for c in _CLAUSES.split(_norm(text)) if len(c) >= CLAUSE_CHARS and strip_fillers(c)]


def is_fragment(text: str) -> bool:
    """A bare term or two ("利率", "担保呢"), short of a question."""
    return 0 < len(strip_fillers(text)) <= FRAGMENT_CHARS


# asking only for a term's value or meaning ("期限是多久", "利率是多少"), not what to do
_VALUE_ASK = re.compile(
    r"(?:那个|这个)?(?:的)?(?:要求|规定|标准)?(?:到底|究竟)?(?:是|有|系)?"
    r"(?:多久|多长时间|多长|多少|几多|几耐|什么|啥|几天|几个月|怎样|怎么回事|咋回事|咋收|怎么收|怎么弄|怎么搞|怎么整)$"
)
# "幾時到期", "收啥费": when, or which fee, around the term
_WHEN_ASK = re.compile(r"^(?:什么时候|啥时候|几时|何时|哪天)")
_WHICH_FEE = re.compile(r"^收(?:啥|什么|哪些|咩)?费(?:用)?$")


def bare_term(text: str) -> str:
    """The term a fragment or a question about a term's value names ("期限是多久" → "期限",
    "测评那个到底咋回事" → "测评", "幾時到期" → "到期")."""
    content = strip_fillers(text)
    content = re.sub(r"(?<=.)(?:的)?(?:那个|这个)(?=.)", "", content)  # "额度那个怎么弄": the term, asked about
    term = _WHEN_ASK.sub("", _VALUE_ASK.sub("", content))
    if _WHICH_FEE.match(term):
        return "收费"
    return term or content


def is_term_question(text: str) -> bool:
    """A bare term, or a bare term asked for its value: which of its topics is meant?"""
    return 0 < len(bare_term(text)) <= FRAGMENT_CHARS


def mentions_topic(text: str, vocabulary: Iterable[str]) -> bool:
    """Whether a short message names a knowledge topic: it is (part of) a topic term, or
    holds one ("期限", "比例呢", "开户条件"). Small talk ("好的", "谢谢") names none."""
    content = strip_fillers(text)
    if len(content) < 2:
        return False
    return any(content in term or (len(term) >= 2 and term in content) for term in vocabulary)


# "不用转人工，你就说怎么提额": a person declined, the question after it is the point
_NO_HUMAN = re.compile(
    r"(?:不用|不要|别|无需|不需要|用不着)(?:给我)?(?:转|找|叫|接)?(?:人工客服|人工|客服|真人)[，,。.！!\s]*"
)


_PERSON = re.compile(
    r"人工|客服|真人|转(?!账|入|出|进|融|股|让|换|成|为)|找人|有人|来个人|个人来|经理|坐席|投诉|柜台|电话|热线|agent|human|person|staff"
)


def names_a_person(text: str) -> bool:
    """Whether the message asks for anyone ("转人工", "找客服", "投诉"): a hand-off the NLU read
    into "给几天" right after a topic is a follow-up instead."""
    return bool(_PERSON.search(_norm(text)))


_PERSON_REQUEST = re.compile(r"转|找|接|叫|要|联系|帮我|来个|给我|麻烦")


def asks_for_person(text: str) -> bool:
    """A request to be put through ("转人工", "叫个人来"), not a person named in a question."""
    return names_a_person(text) and bool(_PERSON_REQUEST.search(_norm(text)))


# a plain request to be put through: a verb asking for a person ("找个人", "叫个真人来", "转客服"),
# not a person named in a question ("人工客服说…", "人工几点有人")
_PUT_THROUGH = re.compile(
    r"(?:转|接|找|要|叫|换|来)(?:个|一个|位|一位)?(?:人工|真人|活人|客服人员|工作人员|客服)(?!.{0,3}(?:说|讲|告诉|回复|答复))"
    r"|(?:找|叫|换|来)(?:个|一个|位|一位)人(?:来|过来|聊|帮|处理|跟我|和我|给我|吧|啊|呀|啦|$|[，,。.！!？?\s])"
    r"|(?:帮我|给我|麻烦你?|现在就|马上)转(?:过去|接过去|一下人工|一下(?=$|[，,。.！!？?\s吧呀啊]))"
    r"|(?:转|叫|找|接)(?:你们|我的)?(?:的)?(?:客户|专属|服务|vip\s?)?(?:经理|manager)(?:来|过来)?(?!.{0,4}(?:电话|联系|是谁))"
    r"|我要投诉|要投诉"
    # "别机器人了 要人", "不要跟机器人聊": a person, in so many words
    r"|(?:别|不要|不想|不跟|不和)(?:再)?(?:跟|和|用)?(?:机器人|机械人|智能客服|ai|bot|robot)|^要(?:个|真|活)?人(?:工)?(?:$|[吧啊呀啦])"
    r"|talk to (?:a |an )?(?:human|person|agent|real person)|human please|real person|live agent|transfer me"
)


def asks_to_be_put_through(text: str) -> bool:
    """A hand-off asked for in so many words, whatever else the message says."""
    t = _norm(text)
    return bool(_PUT_THROUGH.search(t)) and not (asks_hours(text) or declines_human(text))


def declines_human(text: str) -> bool:
    return bool(_NO_HUMAN.search(_norm(text)))


def without_declined_human(text: str) -> str:
    """The message without its "不用转人工" part (unchanged when it has none)."""
    return _NO_HUMAN.sub("", _norm(text)).strip() if declines_human(text) else text


# a rate quoted with its side and no unit of money or time ("我之前那家融资6.5 你们呢")
_QUOTED_RATE = re.compile(
    r"(?:融资|融券|年化|利息)[^\d，,。？?跌涨降升亏赚]{0,6}(?<![\d.])(\d{1,2}(?:\.\d{1,2})?)\s*(?:%|个点|厘)?(?![\d.]|\s*(?:万|元|块|天|日|岁|w|k|倍|个月|月|年))"
)
_RATE_WORD = re.compile(r"利率|费率|利息|年化|rate")


def rate_terms(text: str) -> List[str]:
    """["利率"] when the message quotes a rate without naming it, so that it ranks as the
    rate question it is."""
    t = _norm(text)
    if _RATE_WORD.search(t):
        return []
    return ["利率"] if any(1 <= float(m.group(1)) <= 20 for m in _QUOTED_RATE.finditer(t)) else []


def line_terms(text: str, lines: Dict[str, float]) -> List[str]:
    """The lines a bare number names ("跌破130咋整" → 追保线): `lines` maps a line's name to
    its percentage (from policy.yml)."""
    named = set()
    # (not an index's number: "沪深300成分股")
    pattern = (
        r"(?<![\d.])(?<!沪深)(?<!中证)(?<!上证)(?<!hs)(?<!csi)(\d{2,3})(?:\s*%|\s*个点)?"
        r"(?![\d.]|\s*(?:万|元|天|日|岁|分|w))"
    )
    for m in re.finditer(pattern, _norm(text)):
        named |= {name for name, pct in lines.items() if float(m.group(1)) == pct}
    return sorted(named)


# whether it may lose: the risks, and that no one can promise it will not ("会不会亏光")
_LOSS = re.compile(r"会不会(?:亏|赔|血本无归)|会亏(?:吗|不|嘛)|亏光|亏完|亏本|亏得比|赔光|血本无归|倒欠")


def asks_about_loss(text: str) -> bool:
    return bool(_LOSS.search(_norm(text)))


def mentions_picks(text: str) -> bool:
    return bool(_PICK_WORDS.search(_norm(text)))


def asks_compliance(text: str) -> bool:
    return bool(_COMPLIANCE.search(_norm(text)))


# a request to work something out: "帮我算下利息", "算一算", "計下", "估算一下", "calculate"
_COMPUTE = re.compile(
    r"帮我算|帮忙算|给我算|算一下|算下|算一算|算算|算个|算一个|算笔|计算|计下|估算|测算|估一下|calc|calculate|work out"
)


# how a figure or decision is arrived at: the rule behind it, not the client's figure again
# ("我这个额度是按什么定出来的", "凭什么平我仓")
_HOW_DETERMINED = re.compile(
    r"按什么|根据什么|依据什么|依据是|怎么定|如何定|怎样定|咋定|点样定|怎么算出|怎么计算出|怎么来的|凭什么|规则是什么"
    # the requirement itself ("那资产要求是多少呀" after the client's own check)
    r"|要求(?:是|有)?(?:多少|几多|什么|啥)|(?:门槛|标准|规定)(?:是)?(?:多少|几多|什么|啥)|最低要求"
)


def asks_how_determined(text: str) -> bool:
    return bool(_HOW_DETERMINED.search(_norm(text)))


# how a figure is computed in general ("维持担保比例是怎么算的呀", "咋收的 按天算？")
_FORMULA = re.compile(
    r"怎么算|咋算|如何算|怎样算|点样计|点计|怎么计算|如何计算|计算方法|计算公式|公式|按天算|怎么收|咋收"
    # the set of categories ("风险测评一共分几个等级", "等级有哪几种"): the rule, not a record
    r"|(?:一共|总共|共)(?:分|有)?(?:几|哪)|分(?:几|哪)(?:个|种|级|类|档)|有哪(?:几)?(?:个|种|级|类|档)(?:等级|级别|类型)"
)


# a client number typed into the chat ("我是C1001", "C1003個戶口"): it proves no identity and
# names no tier
_CLIENT_NUMBER = re.compile(r"(?<![a-z0-9])c\d{4,}")


def names_client_number(text: str) -> bool:
    return bool(_CLIENT_NUMBER.search(_norm(text)))


# someone other than the asker, or people in general, as the subject of a question ("七十多岁
# 的老人家还能开吗", "保守型的投资者可以开两融吗", "我妈能开吗"): a rule, not a lookup
_OTHERS = re.compile(
    r"(?:的|型)(?:人|投资者|客户|股民|用户)|老人|老年人|人家|大家|一般人|普通人|别人|他人|其他人|大学生|学生"
    r"|外国人|外籍|未成年|退休(?:的|人员|老人|人士)|新手|散户|机构|企业|法人|亲戚|子女|父母"
    r"|(?<![其吉])(?:他|她)们?(?:能|可以|可不可以|能不能|有没有|想|要|的)"
)
# "我妈", "我朋友": the asker's relatives and friends are someone else
_MINE_OTHERS = re.compile(
    r"我(?:的)?(?:老?妈妈?|老?爸爸?|老婆|老公|爱人|家人|家里人|家老人|朋友|同事|父母|儿子|女儿|孩子|哥|姐|弟|妹"
    r"|爷爷|奶奶|外公|外婆|岳父|岳母|公公|婆婆|亲戚|客户)"
)
_SELF = re.compile(r"我|本人|自己|俺|(?<![a-z])(?:my|me|mine)(?![a-z])")


def asks_about_others(text: str) -> bool:
    """Whether the question is about someone else or people in general, not the asker."""
    return _about_others(_norm(text))


def _about_others(t: str) -> bool:  # (t normalised)
    if not (_OTHERS.search(t) or _MINE_OTHERS.search(t)):
        return False
    return not _SELF.search(_MINE_OTHERS.sub("", t))


def asks_formula(text: str) -> bool:
    return bool(_FORMULA.search(_norm(text)))


def asks_for_rule(text: str) -> bool:
    """A lookup's words asking for the rule: about someone else, how a figure is set ("我这个
    额度是按什么定的"), or how one is computed in general ("维持担保比例是怎么算的")."""
    t = _norm(text)  # (once: the checks below read the normalised text)
    return _about_others(t) or bool(_HOW_DETERMINED.search(t)) or (bool(_FORMULA.search(t)) and not _SELF.search(t))


def asks_to_compute(text: str) -> bool:
    return bool(_COMPUTE.search(_norm(text).replace(" ", "")))  # ("帮我 calc 一下")


_MISSED = re.compile(r"错过|赶不上|没赶上|过了(?:期限|截止|时间|deadline)|超过(?:期限|截止)|逾期未")


def asks_what_if_not(text: str) -> bool:
    """What happens if they do not act ("要是来不及会怎么样", "错过了呢"): a rule's consequence,
    no simulation."""
    t = _norm(text)
    if _MISSED.search(t):
        return True
    if _NOT_ACTING.search(t) and (_ASKED_ALONE.search(t) or _WHAT_TO_DO.search(t)):
        return True  # "不补呢", "要是到那天收盘我还是没补上呢？", "不补咋整"
    # a further fall ("如果我啲股票再跌會點") is a move to simulate, unless it asks about the
    # event that follows ("再跌下去会不会把我的股票卖掉": the rule)
    steps = [m.group() for m in _NEXT_STEP.finditer(t)]
    undone = any(s not in _FURTHER_MOVES for s in steps) or (bool(steps) and bool(_EVENT_ASKED.search(t)))
    return undone and bool(_CONSEQUENCE_Q.search(t))


_FURTHER_MOVES = ("再往下", "再跌", "继续跌")
_EVENT_ASKED = re.compile(r"卖掉|卖了|被卖|平仓|强平|斩仓|追保|爆仓")


# what follows asked for: "会怎样", "就平？"
_CONSEQUENCE_Q = re.compile(r"怎样|怎么样|咋样|会如何|后果|会点|(?:就|会|要)被?(?:平|强平|斩)")
# not acting, asked about with a bare 呢 (not "再跌呢", a further move)
_NOT_ACTING = re.compile(
    r"还不|来不及|补不上|补不了|补不齐|补不足|补不到|凑不齐|没钱补|没补|不补|不处理|不管|没还|不还|还不上|不弄|不搞"
)
_ASKED_ALONE = re.compile(r"呢[?？]*$")
_WHAT_TO_DO = re.compile(r"怎么办|咋办|点算|给我平|把我平")


# what a market move would do to the account, asked to be worked out ("跌了会不会追保 帮我算"),
# not where a line lies or what happens to the quota ("跌到多少平仓", "大跌时额度会被降吗")
_MOVE_OUTCOME = re.compile(
    r"模拟|测算|会怎样|会怎么样|会咋样|会点|会如何|会不会(?:被)?(?:追保|爆仓|平仓|强平)|比例(?:会)?变"
)
_NOT_A_MOVE_QUESTION = re.compile(r"线|额度|授信|跌到多少|跌多少|几多")


def asks_outcome_of_move(text: str) -> bool:
    t = _norm(text)
    wanted = asks_to_compute(text) or bool(_MOVE_OUTCOME.search(t))
    return wanted and not _NOT_A_MOVE_QUESTION.search(t) and not _NOT_ACTING.search(t)


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


_NEGATED_SIDE = re.compile(r"[，,]?\s*(?:不是|而不是|并非|not)\s*(?:问)?(?:的)?(?:融资|融券)(?:的)?")


def without_negated_side(text: str) -> str:
    """ "是融资 not 融券" → "是融资": the side ruled out is no part of the question."""
    return _NEGATED_SIDE.sub("", text).strip()


def contrast(question: str, follow: str) -> str:
    """The previous question with the term the follow-up swaps in ("融资利率是多少" + "融券" →
    "融券利率是多少")."""
    q = _norm(question)
    for a, b in (*_CONTRASTS, *_LINE_CONTRASTS):
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
    covered: float = 0.08  # …or its answer already covers what the follow-up names
    method: float = 0.12  # a method asked after a figure: the neighbour that explains it
    answer: float = 0.22  # combined score needed to answer
    margin: float = 0.04  # ...and lead over the runner-up


# a follow-up asking what comes after the answer just given ("再往下跌呢", "来不及会怎样")
_NEXT_STEP = re.compile(
    r"再往下|再跌|继续跌|接着|然后呢|之后呢|再不|还不|来不及|不够|扣不了|没钱扣|补不上|补不了|补不齐|补不足|补不到|凑不齐|没钱补|没补|不补|不处理|不管|没还|不还|不弄|不搞"
    r"|没按时|没交|不交|没付|不付|晚交|迟交|晚还|迟还|逾期|拖欠|^(?:要是|如果)?(?:过了|超过了|超了|超时)(?!多久|几天)"
)
NEXT_STEP_FACTOR = 3.0
# only "and once it has passed?" ("过了deadline呢", "超过期限会怎样"): the topic just answered is
# the deadline itself, so the answer is what comes after it
_ONLY_PASSED = re.compile(
    r"(?:要是|如果)?(?:过了|超过了|超了|超过|超时了?|错过了?)(?:截止)?(?:期限|时间|日期|时限|限期|那天|日子|最后一天|t\+2)?"
    r"(?:以后|之后|后)?(?:会怎样|会怎么样|怎么办|咋办|会如何|怎样)?"
)


def follow_up(
    rank: Rank,
    entries: Sequence[Entry],
    text: str,
    previous: Sequence[Entry],
    exclude: Iterable[str] = (),
    weights: ContextWeights = ContextWeights(),
    previous_question: str = "",
) -> Resolution:
    """Rank an elliptical follow-up together with the previous topic(s) and the question
    that led to them ("融券是啥" + "利率呢" → the 融券 fee rate)."""
    content = strip_fillers(text) or _norm(text)
    n = len(entries)
    alone = {h.faq_id: h.score for h in rank(content, n)}
    together: Dict[str, float] = {}
    swapped = False
    contexts = []
    for prev in previous[:1]:
        words = contrast(topic_words(prev), content)
        swapped = words != _norm(topic_words(prev))
        contexts.append(words)
    asked = strip_fillers(previous_question)
    if asked and asked != content:
        contexts.append(contrast(asked, content))
        swapped = swapped or contexts[-1] != asked  # "融资的保证金比例…" + "那融券的呢": the same topic, swapped
    for words in contexts:
        for h in rank(content + " " + words, n):
            together[h.faq_id] = max(together.get(h.faq_id, 0.0), h.score)
    near = neighbours(entries, [p.id for p in previous])
    links = curated_links()
    successors = {links[p.id][0] for p in previous[:1] if links.get(p.id)}
    repeated = {p.id for p in previous}
    # "融券的呢" after the repayment answer, which covers 融券 too: the same topic, its other half
    # (only a contrast's other half: "追保的呢" after the warning line, which mentions 追保, is the next topic)
    half = re.sub(r"的$", "", content)
    halves = {w for pair in _CONTRASTS for w in pair}
    covered = {p.id for p in previous if half in halves and half in _norm(p.answer)}
    excluded = set(exclude)
    if successors and _ONLY_PASSED.fullmatch(content):
        excluded |= repeated
    by_id = {e.id: e for e in entries}
    onward = NEXT_STEP_FACTOR if _NEXT_STEP.search(content) else 1.0  # "再往下跌会怎样": the thread's next step
    # "怎么算的" after a figure ("融券费率8.8%"): the neighbour that explains the method
    method_asked = bool(_FORMULA.search(content)) and not any(_FORMULA.search(_norm(p.question)) for p in previous[:1])
    scored = []
    for faq_id, entry in by_id.items():
        if faq_id in excluded:
            continue
        s = weights.alone * alone.get(faq_id, 0.0) + weights.together * together.get(faq_id, alone.get(faq_id, 0.0))
        if faq_id in successors:
            s += weights.successor * onward
        elif faq_id in near:
            s += weights.neighbour
        if method_asked and faq_id in near and _FORMULA.search(_norm(entry.question).split("?")[0]):
            s += weights.method
        elif method_asked and faq_id in repeated:
            s -= weights.repeat  # the figure again is not its method
        if faq_id in covered:
            s += weights.covered
        elif faq_id in repeated and not swapped:
            s -= weights.repeat * (onward if successors else 1.0)  # no next step curated: it may be in this answer
        scored.append(Hit(entry=entry, score=round(s, 4), parts={"context": 1.0}))
    scored.sort(key=lambda h: -h.score)
    top = scored[:3]
    if not top or top[0].score < weights.answer * 0.5:
        return Resolution("none", top)
    lead = top[0].score - (top[1].score if len(top) > 1 else 0.0)
    if top[0].score >= weights.answer and lead >= weights.margin:
        return Resolution("answer", top)
    return Resolution("clarify", top)


def pick_by_words(
    rank: Rank, text: str, options: Sequence[str], min_lead: float = 0.03, question: str = ""
) -> Optional[str]:
    """The menu option whose topic the words name ("罚息那个"), when one clearly leads;
    the words are read with the question the menu answered ("多长时间" + "合约的")."""
    if not options:
        return None
    content = strip_fillers(text)
    content = re.sub(r"(?:那个|这个|那条|的)$", "", content) or content
    if not content:
        return None
    asked = strip_fillers(question)
    if is_vague(text) and asked:  # "最晚啥时候" names no option: read it with the menu's question
        together = {h.faq_id: h.score for h in rank(content + " " + asked, 1000)}
        ranked = sorted(options, key=lambda o: -together.get(o, 0.0))
        lead = together.get(ranked[0], 0.0) - (together.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0)
        return ranked[0] if together.get(ranked[0], 0.0) > 0.08 and lead >= min_lead else None
    hits = rank(content, 1000)
    alone = {h.faq_id: h.score for h in hits}
    best_option = max(alone.get(o, 0.0) for o in options)
    if best_option <= 0.08 or (hits and hits[0].faq_id not in options and hits[0].score - best_option > 0.1):
        # the words name none of the options, or another topic ("怎么销户") — unless, read with
        # the menu's question, they clearly name one ("条件" (menu) → "开户的": the opening rules)
        with_question = rank(content + " " + asked, 3) if asked and asked != content else []
        alone_best = max(options, key=lambda o: alone.get(o, 0.0))
        if best_option > 0.08 and with_question and with_question[0].faq_id == alone_best:
            runner_up = with_question[1].score if len(with_question) > 1 else 0.0
            if with_question[0].score - runner_up >= 2 * min_lead:
                return with_question[0].faq_id
        return None
    scores = dict(alone)
    if asked and asked != content:  # ties between options: read with the menu's question
        for h in rank(content + " " + asked, 1000):
            scores[h.faq_id] = (alone.get(h.faq_id, 0.0) + h.score) / 2
    ranked = sorted(options, key=lambda o: -scores.get(o, 0.0))
    best = scores.get(ranked[0], 0.0)
    runner = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    return ranked[0] if best - runner >= min_lead else None
