"""Small operator commands.

python -m bot token C1001 [--ttl 3600]   # mint a client token (BOT_JWT_SECRET; demo mode: the generated one)
"""

from __future__ import annotations

import argparse
import sys

from core.auth import mint


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    token = sub.add_parser("token", help="mint a client token for the demo")
    token.add_argument("client_id")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    args = parser.parse_args(argv)
    if args.command == "token":
        try:
            print(mint(args.client_id, ttl_s=args.ttl))
        except ValueError as exc:  # no usable secret (outside demo mode, BOT_JWT_SECRET unset)
            print(f"token: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
