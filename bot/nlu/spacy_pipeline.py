"""The blank Chinese spaCy pipeline with 两融 entity rules.

No Chinese model can be downloaded here, so setup builds one: spaCy's blank `zh`
language with character segmentation (every character a token, so rule spans
always align), an entity_ruler for tier and stock names, and `lr_patterns`, a
regex matcher for amounts, percentages, dates and A-share codes. The rules are
saved inside the pipeline (config.cfg and the ruler's patterns).

    python -m bot.nlu.spacy_pipeline build var/spacy_zh
"""

# No `from __future__ import annotations` here: spaCy's registry reads the
# factory's real type hints.
import re
import sys
from pathlib import Path
from typing import Dict, List

import spacy
import yaml
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from core.policy import get_policy
from core.settings import LEXICON_DIR, VAR_DIR
from core.values import AMOUNT_UNIT

DEFAULT_PATH = VAR_DIR / "spacy_zh"
CN_NUM = "零〇一二两三四五六七八九十百千万亿点"
NUM = rf"(?:\d[\d,]*(?:\.\d+)?|[{CN_NUM}]+)"

# label → regex, applied to normalised (half-width, simplified, lower-case) text.
PATTERNS: Dict[str, List[str]] = {
    "percent": [
        rf"{NUM}\s*%",
        rf"百分之{NUM}",
        r"(?<![\u4e00-\u9fff])[一二两三四五六七八九]成半?(?![长交本功员立为果熟])"
        r"|(?<=[跌涨降亏少缩])[一二两三四五六七八九]成半?(?![长交本功员立为果熟])",
    ],
    "amount": [
        rf"{NUM}\s*个?\s*{AMOUNT_UNIT}",
        r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d%])",
    ],
    "date": [
        r"\d{4}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*[日号]?",
        r"(?<!\d)\d{1,2}\s*月\s*\d{1,2}\s*[日号]",
        r"今天|今日|明天|明日|后天|昨天|前天",
    ],
    "stock_code": [
        r"(?:sh|sz|bj)\s?\d{6}(?!\d)",
        r"(?<![\d.,])\d{6}(?:\.(?:sh|sz|bj))?(?![\d,]|\s*(?:元|万|块))",
    ],
}


@Language.factory("lr_patterns", default_config={"patterns": PATTERNS})
def create_pattern_matcher(nlp: Language, name: str, patterns: Dict[str, List[str]]):
    return PatternMatcher(patterns)


class PatternMatcher:
    def __init__(self, patterns: Dict[str, List[str]]) -> None:
        self.compiled = [(label, re.compile(p)) for label, ps in patterns.items() for p in ps]

    def __call__(self, doc: Doc) -> Doc:
        spans: List[Span] = list(doc.ents)
        for label, regex in self.compiled:
            for m in regex.finditer(doc.text):
                span = doc.char_span(m.start(), m.end(), label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.ents = filter_spans(spans)  # longest wins where rules overlap
        return doc


def _ruler_patterns() -> List[dict]:
    tiers = [str(t["name"]) for t in get_policy().get("risk_tiers.tiers")]
    patterns = [{"label": "risk_tier", "pattern": t} for t in tiers]
    patterns += [{"label": "risk_tier", "pattern": [{"LOWER": "c"}, {"TEXT": {"REGEX": "^[1-5]$"}}]}]
    with open(LEXICON_DIR / "stocks.yml", encoding="utf-8") as f:
        for name in yaml.safe_load(f):
            patterns.append({"label": "stock_name", "pattern": [{"LOWER": ch} for ch in str(name)]})
    return patterns


def build(path: Path = DEFAULT_PATH) -> Path:
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(_ruler_patterns())
    nlp.add_pipe("lr_patterns", after="entity_ruler")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


def load(path: Path = DEFAULT_PATH) -> Language:
    path = Path(path)
    if not (path / "config.cfg").exists():
        build(path)
    return spacy.load(path)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "build":
        print(build(Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_PATH))
    else:
        print(__doc__)
        sys.exit(2)
