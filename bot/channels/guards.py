"""Per-sender and per-IP rate limits (sliding window, per instance).

Limits come from BOT_RATE_LIMIT_SENDER and BOT_RATE_LIMIT_IP as "count/seconds"
(defaults 30/60 and 3000/60); behind a proxy the client IP is X-Forwarded-For's first hop.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict, deque
from typing import Deque, Dict, Optional, Tuple

RATE_LIMITED_TEXT = "您发送消息太频繁了，请稍等片刻再试。"


def _limit(name: str, default: str) -> Tuple[int, float]:
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), float(seconds)


class SlidingWindow:
    def __init__(self, count: int, seconds: float, max_keys: int = 100_000) -> None:
        self.count, self.seconds, self.max_keys = count, seconds, max_keys
        self.hits: Dict[str, Deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, key: str, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            if len(self.hits) > self.max_keys:  # bound memory under a flood of new keys
                self.hits.clear()
            window = self.hits[key]
            while window and now - window[0] > self.seconds:
                window.popleft()
            if len(window) >= self.count:
                return False
            window.append(now)
            return True


class RateLimiter:
    def __init__(self) -> None:
        self.per_sender = SlidingWindow(*_limit("BOT_RATE_LIMIT_SENDER", "30/60"))
        self.per_ip = SlidingWindow(*_limit("BOT_RATE_LIMIT_IP", "3000/60"))

    def allow(self, sender: Optional[str], ip: Optional[str]) -> bool:
        """Each limit applies when its key is known (socket.io messages carry no IP here:
        they must not all share one bucket)."""
        return (ip is None or self.per_ip.allow(ip)) and (sender is None or self.per_sender.allow(sender))


def client_ip(request) -> str:
    forwarded = request.headers.get("x-forwarded-for", "")
    return forwarded.split(",")[0].strip() or (request.ip or "?")
