"""query_quota: the client's credit line, what is used and what is still available."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import moment, risk_reminder, yuan
from actions.personal import PersonalAction
from core import finance
from core.policy import Policy
from core.texts import client as client_text
from services.restrictions import new_credit_blocks
from storage.repository import ClientRecord

NO_ACCOUNT = client_text.QUOTA_NO_ACCOUNT


class ActionQueryQuota(PersonalAction):
    NAME = "action_query_quota"
    LOOKUP = "quota"
    NO_ACCOUNT = NO_ACCOUNT

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, record: ClientRecord, policy: Policy) -> None:
        account = record.account
        snap = account.snapshot
        available = finance.available_quota(account.credit_line, snap)
        approved_by = account.line_approved_by
        lines = [
            client_text.QUOTA_LINE.format(
                line=yuan(account.credit_line),
                approved_by=client_text.QUOTA_APPROVED_BY.format(name=approved_by) if approved_by else "",
            ),
            client_text.QUOTA_USED.format(financing=yuan(snap.financing_debt), short=yuan(snap.short_value)),
            client_text.QUOTA_AVAILABLE.format(available=yuan(available)),
        ]
        change = account.last_change
        if change is not None:
            verb = client_text.LINE_CUT if change.new_line < change.old_line else client_text.LINE_CHANGED
            lines.append(
                client_text.QUOTA_CHANGE.format(
                    reason=change.reason,
                    at=moment(change.changed_at),
                    old=yuan(change.old_line),
                    verb=verb,
                    new=yuan(change.new_line),
                )
            )
        blocks = new_credit_blocks(record, policy)
        if blocks:
            lines.append(client_text.QUOTA_NOTE.format(blocks="；".join(blocks)))
        if account.as_of is not None:
            lines.append(client_text.DATA_AS_OF.format(at=moment(account.as_of)))
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
