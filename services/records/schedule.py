"""The pages server's daily purge: a service with start()/stop() (no thread at import)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Optional

from core import clock
from core.settings import get_settings
from services.records.purge import purge

log = logging.getLogger(__name__)


def next_run(moment: datetime, at: str) -> datetime:
    """The next broker-local `at` (HH:MM) strictly after `moment`."""
    hours, minutes = (int(part) for part in at.split(":"))
    local = moment.astimezone(clock.TZ)
    run = datetime.combine(local.date(), time(hours, minutes), clock.TZ)
    return run if run > local else run + timedelta(days=1)


class DailyPurge:
    """Runs `purge()` every day at BOT_PURGE_DAILY_AT (broker-local), off the event loop."""

    def __init__(self, at: Optional[str] = None) -> None:
        self.at = at if at is not None else get_settings().purge_daily_at
        self._task: Optional[asyncio.Task] = None

    @property
    def enabled(self) -> bool:
        return self.at.lower() not in ("", "off", "0", "no")

    def start(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        if not self.enabled or self._task is not None:
            return
        next_run(clock.now(), self.at)  # a malformed time fails at start-up, not at 03:30
        self._task = (loop or asyncio.get_running_loop()).create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def run_once(self) -> None:
        loop = asyncio.get_running_loop()
        summary = await loop.run_in_executor(None, lambda: purge(progress=log.info))
        log.info("daily purge done: %s", "; ".join(summary.lines()))

    async def _loop(self) -> None:
        while True:
            wait = (next_run(clock.now(), self.at) - clock.now()).total_seconds()
            await asyncio.sleep(max(1.0, wait))
            try:
                await self.run_once()
            except Exception:
                log.warning("daily purge failed; it runs again tomorrow (or `make purge`)", exc_info=True)
