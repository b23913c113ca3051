"""Masking of personal data in every log line, and JSON-lines logging (production).

JR/T 0171-2020 treats balances, positions and credit figures as class C2: never in
logs. `mask()` hides client ids, phone numbers, names and figures (amounts, ratios,
percentages); `MaskingFilter` applies it to a record (message, arguments and the
traceback text); `install_masking()` makes every record of the process pass through
it, whatever logger or handler it goes to (Rasa and Sanic add handlers of their own
after the logging config is read).

Every process turns it on at start-up through its logging config file (Rasa and the
action server: `--logging-config-file deploy/logging.yml`, or the JSON one in
deploy/production/logging.yml), the pages server in web/server.py `main()`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

# ASCII look-arounds: Chinese characters are word characters, so \b would not separate 客户C1001
CLIENT_ID = re.compile(r"(?<![A-Za-z0-9_])(C)(\d{2})(\d{2,})(?![A-Za-z0-9_])")
PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
# a Chinese name given as a field: name=张伟, "name": "张伟", 'name': '张伟', 姓名：张伟 (not intent or action names)
NAME_FIELD = re.compile(
    r"""((?<![A-Za-z0-9_])(?:name|姓名|客户姓名)["']?\s*[:=：]\s*["']?)([\u4e00-\u9fff·]{1,12})""", re.IGNORECASE
)
# \uXXXX escapes of JSON log lines (Rasa's structured events): decoded first, so that a figure
# after an escaped character is still seen (and the line is readable)
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# figures: 1,300,000 · 800,000.00元 · 260.00% · 1.28 · 80万元 · Decimal('800000.00')
FIGURE = re.compile(
    r"""(?:(?<![A-Za-z0-9_.])|(?<=\\[nrt]))(?:
        \d{1,3}(?:,\d{3})+(?:\.\d+)?      # grouped thousands
      | \d+\.\d+(?![\d.])                  # a decimal (not a dotted address or version)
      | \d+(?=\s*(?:%|元|万|亿|个百分点|股))  # any number with a unit of money or a ratio
    )(?:\s*(?:%|元|万元|万|亿元|亿|个百分点|股))?""",
    re.VERBOSE,
)
FIGURE_MASK = "#"
# a bare number right after a word for money or a ratio (额度300000, "credit_line": "800000");
# other bare numbers (订单123456, ports, process ids) stay readable
FIGURE_CONTEXT = re.compile(
    r"""((?:额度|资产|负债|余额|金额|市值|本金|利息|现金|保证金|担保比例|credit_line|available|cash|assets|debt|principal"""
    r"""|amount|balance|ratio)["']?\s*(?:为|是|:|=|：)?\s*["']?)\d+""",
    re.IGNORECASE,
)

# The request id of the message being handled: set by the channel (and by the action
# server from the message metadata), written on every JSON log line and audit row.
REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def usable_request_id(value: object) -> str:
    """A caller's id (X-Request-ID, metadata) when it is safe to log, else a new one."""
    return value if isinstance(value, str) and REQUEST_ID_SHAPE.match(value) else new_request_id()


def mask(text: str) -> str:
    """The text with client ids, phone numbers, names and figures masked."""
    text = UNICODE_ESCAPE.sub(_unescape, text)
    text = NAME_FIELD.sub(lambda m: m.group(1) + (m.group(2)[:1] + "*" * (len(m.group(2)) - 1)), text)
    text = CLIENT_ID.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)), text)
    text = PHONE.sub(r"\1****\2", text)
    text = FIGURE.sub(FIGURE_MASK, text)
    return FIGURE_CONTEXT.sub(lambda m: m.group(1) + FIGURE_MASK, text)


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    # only non-ASCII, non-surrogate characters: a quote or control character stays escaped
    return chr(code) if code >= 0x80 and not 0xD800 <= code <= 0xDFFF else match.group(0)


class MaskingFilter(logging.Filter):
    """Masks a record in place (never drops one): the formatted message, with its
    arguments merged in, and the traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_lr_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        record._lr_masked = True
        return True


def install_masking() -> MaskingFilter:
    """Mask every log record this process creates, from now on (idempotent). Returns the
    filter, so a logging config can also attach it to its handlers."""
    current = logging.getLogRecordFactory()
    masking = MaskingFilter()
    if not getattr(current, "_lr_masking", False):

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = current(*args, **kwargs)
            masking.filter(record)
            return record

        factory._lr_masking = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)
    return masking


def masking_filter() -> MaskingFilter:
    """For logging config files: `filters: {mask: {(): core.logs.masking_filter}}`."""
    return install_masking()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class JsonLinesHandler(logging.Handler):
    """Writes formatted records to stderr, one line each (deploy/production/logging.yml).

    Not a StreamHandler on purpose: Rasa's CLI installs coloredlogs after applying
    --logging-config-file, and coloredlogs replaces any stderr StreamHandler it finds
    with its own plain-text one; `keep_json_only` then drops that one again."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def keep_json_only() -> None:
    """When the root logger has a JSON handler, remove the other (plain-text) handlers
    that a CLI added over the logging configuration, so every line is JSON."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        for handler in [h for h in root.handlers if not isinstance(h.formatter, JsonFormatter)]:
            root.removeHandler(handler)
