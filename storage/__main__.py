"""Client database commands.

python -m storage migrate     # alembic upgrade head (creates the SQLite file if needed)
python -m storage seed        # add the demo clients that are missing
python -m storage setup       # both
"""

from __future__ import annotations

import sys
from typing import List, Optional

from storage import migrate
from storage.db import session_scope
from storage.seed import seed


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "setup"
    if command in ("migrate", "setup"):
        migrate.upgrade()
    if command in ("seed", "setup"):
        with session_scope() as session:
            print(f"demo data: {seed(session)} clients added")
    if command not in ("migrate", "seed", "setup"):
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
