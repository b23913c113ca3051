"""Masking of what staff pages show of clients' own words (insights, its CSV): figures,
ids and phone numbers (core/logs.mask), and the names of the clients who wrote them."""

from __future__ import annotations

from typing import Iterable, List

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.logs import mask
from storage.models import Client
from storage.records import ConversationClient


class TextMasker:
    """mask(), plus the names of the verified clients behind these conversations."""

    def __init__(self, session: Session, sender_ids: Iterable[str]) -> None:
        senders = sorted({s for s in sender_ids if s})
        names: List[str] = []
        for start in range(0, len(senders), 500):
            names += session.scalars(
                select(Client.name)
                .join(ConversationClient, ConversationClient.client_id == Client.id)
                .where(ConversationClient.sender_id.in_(senders[start : start + 500]))
            )
        self.names = sorted({n for n in names if n}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for name in self.names:
            text = text.replace(name, name[:1] + "*" * (len(name) - 1))
        return mask(text)
