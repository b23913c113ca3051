"""Data classes and how long each is kept: the one retention table.

The periods are settings (core/settings.py, environment variables BOT_RETAIN_*_DAYS),
so the compliance team changes them without code; services/records purges by this
table and the README ("Records and privacy") lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Tuple

from core.settings import Settings


@dataclass(frozen=True)
class DataClass:
    key: str
    title: str  # what it holds, in Chinese for reports
    setting: str  # the Settings field holding its period in days
    env: str
    after: str  # what the purge does at the end of the period: delete | anonymise
    basis: str  # why this period


CLASSES: Tuple[DataClass, ...] = (
    DataClass(
        "anon_chat",
        "未登录访客的对话记录与转人工记录",
        "retain_anon_chat_days",
        "BOT_RETAIN_ANON_CHAT_DAYS",
        "delete",
        "个人信息保护法第19条：保存期限为实现目的所必要的最短时间",
    ),
    DataClass(
        "question_log",
        "未能回答的问题原文（统计计数保留）",
        "retain_question_log_days",
        "BOT_RETAIN_QUESTION_LOG_DAYS",
        "anonymise",
        "投教改进所需；原文到期删除，按主题的计数无文本保留",
    ),
    DataClass(
        "client_records",
        "已验证客户的对话记录、风险提示与合规拒答记录、转人工记录、风险提醒",
        "retain_client_records_days",
        "BOT_RETAIN_CLIENT_RECORDS_DAYS",
        "delete",
        "证券期货投资者适当性管理办法、证券法：客户服务与适当性资料至少保存20年",
    ),
    DataClass(
        "audit",
        "审计日志（防篡改哈希链）",
        "retain_audit_days",
        "BOT_RETAIN_AUDIT_DAYS",
        "delete",
        "证券法：业务记录至少保存20年",
    ),
    DataClass(
        "feedback",
        "答案评价（有帮助/没帮助）的留言与客服标记原文（计数保留）",
        "retain_feedback_days",
        "BOT_RETAIN_FEEDBACK_DAYS",
        "anonymise",
        "服务质量改进所需；到期删除留言与会话号，评价计数保留",
    ),
    DataClass(
        "outbox",
        "短信/App推送发件记录",
        "retain_outbox_days",
        "BOT_RETAIN_OUTBOX_DAYS",
        "delete",
        "投诉处理资料至少保存3年",
    ),
    DataClass(
        "staff_login_failures",
        "员工登录失败记录",
        "retain_staff_login_failures_days",
        "BOT_RETAIN_STAFF_LOGIN_FAILURES_DAYS",
        "delete",
        "安全审计所需，1年",
    ),
)
BY_KEY: Dict[str, DataClass] = {c.key: c for c in CLASSES}


def period_days(settings: Settings, key: str) -> int:
    return int(getattr(settings, BY_KEY[key].setting))


def cutoff(settings: Settings, key: str, now: datetime) -> datetime:
    """Rows of this class older than this moment are past their period."""
    return now - timedelta(days=period_days(settings, key))


def table(settings: Settings) -> Tuple[Tuple[DataClass, int], ...]:
    return tuple((c, period_days(settings, c.key)) for c in CLASSES)
