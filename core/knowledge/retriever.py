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
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import hstack
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.knowledge.model import Entry, Hit
from core.segment import domain_words, words
from core.text import normalize

# a sparse query vector: its non-zero columns and their values
QueryVector = Tuple[NDArray[np.int64], NDArray[np.float64]]


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
    """Okapi BM25 with each word's per-entry weights precomputed: a query sums a few vectors."""

    def __init__(self, docs: Sequence[List[str]], k1: float = 1.5, b: float = 0.75) -> None:
        lens = np.array([len(d) for d in docs], dtype=float)
        avg = float(lens.mean()) if len(docs) else 0.0
        df = Counter(w for d in docs for w in set(d))
        n = len(docs)
        self.size = n
        self.weights: Dict[str, NDArray[np.float64]] = {w: np.zeros(n) for w in df}
        for i, doc in enumerate(docs):
            for w, f in Counter(doc).items():
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                self.weights[w][i] = idf * f * (k1 + 1) / (f + k1 * (1 - b + b * lens[i] / avg))

    def scores(self, query: Sequence[str]) -> NDArray[np.float64]:
        out = np.zeros(self.size)
        for w in set(query):
            weights = self.weights.get(w)
            if weights is not None:
                out += weights
        return out


class QueryVectorizer:
    """A fitted TfidfVectorizer applied to one query without sklearn's per-call overhead:
    the same analyzer, sublinear tf, idf and l2 norm, so the same vector, returned as its
    non-zero (columns, values). About 20× faster than `transform([text])` here."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        self.analyze = fitted.build_analyzer()
        self.vocabulary: Dict[str, int] = fitted.vocabulary_
        self.idf: NDArray[np.float64] = fitted.idf_

    def __call__(self, doc: Any) -> QueryVector:
        counts = Counter(t for t in self.analyze(doc) if t in self.vocabulary)
        cols = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self.idf[cols]
        norm = math.sqrt(float(vals @ vals))
        return cols, (vals / norm if norm else vals)


class Retriever:
    def __init__(self, entries: Sequence[Entry], weights: Weights = Weights()) -> None:
        self.entries = list(entries)
        self.weights = weights
        # the terms that name a topic: every entry's tags and the domain dictionary
        self.vocabulary = frozenset(normalize(t) for e in self.entries for t in e.tags) | domain_words()
        texts: List[str] = []
        tokens: List[List[str]] = []
        owner: List[int] = []
        for i, entry in enumerate(self.entries):
            for t in entry.texts:
                normalized, toks = _prepared(t)
                texts.append(normalized)
                tokens.append(list(toks))
                owner.append(i)
        self.owner = np.array(owner, dtype=np.int64)
        self.starts = np.r_[0, np.flatnonzero(np.diff(self.owner)) + 1].astype(np.int64)  # each entry's first text
        self.text_counts = np.bincount(self.owner, minlength=len(self.entries))
        char = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self.text_matrix = char.fit_transform(texts) if texts else None
        self.char = QueryVectorizer(char) if texts else None
        # texts by n-gram: a query's cosines are the sum of its few n-grams' rows
        self.texts_by_ngram = self.text_matrix.T.tocsr() if self.text_matrix is not None else None
        per_entry: List[List[str]] = [[] for _ in self.entries]
        for i, text_tokens in zip(owner, tokens):
            per_entry[i].extend(text_tokens)
        self.bm25 = BM25(per_entry)
        self.classifier = None
        if len(self.entries) > 1 and self.text_matrix is not None:  # every entry has texts: never None here
            word = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            features = hstack([self.text_matrix, word.fit_transform(tokens)]).tocsr()
            self.word = QueryVectorizer(word)
            # liblinear (one-vs-rest) fits in ~0.1 s vs ~3 s for lbfgs, same accuracy here
            self.classifier = LogisticRegression(C=20.0, solver="liblinear")
            self.classifier.fit(features, self.owner)
            self.coef = np.ascontiguousarray(self.classifier.coef_.T)  # features × classes
            self.word_offset = self.text_matrix.shape[1]

    def _learned(self, char_vec: QueryVector, tokens: List[str]) -> NDArray[np.float64]:
        """The classifier's predict_proba (one-vs-rest, as liblinear's) for one query."""
        learned = np.zeros(len(self.entries))
        if self.classifier is None:
            return learned
        word_cols, word_vals = self.word(tokens)
        cols = np.concatenate([char_vec[0], word_cols + self.word_offset])
        vals = np.concatenate([char_vec[1], word_vals])
        decision = vals @ self.coef[cols] + self.classifier.intercept_
        if len(self.classifier.classes_) == 2:  # binary: one column of scores
            positive = expit(decision[-1:])
            prob = np.concatenate([1 - positive, positive])
        else:
            prob = expit(decision)
            prob /= prob.sum()
        learned[self.classifier.classes_] = prob
        return learned

    def rank(self, question: str, k: int = 3) -> List[Hit]:
        return self.rank_normalized(normalize(question), k)

    def rank_normalized(self, text: str, k: int = 3) -> List[Hit]:
        """`rank` for a question already passed through core.text.normalize."""
        if not text or not self.entries or self.char is None or self.texts_by_ngram is None:
            return []  # (char and texts_by_ngram are None only when there are no entries)
        tokens = words(text)
        char_vec = self.char(text)
        cos = self.texts_by_ngram[char_vec[0]].T @ char_vec[1]
        # an entry's texts are contiguous: sort each entry's cosines, best first, then
        # average its best `top_texts` and keep its best
        ranked = cos[np.lexsort((-cos, self.owner))]
        position = np.arange(len(ranked)) - self.starts[self.owner]
        keep = position < self.weights.top_texts
        lexical = np.bincount(self.owner[keep], weights=ranked[keep], minlength=len(self.entries)) / np.minimum(
            self.text_counts, self.weights.top_texts
        )
        best = ranked[self.starts]
        bm = self.bm25.scores(tokens)
        bm = bm / bm.max() if bm.max() > 0 else bm
        learned = self._learned(char_vec, tokens)
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
