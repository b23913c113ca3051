"""Ranks knowledge entries for a question.

Three signals, each robust to a different failure (see shared/notes/retrieval-findings.md):
- char 1–3-gram TF-IDF cosine against every text of an entry (survives typos and
  odd segmentation), aggregated over the entry's best-matching texts;
- BM25 over jieba words (rewards the domain words that separate close topics);
- a logistic-regression classifier trained on the entries' own texts (learns which
  n-grams tell close topics apart). It trains in about a second, so publishing an
  entry rebuilds the index without touching the Rasa model.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Sequence, Tuple

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.knowledge.model import Entry, Hit
from bot.segment import words
from bot.text import normalize


@dataclass(frozen=True)
class Weights:
    lexical: float = 0.35
    bm25: float = 0.15
    learned: float = 0.50
    top_texts: int = 3  # lexical score = mean of an entry's best k text cosines


def _identity(tokens: List[str]) -> List[str]:
    return tokens


@lru_cache(maxsize=50_000)
def _prepared(text: str) -> Tuple[str, Tuple[str, ...]]:
    """Normalised text and its words; cached so a rebuild after one edit is quick."""
    normalized = normalize(text)
    return normalized, tuple(words(normalized))


class BM25:
    def __init__(self, docs: Sequence[List[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(d) for d in docs]
        self.lens = np.array([len(d) for d in docs], dtype=float)
        self.avg = float(self.lens.mean()) if len(docs) else 0.0
        df = Counter(w for d in docs for w in set(d))
        n = len(docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}

    def scores(self, query: List[str]) -> np.ndarray:
        out = np.zeros(len(self.tfs))
        for w in set(query):
            idf = self.idf.get(w)
            if idf is None:
                continue
            for i, tf in enumerate(self.tfs):
                f = tf.get(w)
                if f:
                    denom = f + self.k1 * (1 - self.b + self.b * self.lens[i] / self.avg)
                    out[i] += idf * f * (self.k1 + 1) / denom
        return out


class Retriever:
    def __init__(self, entries: Sequence[Entry], weights: Weights = Weights()) -> None:
        self.entries = list(entries)
        self.weights = weights
        texts: List[str] = []
        tokens: List[List[str]] = []
        owner: List[int] = []
        for i, entry in enumerate(self.entries):
            for t in entry.texts:
                normalized, toks = _prepared(t)
                texts.append(normalized)
                tokens.append(list(toks))
                owner.append(i)
        self.owner = np.array(owner)
        self.bounds = np.flatnonzero(np.diff(self.owner)) + 1  # where each entry's texts start
        self.char = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self.text_matrix = self.char.fit_transform(texts)
        per_entry: List[List[str]] = [[] for _ in self.entries]
        for i, toks in zip(owner, tokens):
            per_entry[i].extend(toks)
        self.bm25 = BM25(per_entry)
        self.classifier = None
        if len(self.entries) > 1:
            self.word = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            features = hstack([self.text_matrix, self.word.fit_transform(tokens)]).tocsr()
            # liblinear (one-vs-rest) fits in ~0.1 s vs ~3 s for lbfgs, same accuracy here
            self.classifier = LogisticRegression(C=20.0, solver="liblinear")
            self.classifier.fit(features, self.owner)

    def rank(self, question: str, k: int = 3) -> List[Hit]:
        text = normalize(question)
        if not text or not self.entries:
            return []
        tokens = words(text)
        cos = (self.text_matrix @ self.char.transform([text]).T).toarray().ravel()
        # entries' texts are contiguous: best-k mean and max per entry, segment by segment
        lexical = np.empty(len(self.entries))
        best = np.empty(len(self.entries))
        for i, segment in enumerate(np.split(cos, self.bounds)):
            top = -np.sort(-segment)[: self.weights.top_texts]
            lexical[i], best[i] = top.mean(), top[0]
        bm = self.bm25.scores(tokens)
        bm = bm / bm.max() if bm.max() > 0 else bm
        learned = np.zeros(len(self.entries))
        if self.classifier is not None:
            features = hstack([self.char.transform([text]), self.word.transform([tokens])]).tocsr()
            learned[self.classifier.classes_] = self.classifier.predict_proba(features)[0]
        w = self.weights
        combined = w.lexical * lexical + w.bm25 * bm * lexical.max() + w.learned * learned
        order = np.argsort(-combined)[:k]
        return [
            Hit(
                entry=self.entries[i],
                score=round(float(combined[i]), 4),
                parts={
                    "lexical": round(float(lexical[i]), 4),
                    "best_text": round(float(best[i]), 4),
                    "bm25": round(float(bm[i]), 4),
                    "learned": round(float(learned[i]), 4),
                },
            )
            for i in order
        ]
