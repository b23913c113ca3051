import json
import logging

from core.logs import JsonFormatter, mask


def test_mask():
    assert mask("client C1003 phone 13800001003") == "client C10** phone 138****1003"
    assert mask("订单123456") == "订单123456"


def test_json_lines():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "lookup for %s", ("C1001",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "lookup for C10**" and line["level"] == "INFO"
