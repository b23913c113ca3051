"""The broker's policy (knowledge/policy.yml): lookup by dotted path and rendering.

Every number the bot says and every threshold the actions compute with comes from
here, so that one edit of policy.yml changes both answers and calculations.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml

from core.settings import POLICY_FILE

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*(?:\|\s*([a-z]+)\s*)?\}\}")


class PolicyError(KeyError):
    """A dotted path or format that policy.yml does not have."""


def to_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def plain(d: Decimal) -> str:
    """Decimal without exponent or trailing zeros: 6.80 -> '6.8', 1E+2 -> '100'."""
    text = format(d.normalize(), "f")
    return text


def fmt_pct(value: Any) -> str:
    return f"{plain(to_decimal(value) * 100)}%"


def fmt_wan(value: Any) -> str:
    return f"{plain(to_decimal(value) / 10000)}万元"


def fmt_yuan(value: Any) -> str:
    d = to_decimal(value).quantize(Decimal("0.01"))
    text = f"{d:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{text}元"


def fmt_int(value: Any) -> str:
    return str(int(to_decimal(value)))


FORMATS: Dict[str, Callable[[Any], str]] = {
    "pct": fmt_pct,
    "wan": fmt_wan,
    "yuan": fmt_yuan,
    "int": fmt_int,
    "raw": str,
}


class Policy:
    """Read-only view of policy.yml."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> Policy:
        with open(path, encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    # -- lookup ---------------------------------------------------------------
    def get(self, path: str) -> Any:
        node: Any = self.data
        for part in path.split("."):
            node = self._child(node, part, path)
        return node

    @staticmethod
    def _child(node: Any, part: str, path: str) -> Any:
        if isinstance(node, dict):
            if part in node:
                return node[part]
        elif isinstance(node, list):
            if part.isdigit() and int(part) < len(node):
                return node[int(part)]
            for item in node:  # list items addressable by their code
                if isinstance(item, dict) and str(item.get("code")) == part:
                    return item
        raise PolicyError(path)

    def dec(self, path: str) -> Decimal:
        return to_decimal(self.get(path))

    def has(self, path: str) -> bool:
        try:
            self.get(path)
            return True
        except PolicyError:
            return False

    # -- domain helpers --------------------------------------------------------
    def tier(self, code: str) -> Dict[str, Any]:
        tier: Dict[str, Any] = self.get(f"risk_tiers.tiers.{code}")
        return tier

    def tier_codes(self) -> List[str]:
        return [t["code"] for t in self.get("risk_tiers.tiers")]

    def tier_by_name(self, name: str) -> Optional[Dict[str, Any]]:
        tiers: List[Dict[str, Any]] = self.get("risk_tiers.tiers")
        for t in tiers:
            if t["name"] == name or t["code"].lower() == name.lower():
                return t
        return None

    # -- rendering -------------------------------------------------------------
    def render(self, template: str) -> str:
        """Replace {{ path | fmt }} placeholders with formatted policy values."""

        def sub(match: re.Match[str]) -> str:
            path, fmt = match.group(1), match.group(2) or "raw"
            if fmt not in FORMATS:
                raise PolicyError(f"{path} | {fmt}")
            return FORMATS[fmt](self.get(path))

        return PLACEHOLDER.sub(sub, template)

    def placeholders(self, template: str) -> List[Tuple[str, str]]:
        return [(m.group(1), m.group(2) or "raw") for m in PLACEHOLDER.finditer(template)]


@lru_cache(maxsize=1)
def _cached(path: str, mtime: float) -> Policy:
    return Policy.load(Path(path))


def get_policy(path: Path = POLICY_FILE) -> Policy:
    """The current policy; re-read when the file changes."""
    return _cached(str(path), path.stat().st_mtime)
