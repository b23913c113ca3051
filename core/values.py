"""Turn the text of an extracted entity into a validated, canonical value.

amount → yuan as Decimal, percent → percent points as Decimal (10% → 10),
date → ISO date, stock_code → 600519.SH, risk_tier → C1..C5.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Optional

from core.policy import get_policy

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10_000, "亿": 100_000_000}


def cn_number(text: str) -> Optional[Decimal]:
    """'三十万' → 300000, '一百五十' → 150, '十五' → 15, '1.5' → 1.5, '三点五' → 3.5."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    if "点" in text:
        whole, _, frac = text.partition("点")
        head = cn_number(whole) if whole else Decimal(0)
        digits = "".join(str(CN_DIGITS.get(ch, "")) for ch in frac)
        if head is None or len(digits) != len(frac):
            return None
        return head + (Decimal("0." + digits) if digits else 0)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch.isdigit():
            digit = int(ch)
        elif ch in CN_UNITS:
            section += (digit if digit is not None else 1) * CN_UNITS[ch]
            digit = None
        elif ch in CN_BIG:
            section += digit or 0
            total += (section or 1) * CN_BIG[ch]
            section, digit = 0, None
        else:
            return None
    return Decimal(total + section + (digit or 0))


_MULTIPLIERS = [  # longest first: "百万" before "万"
    ("亿元", 100_000_000),
    ("亿", 100_000_000),
    ("百万", 1_000_000),
    ("万元", 10_000),
    ("万块", 10_000),
    ("万", 10_000),
    ("w", 10_000),
    ("千元", 1000),
    ("千块", 1000),
    ("千", 1000),
    ("元", 1),
    ("块钱", 1),
    ("块", 1),
    ("k", 1000),
    ("m", 1_000_000),
]
# the units an amount ends with, for the NLU's entity rule and the estimator's reading
# ("30w", "0.3百万", "300k", "1m", "60个w"); the one list parse_amount reads
# (a latin unit is no unit inside a word: "5km", "3min"; "50万etf" is 50万)
AMOUNT_UNIT = "(?:" + "|".join(s if not s.isascii() else s + "(?![a-z])" for s, _ in _MULTIPLIERS) + ")"


def parse_amount(text: str) -> Optional[Decimal]:
    raw = text.strip().lower().replace("人民币", "").replace(" ", "")
    multiplier = 1
    for suffix, factor in _MULTIPLIERS:
        if raw.endswith(suffix):
            raw, multiplier = raw[: -len(suffix)].removesuffix("个"), factor  # "60个w", "两个亿"
            break
    number = cn_number(raw)
    if number is None:
        return None
    value = (number * multiplier).quantize(Decimal("0.01"))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def parse_percent(text: str) -> Optional[Decimal]:
    raw = text.strip().replace(" ", "")
    if raw.endswith("%"):
        return cn_number(raw[:-1])
    if raw.startswith("百分之"):
        return cn_number(raw[3:])
    if raw.endswith("成半"):  # 一成半 = 15%
        n = cn_number(raw[:-2])
        return None if n is None else n * 10 + 5
    if raw.endswith("成"):
        n = cn_number(raw[:-1])
        return None if n is None else n * 10
    return None


def parse_date(text: str, today: date) -> Optional[str]:
    relative = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "昨天": -1, "前天": -2}
    if text in relative:
        return (today + timedelta(days=relative[text])).isoformat()
    m = re.match(r"(?:(\d{4})[年\-/.])?(\d{1,2})[月\-/.](\d{1,2})", text)
    if not m:
        return None
    year = int(m.group(1)) if m.group(1) else today.year
    try:
        return date(year, int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def parse_stock_code(text: str) -> Optional[str]:
    m = re.search(r"(\d{6})", text)
    if not m:
        return None
    code = m.group(1)
    suffix = re.search(r"(sh|sz|bj)", text.lower())
    if suffix:
        exchange = suffix.group(1).upper()
    else:
        exchange = {"6": "SH", "0": "SZ", "3": "SZ", "8": "BJ", "4": "BJ", "9": "BJ"}.get(code[0])
    return f"{code}.{exchange}" if exchange else None


def parse_tier(text: str) -> Optional[str]:
    """'稳健型' or 'c2' → 'C2' (names and codes from policy.yml)."""
    tier = get_policy().tier_by_name(text.strip())
    return str(tier["code"]) if tier else None
