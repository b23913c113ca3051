"""The agents' reply assistant on hand-off transcripts (tests/eval/handoff_transcripts.yml):
is an entry the agent needs among the top 3 suggestions for the conversation?

python -m benchmarks.eval_assist [--errors]

Printed twice: with the conversation (what the console sends) and with the latest
client message alone (the assistant before it took the conversation).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

import yaml

from benchmarks.common import EVAL_DIR
from bot.channels.assist import rank_conversation
from services.knowledge.service import KnowledgeService

TARGET = 0.90


def load() -> List[Dict[str, Any]]:
    with open(EVAL_DIR / "handoff_transcripts.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["transcripts"]


def evaluate(service: KnowledgeService, items: List[Dict[str, Any]], context: bool) -> List[tuple]:
    rows = []
    for item in items:
        turns = item["conversation"]
        latest = [t["text"] for t in turns if t["role"] == "client"][-1]
        if context:
            ranked = rank_conversation(service, latest, turns, item.get("reason"), item.get("client"), k=3)
            ids = [entry.id for entry, _ in ranked]
        else:
            ids = [hit.faq_id for hit in service.rank(latest, k=3)]
        top1 = bool(ids) and ids[0] in item["expect"]
        rows.append((bool(set(ids) & set(item["expect"])), top1, ids, item))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    service = KnowledgeService()
    items = load()
    result = {}
    for label, context in (("conversation", True), ("latest message only", False)):
        rows = evaluate(service, items, context)
        top3 = sum(r[0] for r in rows) / len(rows)
        top1 = sum(r[1] for r in rows) / len(rows)
        result[label] = top3
        print(f"assist, {len(rows)} hand-off transcripts, {label:<20} top-1 {top1:.3f}  top-3 {top3:.3f}")
        if args.errors:
            for ok, _, ids, item in rows:
                if not ok:
                    print(f"  ✗ {item['id']}: {ids} (want {item['expect']})")
    verdict = "meets" if result["conversation"] >= TARGET else "BELOW"
    print(f"top-3 hit rate with the conversation: {result['conversation']:.3f} ({verdict} the target ≥ {TARGET:.2f})")
    return 0 if result["conversation"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
