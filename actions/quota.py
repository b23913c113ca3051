"""query_quota: the client's credit line, what is used and what is still available."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import moment, risk_reminder, yuan
from actions.personal import PersonalAction
from core import finance
from core.policy import Policy
from services.restrictions import new_credit_blocks
from storage.repository import ClientRecord

NO_ACCOUNT = "您目前还没有开通信用账户，因此没有两融授信额度。想了解能否开通，可以问我“我能开两融吗”。"


class ActionQueryQuota(PersonalAction):
    NAME = "action_query_quota"
    LOOKUP = "quota"
    NO_ACCOUNT = NO_ACCOUNT

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        account = record.account
        snap = account.snapshot
        available = finance.available_quota(account.credit_line, snap)
        lines = [
            f"您的授信额度为{yuan(account.credit_line)}"
            + (f"（{account.line_approved_by}）" if account.line_approved_by else "")
            + "；",
            f"已用：融资{yuan(snap.financing_debt)}，融券{yuan(snap.short_value)}；",
            f"可用额度：{yuan(available)}。",
        ]
        change = account.last_change
        if change is not None:
            verb = "下调" if change.new_line < change.old_line else "调整"
            lines.append(
                f"{change.reason}，您的额度于{moment(change.changed_at)}由{yuan(change.old_line)}"
                f"{verb}至{yuan(change.new_line)}。"
            )
        blocks = new_credit_blocks(record, policy)
        if blocks:
            lines.append("注意：" + "；".join(blocks) + "。")
        if account.as_of is not None:
            lines.append(f"（数据截至{moment(account.as_of)}，以交易系统为准）")
        lines.append(risk_reminder(policy))
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={
                "personal": "quota",
                "credit_line": str(account.credit_line),
                "available": str(available),
                "as_of": account.as_of.isoformat() if account.as_of else None,
            },
        )
