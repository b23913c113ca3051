"""Start-up check of the secrets every process needs.

Outside demo mode a process refuses to start unless BOT_JWT_SECRET (client tokens),
BOT_STAFF_JWT_SECRET (staff tokens) and BOT_ACTION_SECRET (Rasa → action server
signatures) are set, at least 32 bytes each and all different: nothing is derived
from another secret. Demo mode generates random ones once per install (core.settings).

    python -m core.secrets check      # exit 1 with the reason when they are not usable
"""

from __future__ import annotations

import sys
from typing import List, Optional

from core.settings import MIN_SECRET_BYTES, SECRET_VARIABLES, Settings, get_settings


class MissingSecret(SystemExit):
    """Raised at start-up: exits the process non-zero with a message naming the variable."""


def problems(settings: Optional[Settings] = None) -> List[str]:
    settings = settings or get_settings()
    values = dict(zip(SECRET_VARIABLES, (settings.jwt_secret, settings.staff_jwt_secret, settings.action_secret)))
    found = []
    for name, value in values.items():
        if not value:
            found.append(f"{name} is not set")
        elif len(value.encode()) < MIN_SECRET_BYTES:
            found.append(f"{name} is shorter than {MIN_SECRET_BYTES} bytes")
    if not found and len(set(values.values())) < len(values):
        found.append(f"{', '.join(SECRET_VARIABLES)} must be different, independent secrets")
    return found


def require(process: str = "this process") -> Settings:
    """The settings, or exit non-zero naming what is missing."""
    settings = get_settings()
    found = problems(settings)
    if found:
        raise MissingSecret(
            f"[{process}] refusing to start: " + "; ".join(found) + ". Set each to a random value of at least "
            f"{MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`), or run in demo mode (BOT_DEMO_MODE=1)."
        )
    return settings


if __name__ == "__main__":
    if sys.argv[1:] != ["check"]:
        sys.exit("usage: python -m core.secrets check")
    require("make run")
