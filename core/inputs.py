"""Checking what a request sent: JSON bodies and typed fields, with Chinese messages.

Every adapter (channels, pages APIs, action server) parses bodies with `parse_json` and
reads fields with the checkers below, which raise `core.errors.Invalid` naming the field.
Strings are sanitised on the way in (core.text.sanitize): a lone surrogate or a control
character never reaches the database or the NLU.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Dict, List, Optional

from core.errors import Invalid
from core.text import sanitize
from core.texts import api as api_text

_MISSING = object()


def parse_json(raw: bytes | str | None) -> Any:
    """The parsed body, or None when it is empty or not JSON at all."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def json_object(raw: bytes | str | None) -> Dict[str, Any]:
    """The body as a JSON object, or Invalid."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise Invalid(api_text.BODY_NOT_OBJECT, field="body")
    return body


def text(
    body: Dict[str, Any],
    field: str,
    *,
    max_len: int,
    min_len: int = 0,
    required: bool = True,
    default: Optional[str] = None,
) -> Optional[str]:
    """A string field, sanitised and stripped, `min_len`..`max_len` characters."""
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise Invalid(api_text.FIELD_MISSING_TEXT.format(field=field), field=field)
        return default
    if not isinstance(value, str):
        raise Invalid(api_text.FIELD_NOT_TEXT.format(field=field), field=field)
    value = sanitize(value).strip()
    if not min_len <= len(value) <= max_len:
        raise Invalid(api_text.FIELD_TEXT_LENGTH.format(field=field, min_len=min_len, max_len=max_len), field=field)
    return value


def integer(
    body: Dict[str, Any],
    field: str,
    *,
    lo: int,
    hi: int,
    required: bool = True,
    default: Optional[int] = None,
) -> Optional[int]:
    """An integer field (not a bool, not a string of digits) in lo..hi."""
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise Invalid(api_text.FIELD_MISSING_INTEGER.format(field=field), field=field)
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Invalid(api_text.FIELD_INTEGER_RANGE.format(field=field, lo=lo, hi=hi), field=field)
    return value


def boolean(body: Dict[str, Any], field: str, *, required: bool = True, default: bool = False) -> bool:
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise Invalid(api_text.FIELD_MISSING_BOOLEAN.format(field=field), field=field)
        return default
    if not isinstance(value, bool):
        raise Invalid(api_text.FIELD_NOT_BOOLEAN.format(field=field), field=field)
    return value


def obj(body: Dict[str, Any], field: str, *, required: bool = True) -> Optional[Dict[str, Any]]:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise Invalid(api_text.FIELD_NOT_OBJECT.format(field=field), field=field)
    return value


def text_list(value: Any, field: str, *, max_items: int, max_len: int) -> List[str]:
    """A list of strings (each sanitised), at most `max_items`."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > max_items:
        raise Invalid(api_text.FIELD_TEXT_LIST.format(field=field, max_items=max_items), field=field)
    out = []
    for item in value:
        if not isinstance(item, str) or len(item) > max_len:
            raise Invalid(api_text.FIELD_TEXT_LIST_ITEM.format(field=field, max_len=max_len), field=field)
        out.append(sanitize(item))
    return out


def iso_date(body: Dict[str, Any], field: str) -> date:
    value = body.get(field)
    if not isinstance(value, str):
        raise Invalid(api_text.FIELD_DATE_FORMAT.format(field=field), field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(api_text.FIELD_DATE_FORMAT.format(field=field), field=field) from None
