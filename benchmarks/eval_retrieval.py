"""FAQ retrieval on the held-out questions (tests/eval/heldout_faq.yml), by kind.

python -m benchmarks.eval_retrieval [--errors]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from typing import Dict, List

from benchmarks.common import EVAL_DIR, load_items
from core.text import normalize
from services.knowledge.service import KnowledgeService


def evaluate(service: KnowledgeService, items: List[dict]) -> Dict[str, Dict[str, float]]:
    by_kind: Dict[str, List[tuple]] = defaultdict(list)
    for item in items:
        hits = service.rank(item["text"], k=3)
        ids = [h.faq_id for h in hits]
        decision = service.decide(item["text"]).kind
        row = (ids[:1] == [item["faq_id"]], item["faq_id"] in ids, decision, ids, item)
        by_kind[item.get("kind", "all")].append(row)
        by_kind["ALL"].append(row)
        if item.get("kind") != "_in_kb_texts":
            by_kind["ALL_UNSEEN"].append(row)
    out = {}
    for kind, rows in sorted(by_kind.items()):
        n = len(rows)
        out[kind] = {
            "n": n,
            "top1": sum(r[0] for r in rows) / n,
            "top3": sum(r[1] for r in rows) / n,
            "answered": sum(r[2] == "answer" for r in rows) / n,
            "answered_right": sum(r[2] == "answer" and r[0] for r in rows) / n,
        }
    out["_rows"] = by_kind["ALL"]  # type: ignore[assignment]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("files", nargs="*", default=["heldout_faq.yml", "fresh_faq.yml"])
    args = parser.parse_args(argv)
    started = time.perf_counter()
    service = KnowledgeService()
    build = time.perf_counter() - started
    seen = {normalize(t) for entry in service.entries for t in entry.texts}
    for name in args.files:
        if not (EVAL_DIR / name).exists():
            continue
        items = load_items(name)
        for item in items:
            if normalize(item["text"]) in seen:
                item["kind"] = "_in_kb_texts"  # reported apart: the KB already has this exact text
        run_one(name, service, items, build, args.errors)
    return 0


def run_one(name: str, service: KnowledgeService, items: List[dict], build: float, errors: bool) -> None:
    t0 = time.perf_counter()
    result = evaluate(service, items)
    per_q = (time.perf_counter() - t0) / len(items) * 1000
    rows = result.pop("_rows")
    print(
        f"FAQ retrieval, {name} ({len(items)} questions; index built in {build:.2f}s, "
        f"{per_q:.1f} ms/question incl. decision)"
    )
    print(f"{'kind':<13}{'n':>5}{'top-1':>8}{'top-3':>8}{'answered':>10}{'ans.right':>10}")
    for kind, m in result.items():
        print(
            f"{kind:<13}{m['n']:>5}{m['top1']:>8.3f}{m['top3']:>8.3f}{m['answered']:>10.3f}{m['answered_right']:>10.3f}"
        )
    if errors:
        for ok1, _ok3, decision, ids, item in rows:
            if not ok1:
                print(f"  ✗ [{item.get('kind')}] {item['text']}  → {ids} (want {item['faq_id']}, {decision})")


if __name__ == "__main__":
    sys.exit(main())
