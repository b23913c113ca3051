"""Rasa graph components: text normalisation and rule-based entity extraction."""

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
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from core import clock, values
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
