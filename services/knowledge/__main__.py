"""Knowledge tools for the education team and CI.

python -m services.knowledge validate [--no-conflicts]   # exit 1 on any error
python -m services.knowledge render <faq_id>             # the answer as clients see it
python -m services.knowledge ask "融资利率多少"             # what the bot would answer now
python -m services.knowledge import                      # files → database (new ids only)
"""

from __future__ import annotations

import argparse
import sys

from core.knowledge.validate import errors, validate_entries, validate_policy
from core.policy import get_policy
from services.knowledge.store import FileStore


def cmd_validate(args: argparse.Namespace) -> int:
    policy = get_policy()
    problems = validate_policy(policy)
    entries = FileStore().published()
    problems += validate_entries(entries, policy, conflicts=not args.no_conflicts)
    for problem in problems:
        print(problem)
    bad = errors(problems)
    print(f"{len(entries)} entries, {len(bad)} errors, {len(problems) - len(bad)} warnings")
    return 1 if bad else 0


def cmd_render(args: argparse.Namespace) -> int:
    entry = next((e for e in FileStore().published() if e.id == args.faq_id), None)
    if entry is None:
        print(f"no entry {args.faq_id}", file=sys.stderr)
        return 1
    print(entry.render(get_policy()))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from services.knowledge.service import KnowledgeService

    service = KnowledgeService()
    decision = service.decide(args.question)
    print(f"decision: {decision.kind}")
    for hit in decision.hits:
        print(f"  {hit.score:.3f} {hit.faq_id} {hit.parts}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from services.knowledge.publishing import import_files
    from storage.db import session_scope

    with session_scope() as session:
        print(f"knowledge: {import_files(session)} entries imported into the database")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.knowledge")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--no-conflicts", action="store_true", help="skip the retriever conflict check")
    v.set_defaults(func=cmd_validate)
    r = sub.add_parser("render")
    r.add_argument("faq_id")
    r.set_defaults(func=cmd_render)
    a = sub.add_parser("ask")
    a.add_argument("question")
    a.set_defaults(func=cmd_ask)
    i = sub.add_parser("import", help="import knowledge/faq files into the database (new ids only)")
    i.set_defaults(func=cmd_import)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
