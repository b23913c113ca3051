"""Intent classification on held-out messages (tests/eval/heldout_intents.yml).

    python -m benchmarks.eval_nlu [--model models/liangrong.tar.gz] [--errors]

Prints per-intent precision/recall/F1, macro-F1 and the out-of-scope rate. The
final intent is what the dialogue acts on: nlu_fallback (low confidence) is
resolved the way action_clarify resolves it — a confident knowledge match counts
as faq, anything else as out_of_scope.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from typing import Any, Dict, List, Tuple

from benchmarks.common import EVAL_DIR, load_items, nlu_training_texts
from core.settings import ROOT
from core.text import normalize


def quiet_rasa() -> None:
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)


def load_agent(model: str) -> Any:
    from rasa.core.agent import Agent

    quiet_rasa()
    return Agent.load(model)


async def predict(agent: Any, texts: List[str]) -> List[Tuple[str, float]]:
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append((parsed["intent"]["name"], float(parsed["intent"].get("confidence") or 0)))
    return out


def resolve_fallback(text: str, intent: str) -> str:
    if intent != "nlu_fallback":
        return intent
    from services.context import current

    return "faq" if current().knowledge.decide(text).kind == "answer" else "out_of_scope"


def scores(gold: List[str], pred: List[str]) -> Dict[str, Dict[str, float]]:
    labels = sorted(set(gold))
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    out = {}
    for label in labels:
        prec = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        rec = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = {"precision": prec, "recall": rec, "f1": f1, "n": tp[label] + fn[label]}
    return out


def report(title: str, texts: List[str], gold: List[str], pred: List[str], detail: bool) -> Dict[str, float]:
    table = scores(gold, pred)
    macro = sum(v["f1"] for v in table.values()) / len(table)
    oos = [p for g, p in zip(gold, pred) if g == "out_of_scope"]
    oos_rate = sum(p == "out_of_scope" for p in oos) / max(1, len(oos))
    print(f"{title}: {len(texts)} messages, macro-F1 {macro:.3f}, out-of-scope kept out of scope {oos_rate:.3f}")
    if detail:
        print(f"  {'intent':<24}{'n':>5}{'prec':>7}{'recall':>8}{'F1':>7}")
        for label, v in table.items():
            print(f"  {label:<24}{v['n']:>5}{v['precision']:>7.3f}{v['recall']:>8.3f}{v['f1']:>7.3f}")
    return {"macro_f1": macro, "oos": oos_rate, "n": len(texts)}


def evaluate(model: str, files: List[str], errors: bool = False) -> Dict[str, Dict[str, float]]:
    seen = nlu_training_texts()
    agent = load_agent(model)
    results = {}
    for name in files:
        items = load_items(name)
        texts = [i["text"] for i in items]
        gold = [i["intent"] for i in items]
        raw = asyncio.run(predict(agent, texts))
        pred = [resolve_fallback(t, p) for t, (p, _) in zip(texts, raw)]
        results[name] = report(f"{name} (all)", texts, gold, pred, detail=True)
        unseen = [k for k, t in enumerate(texts) if normalize(t) not in seen]
        results[name + ":unseen"] = report(
            f"{name} (not in training: {len(unseen)})",
            [texts[k] for k in unseen],
            [gold[k] for k in unseen],
            [pred[k] for k in unseen],
            detail=False,
        )
        if errors:
            for t, g, p, (r, c) in zip(texts, gold, pred, raw):
                if g != p:
                    print(f"  ✗ {t!r}: want {g}, got {p} ({r} {c:.2f})")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "liangrong.tar.gz"))
    parser.add_argument("--errors", action="store_true")
    parser.add_argument(
        "files",
        nargs="*",
        default=["heldout_intents.yml", "fresh_intents.yml", "fresh2_intents.yml", "fresh3_intents.yml"],
    )
    args = parser.parse_args(argv)
    files = [f for f in args.files if (EVAL_DIR / f).exists()]
    evaluate(args.model, files, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
