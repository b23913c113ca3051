"""Records commands (the Makefile's purge, export-client, erase-client, audit-verify).

python -m services.records purge [--dry-run]
python -m services.records export C1001 out.json
python -m services.records erase C1002
python -m services.records audit-verify
python -m services.records retention        # the retention table in force
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from core.errors import NotFound
from core.retention import table
from core.settings import get_settings
from services.records.audit import verify_chain
from services.records.purge import purge
from services.records.subject import erase_client, export_client, record_export
from storage.db import session_scope


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:
        return "cli"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.records")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("purge", help="delete or anonymise what is past its retention period")
    p.add_argument("--dry-run", action="store_true", help="only count")
    e = sub.add_parser("export", help="everything held about one client, as JSON")
    e.add_argument("client_id")
    e.add_argument("out")
    r = sub.add_parser("erase", help="erase what no rule requires keeping about one client")
    r.add_argument("client_id")
    sub.add_parser("audit-verify", help="check the audit log's hash chain")
    sub.add_parser("retention", help="print the retention table in force")
    args = parser.parse_args(argv)
    try:
        if args.command == "purge":
            summary = purge(dry_run=args.dry_run, progress=print)
            print("\n".join(summary.lines()))
        elif args.command == "export":
            with session_scope() as s:
                data = export_client(s, args.client_id)
                record_export(s, args.client_id, _actor(), role="operator")
            Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            print(f"exported {args.client_id} to {args.out}")
        elif args.command == "erase":
            with session_scope() as s:
                report = erase_client(s, args.client_id, _actor(), role="operator")
            print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        elif args.command == "audit-verify":
            with session_scope() as s:
                result = verify_chain(s)
            print(result.line())
            return 0 if result.ok else 1
        elif args.command == "retention":
            for data_class, days in table(get_settings()):
                print(f"{data_class.key:22} {days:6} days  {data_class.after:9}  {data_class.env}")
    except NotFound as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
