"""Rasa graph components: text normalisation, rule-based entity extraction and the
compliance guard."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core import clock, values
from core.knowledge.context import asks_compliance, asks_for_rule, asks_to_be_put_through
from core.policy import plain
from core.settings import ROOT
from core.text import normalize

log = logging.getLogger(__name__)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites the message text into its canonical form before tokenisation.

    Traditional → simplified, full-width → half-width, English 两融 terms and common
    typos mapped (bot/text.py). The same function normalises knowledge texts, so
    training data, live messages and the knowledge base all meet in one form.
    """

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        return cls()

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if text and not text.startswith("/"):  # leave "/intent{...}" payloads alone
            message.set(TEXT, normalize(text) or text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages


PARSERS: Dict[str, Callable[[str], Optional[Any]]] = {
    "amount": values.parse_amount,
    "percent": values.parse_percent,
    "date": lambda text: values.parse_date(text, clock.today()),
    "stock_code": values.parse_stock_code,
    "risk_tier": values.parse_tier,
    "stock_name": lambda text: text,
}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SpacyRuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities from the blank Chinese spaCy pipeline's rules, with canonical values.

    Values: amount in yuan ("100000"), percent in points ("10"), ISO date,
    stock_code "600519.SH", risk_tier "C3". Spans whose value cannot be parsed are
    dropped rather than passed on half-understood.
    """

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"model": "var/spacy_zh"}

    def __init__(self, config: Dict[str, Any]) -> None:
        from bot.nlu import spacy_pipeline

        path = Path(config["model"])
        self.nlp = spacy_pipeline.load(path if path.is_absolute() else ROOT / path)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyRuleEntityExtractor:
        return cls(config)

    def extract(self, text: str) -> List[Dict[str, Any]]:
        entities = []
        for ent in self.nlp(text).ents:
            value = PARSERS[ent.label_](ent.text)
            if value is None:
                continue
            entities.append(
                {
                    "entity": ent.label_,
                    "value": plain(value) if isinstance(value, Decimal) else str(value),
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "confidence": 1.0,
                }
            )
        return entities

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name(self.extract(text))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


ADVICE_INTENT = "ask_investment_advice"
HUMAN_INTENT = "request_human"


class _RuleIntent(GraphComponent):
    """Sets INTENT for the messages `matches` recognises, whatever the classifier read (a
    what-if, a follow-up, a fallback). Placed after the FallbackClassifier."""

    INTENT = ""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _RuleIntent:
        return cls()

    @staticmethod
    def matches(text: str) -> bool:
        raise NotImplementedError

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/") or not self.matches(text):
                continue
            intent = {INTENT_NAME_KEY: self.INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != self.INTENT]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages


PERSONAL_INTENTS = ("check_eligibility", "query_quota", "query_risk_tier", "query_margin_status")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RuleQuestionGuard(_RuleIntent):
    """A lookup's words asking for the rule ("七十多岁的老人家还能开吗", "我妈能开两融吗",
    "维持担保比例是怎么算的") are a knowledge question: faq, as the dialogue reads them
    (actions/personal.py). Only a personal reading is changed."""

    INTENT = "faq"

    def process(self, messages: List[Message]) -> List[Message]:
        personal = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) in PERSONAL_INTENTS]
        super().process(personal)
        return messages

    @staticmethod
    def matches(text: str) -> bool:
        return asks_for_rule(text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class HumanRequestGuard(_RuleIntent):
    """A plain request to be put through ("我被追保了 急 找个人", "叫个真人来") is a hand-off
    in any turn; questions about the hours and a declined person are left to the classifier."""

    INTENT = HUMAN_INTENT

    @staticmethod
    def matches(text: str) -> bool:
        return asks_to_be_put_through(text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ComplianceGuard(_RuleIntent):
    """Guarantees, promised returns, compensation for losses, market calls and stock picks
    are refused in any turn: a message core.knowledge.context.asks_compliance recognises
    becomes ask_investment_advice, whose rule gives the compliance answer with the risk
    reminder. Placed last, so that it wins over any other guard."""

    INTENT = ADVICE_INTENT

    @staticmethod
    def matches(text: str) -> bool:
        return asks_compliance(text)
