"""HTTP answers that are not a surface's own words: busy and rate limits, request bodies,
and the input checks that name the field at fault (400s; core/inputs.py and the channels)."""

from __future__ import annotations

BUSY = "系统繁忙，请稍后再试。"
RATE_LIMITED = "请求太频繁，请稍后再试。"
BODY_TOO_LARGE = "请求体过大。"
BODY_NOT_OBJECT = "请求体必须是JSON对象。"
UNKNOWN_OPERATION = "未知操作。"
UNKNOWN_VIEW = "未知的筛选条件。"

# -- a field, by its JSON key ------------------------------------------------------------
FIELD_MISSING_TEXT = "缺少 {field}（字符串）。"
FIELD_NOT_TEXT = "{field} 必须是字符串。"
FIELD_TEXT_LENGTH = "{field} 的长度须在{min_len}到{max_len}个字符之间。"
FIELD_TEXT_MAX = "{field} 必须是不超过{max}个字符的字符串。"
FIELD_TOO_LONG = "{field} 不能超过{max}个字符。"
FIELD_MISSING_INTEGER = "缺少 {field}（整数）。"
FIELD_INTEGER_RANGE = "{field} 必须是{lo}到{hi}之间的整数。"
FIELD_NOT_INTEGER = "{field} 必须是整数。"
FIELD_MISSING_BOOLEAN = "缺少 {field}（true 或 false）。"
FIELD_NOT_BOOLEAN = "{field} 必须是 true 或 false。"
FIELD_NOT_OBJECT = "{field} 必须是JSON对象。"
FIELD_TEXT_LIST = "{field} 必须是不超过{max_items}项的字符串列表。"
FIELD_TEXT_LIST_ITEM = "{field} 的每一项必须是不超过{max_len}个字符的字符串。"
FIELD_DATE_FORMAT = "{field} 的格式应为 YYYY-MM-DD。"
FIELD_DATE = "{field} 必须是 YYYY-MM-DD 格式的日期。"
DATE_FORMAT = "日期格式应为 YYYY-MM-DD。"
START_AFTER_END = "开始日期不能晚于结束日期。"
RANGE_TOO_LONG = "日期范围最长一年。"

# -- the chat channels' bodies (bot/channels); the *_BODY and CONVERSATION_TURN braces are
#    literal: they are not templates -----------------------------------------------------
REST_BODY = '请求体必须是JSON对象：{"sender", "message", "metadata"}。'
SOCKET_BODY = '消息必须是JSON对象：{"message", "session_id", "metadata"}。'
SESSION_ID_INVALID = "session_id 必须是不超过64个字符的字符串（先发送 session_request）。"
ASSIST_BODY = '请求体必须是JSON对象，例如 {"text": "融资利率多少", "top_k": 3}。'
ASSIST_TEXT_EMPTY = "text 必须是非空字符串。"
CONVERSATION_TOO_LONG = "conversation 必须是不超过{max}条的列表。"
CONVERSATION_TURN = 'conversation 的每一条须为 {"role": "client"|"bot"|"agent", "text": "..."}。'
CONVERSATION_TURN_TOO_LONG = "conversation 的每一条不能超过{max}个字符。"
FAQ_ID_INVALID = "faq_id 格式不正确。"
FEEDBACK_REASON_INVALID = "reason 只能是“没帮助”时的：{reasons}。"

# -- the editor's API --------------------------------------------------------------------
LOCK_INVALID = "lock 必须是非负整数（打开条目时得到的值）。"
ROLLBACK_VERSION_INVALID = "version 必须是正整数（要回滚到的版本号）。"
CHANGE_ACTION_INVALID = "action 必须是 publish、retire 或 rollback。"

# -- the broker's risk events (web/risk_api.py, python -m services.alerts) ---------------
PRICE_INVALID = "price 必须是正数。"
NO_CREDIT_ACCOUNT = "没有客户 {client_id} 的信用账户"
NO_SECURITY = "没有证券 {code}"
MARKET_CUT_RANGE = "下调比例须大于0且不超过{limit}"
