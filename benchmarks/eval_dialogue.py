"""Multi-turn dialogue evaluation (issue #15 "Hold a conversation") over Rasa's REST channel.

    python -m benchmarks.eval_dialogue [--url http://127.0.0.1:5005] [--start]
                                       [--file tests/eval/dialogue_dev.yml]
                                       [--pattern ellipsis] [--verbose] [--json out.json]

Each conversation of the file (schema in its header comment) is played with a fresh
sender id; when it names a demo `client`, every message carries `metadata.token`, a
JWT minted here (HS256, sub/iat/exp/aud="client", secret from BOT_JWT_SECRET).
Every turn's `expect` is checked against the JSON list Rasa returns (items with
`text`, optional `buttons`, optional `custom`). Reported: turn accuracy, accuracy on
the turns that depend on earlier ones (`context: true`) and whole-conversation success
(every turn right), overall and by pattern.

`run(url, conversations)` is importable and returns a `Report`; `check(expect, replies,
previous)` scores one turn without a server (the unit tests use it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "tests" / "eval" / "dialogue_dev.yml"
DEFAULT_URL = "http://127.0.0.1:5005"
SECRET_ENV = "BOT_JWT_SECRET"
TOKEN_AUDIENCE = "client"
TOKEN_LIFETIME_S = 3600

PATTERNS = (
    "ellipsis",
    "menu_choice",
    "correction",
    "vague",
    "stated_figure",
    "whatif_form",
    "personal_followup",
    "compliance",
    "human",
    "control",
)
EXPECT_KEYS = frozenset(
    {
        "faq_id",
        "not_faq_id",
        "contains",
        "not_contains",
        "menu",
        "pick",
        "handoff",
        "no_handoff",
        "form_asks",
        "compliance",
        "any_of",
    }
)
CLIENTS = frozenset({"C1001", "C1002", "C1003", "C1004"})

# --- what the checks look for -------------------------------------------------------
# hand-off: custom.handoff truthy, or the text says the chat is being put through / queued
# (a failed hand-off such as "暂时无法为您转接人工客服" does not match: a prefix is required)
HANDOFF_TEXT = re.compile(
    r"(正在|已经|已|马上|立即|这就)(为您|帮您|给您)?(转接|转到|转给|转|接通)(人工|客服)"
    r"|请求已记录|已(加入|进入)(人工)?排队|排队等待人工"
)
FORM_ASK_MARKS = ("？", "?", "请告诉我")
RISK_MARK = "风险提示"
NO_GUARANTEE = ("不保证", "无法保证", "不能保证", "不承诺", "不能承诺", "无法承诺")
BUTTON_FAQ = re.compile(r"""["']?faq_id["']?\s*[:=]\s*["']?([A-Za-z0-9_]+)""")
MENU_MIN_BUTTONS = 2
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Reply = Dict[str, Any]
Poster = Callable[[str, Dict[str, Any]], List[Reply]]


# --- text normalisation for contains / not_contains ---------------------------------
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WAN = re.compile(r"(\d+(?:\.\d+)?)万")
_TRAILING_ZEROS = re.compile(r"(\d+)\.(\d*?)0+(?=[%元])")
_DATE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CLOCK = re.compile(r"(?<![\d:])0(\d):(\d\d)")


def _expand_wan(match: re.Match[str]) -> str:
    try:
        value = Decimal(match.group(1)) * 10000
    except InvalidOperation:
        return match.group(0)
    return format(value.normalize(), "f")


def normalize(text: str) -> str:
    """Canonical form for comparing figures: NFKC (full-width → ASCII), 500,000 → 500000,
    50万 → 500000, 128.00% → 128%, 50.00元 → 50元, 2026-11-27 → 2026年11月27日,
    08:30 → 8:30, case-folded. Applied to both the expected string and the reply."""
    text = unicodedata.normalize("NFKC", text)
    text = _THOUSANDS.sub("", text)
    text = _WAN.sub(_expand_wan, text)
    text = _TRAILING_ZEROS.sub(lambda m: m.group(1) + ("." + m.group(2) if m.group(2) else ""), text)
    text = _DATE.sub(lambda m: f"{int(m.group(1))}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _CLOCK.sub(r"\1:\2", text)
    return text.casefold()


def _find(haystack: str, needle: str) -> bool:
    """Substring search where a needle that starts (ends) with a digit must not continue a
    number of the haystack: "50%" is not found in "150%", "80" not in "800"."""
    if not needle:
        return True
    pattern = re.escape(needle)
    if needle[0].isdigit():
        pattern = r"(?<![\d.])(?<!\d,)" + pattern
    if needle[-1].isdigit():
        pattern += r"(?!\d|[.,]\d)"
    return re.search(pattern, haystack) is not None


def text_has(haystack: str, needle: str) -> bool:
    """Literal match, or match after normalising both sides (numbers whole, see _find)."""
    return _find(haystack, needle) or _find(normalize(haystack), normalize(needle))


# --- reading a reply list ------------------------------------------------------------
def reply_text(replies: Sequence[Reply]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def customs(replies: Sequence[Reply]) -> List[Mapping[str, Any]]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), Mapping)]


def faq_ids(replies: Sequence[Reply]) -> List[str]:
    return [str(c["faq_id"]) for c in customs(replies) if c.get("faq_id")]


def buttons(replies: Sequence[Reply]) -> List[Mapping[str, Any]]:
    return [b for r in replies for b in (r.get("buttons") or []) if isinstance(b, Mapping)]


def button_faq_id(button: Mapping[str, Any]) -> Optional[str]:
    match = BUTTON_FAQ.search(str(button.get("payload") or ""))
    return match.group(1) if match else None


def is_menu(replies: Sequence[Reply]) -> bool:
    """A clarification menu: at least two buttons offered and no knowledge answer given."""
    return any(len(r.get("buttons") or []) >= MENU_MIN_BUTTONS for r in replies) and not faq_ids(replies)


def is_handoff(replies: Sequence[Reply]) -> bool:
    return any(c.get("handoff") for c in customs(replies)) or bool(HANDOFF_TEXT.search(reply_text(replies)))


def asks_for_figure(replies: Sequence[Reply]) -> bool:
    text = reply_text(replies)
    return any(mark in text for mark in FORM_ASK_MARKS)


def is_compliant_refusal(replies: Sequence[Reply]) -> bool:
    text = reply_text(replies)
    return RISK_MARK in text and any(p in text for p in NO_GUARANTEE)


def _as_list(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check(expect: Mapping[str, Any], replies: Sequence[Reply], previous: Sequence[Reply] = ()) -> List[str]:
    """Why this turn is wrong (empty list: right). `previous` is the bot's reply list of
    the turn before (needed by `pick`)."""
    problems: List[str] = []
    text = reply_text(replies)
    got_ids = faq_ids(replies)
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        problems.append(f"unknown expect keys {sorted(unknown)}")
    if "faq_id" in expect:
        wanted = [str(x) for x in _as_list(expect["faq_id"])]
        if not any(i in wanted for i in got_ids):
            problems.append(f"faq_id {wanted} not in {got_ids}")
    if "not_faq_id" in expect:
        banned = [str(x) for x in _as_list(expect["not_faq_id"])]
        hit = [i for i in got_ids if i in banned]
        if hit:
            problems.append(f"faq_id {hit} must not be answered")
    for needle in _as_list(expect.get("contains") or []):
        if not text_has(text, str(needle)):
            problems.append(f"missing {needle!r}")
    for needle in _as_list(expect.get("not_contains") or []):
        if text_has(text, str(needle)):
            problems.append(f"must not contain {needle!r}")
    if expect.get("menu") and not is_menu(replies):
        problems.append("no clarification menu")
    if "pick" in expect:
        problems.extend(_check_pick(int(expect["pick"]), got_ids, previous))
    if expect.get("handoff") and not is_handoff(replies):
        problems.append("no hand-off")
    if expect.get("no_handoff") and is_handoff(replies):
        problems.append("unexpected hand-off")
    if expect.get("form_asks") and not asks_for_figure(replies):
        problems.append("does not ask for the missing figure")
    if expect.get("compliance") and not is_compliant_refusal(replies):
        problems.append("no risk reminder + no-guarantee statement")
    if "any_of" in expect:
        alternatives = [check(sub, replies, previous) for sub in expect["any_of"]]
        if alternatives and all(alternatives):
            problems.append("none of any_of: " + " | ".join("; ".join(a) for a in alternatives))
    return problems


def _check_pick(n: int, got_ids: List[str], previous: Sequence[Reply]) -> List[str]:
    offered = buttons(previous)
    if not offered:
        return [f"pick {n}: the previous reply offered no buttons"]
    index = n - 1 if n > 0 else len(offered) + n
    if not 0 <= index < len(offered):
        return [f"pick {n}: the previous reply offered only {len(offered)} buttons"]
    wanted = button_faq_id(offered[index])
    if wanted is None:
        return [f"pick {n}: button {offered[index].get('title')!r} names no faq_id"]
    if wanted not in got_ids:
        return [f"pick {n}: wanted {wanted} (button {offered[index].get('title')!r}), got {got_ids}"]
    return []


# --- results -------------------------------------------------------------------------
@dataclass
class TurnResult:
    conversation: str
    pattern: str
    index: int  # 1-based
    user: str
    expect: Mapping[str, Any]
    context: bool
    replies: List[Reply]
    problems: List[str]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def got(self, width: int = 160) -> str:
        parts = []
        ids = faq_ids(self.replies)
        if ids:
            parts.append(f"faq={ids}")
        offered = buttons(self.replies)
        if offered:
            parts.append(f"buttons={[b.get('title') for b in offered]}")
        if is_handoff(self.replies):
            parts.append("handoff")
        text = reply_text(self.replies).replace("\n", " ")
        parts.append(repr(text[:width] + ("…" if len(text) > width else "")))
        return " ".join(parts)


@dataclass
class Score:
    conversations: int = 0
    conversations_ok: int = 0
    turns: int = 0
    turns_ok: int = 0
    context_turns: int = 0
    context_ok: int = 0

    @staticmethod
    def rate(ok: int, n: int) -> Optional[float]:
        return ok / n if n else None

    @property
    def turn_accuracy(self) -> Optional[float]:
        return self.rate(self.turns_ok, self.turns)

    @property
    def context_accuracy(self) -> Optional[float]:
        return self.rate(self.context_ok, self.context_turns)

    @property
    def conversation_success(self) -> Optional[float]:
        return self.rate(self.conversations_ok, self.conversations)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "conversations": self.conversations,
            "turns": self.turns,
            "context_turns": self.context_turns,
            "turn_accuracy": self.turn_accuracy,
            "context_accuracy": self.context_accuracy,
            "conversation_success": self.conversation_success,
        }


@dataclass
class Report:
    turns: List[TurnResult] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)  # transport failures, by conversation
    seconds: float = 0.0

    def by_conversation(self) -> Dict[str, List[TurnResult]]:
        out: Dict[str, List[TurnResult]] = defaultdict(list)
        for t in self.turns:
            out[t.conversation].append(t)
        return out

    def scores(self) -> Dict[str, Score]:
        """'ALL' plus one Score per pattern (in PATTERNS order, unknown ones last)."""
        out: Dict[str, Score] = {"ALL": Score()}
        for pattern in PATTERNS:
            if any(t.pattern == pattern for t in self.turns):
                out[pattern] = Score()
        for conv_turns in self.by_conversation().values():
            pattern = conv_turns[0].pattern
            for key in ("ALL", pattern):
                s = out.setdefault(key, Score())
                s.conversations += 1
                s.conversations_ok += all(t.ok for t in conv_turns)
                for t in conv_turns:
                    s.turns += 1
                    s.turns_ok += t.ok
                    if t.context:
                        s.context_turns += 1
                        s.context_ok += t.ok
        return out

    @property
    def failures(self) -> List[TurnResult]:
        return [t for t in self.turns if not t.ok]

    def table(self) -> str:
        def pct(v: Optional[float]) -> str:
            return "    -" if v is None else f"{v:>5.3f}"

        lines = [f"{'pattern':<18}{'convs':>6}{'turns':>6}{'turn-acc':>9}{'ctx-n':>6}{'ctx-acc':>8}{'conv-ok':>8}"]
        for name, s in self.scores().items():
            lines.append(
                f"{name:<18}{s.conversations:>6}{s.turns:>6}{pct(s.turn_accuracy):>9}"
                f"{s.context_turns:>6}{pct(s.context_accuracy):>8}{pct(s.conversation_success):>8}"
            )
        return "\n".join(lines)

    def failure_lines(self) -> List[str]:
        return [
            f"  ✗ {t.conversation} turn {t.index} [{'ctx' if t.context else 'own'}] {t.user!r}\n"
            f"      expected {json.dumps(t.expect, ensure_ascii=False)}\n"
            f"      problems {'; '.join(t.problems)}\n"
            f"      got      {t.got()}"
            for t in self.failures
        ]

    def as_dict(self) -> Dict[str, Any]:
        return {
            "scores": {k: v.as_dict() for k, v in self.scores().items()},
            "errors": self.errors,
            "seconds": self.seconds,
            "failures": [
                {
                    "id": t.conversation,
                    "turn": t.index,
                    "user": t.user,
                    "expect": t.expect,
                    "problems": t.problems,
                    "replies": t.replies,
                }
                for t in self.failures
            ],
        }


# --- transport and tokens ------------------------------------------------------------
def mint_token(client_id: str, secret: Optional[str] = None, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """The host app's login token for a demo client (interfaces.md §3)."""
    secret = secret if secret is not None else os.environ.get(SECRET_ENV)
    if not secret:
        raise SystemExit(
            f"{SECRET_ENV} is not set: it must hold the secret the running assistant uses "
            "to verify client tokens (the same value it was started with)."
        )
    import jwt  # PyJWT; imported here so the scorer works without it

    now = int(time.time())
    token = jwt.encode(
        {"sub": client_id, "iat": now, "exp": now + lifetime_s, "aud": TOKEN_AUDIENCE}, secret, algorithm="HS256"
    )
    return token if isinstance(token, str) else token.decode("ascii")


def http_poster(url: str, timeout: float = 30.0) -> Poster:
    """POST to {url}/webhooks/rest/webhook; returns Rasa's reply list."""
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"

    def post(_endpoint: str, body: Dict[str, Any]) -> List[Reply]:
        request = urllib.request.Request(
            endpoint,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read().decode("utf-8") or "[]")
        if not isinstance(data, list):
            raise ValueError(f"unexpected reply shape: {str(data)[:200]}")
        return [d for d in data if isinstance(d, dict)]

    return post


def reachable(url: str, timeout: float = 5.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/", timeout=timeout) as response:
            return int(response.status) < 500
    except (urllib.error.URLError, OSError):
        return False


# --- playing ---------------------------------------------------------------------------
def load_conversations(path: Path = DEFAULT_FILE) -> List[Dict[str, Any]]:
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of conversations")
    return data


def play(
    conversation: Mapping[str, Any],
    post: Poster,
    url: str,
    token: Optional[str],
    results: Optional[List[TurnResult]] = None,
) -> List[TurnResult]:
    """Play one conversation with a fresh sender id; scored turns are appended to
    `results` as they come (so a transport error keeps the turns already played)."""
    sender = f"evaldlg-{conversation['id']}-{uuid.uuid4().hex[:10]}"
    previous: List[Reply] = []
    results = [] if results is None else results
    for index, turn in enumerate(conversation["turns"], start=1):
        body: Dict[str, Any] = {"sender": sender, "message": str(turn["user"])}
        if token:
            body["metadata"] = {"token": token}
        started = time.perf_counter()
        replies = post(url, body)
        elapsed = time.perf_counter() - started
        expect = turn.get("expect") or {}
        results.append(
            TurnResult(
                conversation=str(conversation["id"]),
                pattern=str(conversation["pattern"]),
                index=index,
                user=str(turn["user"]),
                expect=expect,
                context=bool(turn.get("context")),
                replies=replies,
                problems=check(expect, replies, previous),
                seconds=elapsed,
            )
        )
        previous = replies
    return results


def run(
    url: str,
    conversations: Iterable[Mapping[str, Any]],
    *,
    post: Optional[Poster] = None,
    secret: Optional[str] = None,
    timeout: float = 30.0,
) -> Report:
    """Play every conversation (fresh sender each) and score it. `post` replaces the HTTP
    transport (tests); tokens are minted only for conversations that name a client."""
    conversations = list(conversations)
    poster = post or http_poster(url, timeout)
    tokens: Dict[str, str] = {}
    for client in sorted({str(c["client"]) for c in conversations if c.get("client")}):
        tokens[client] = mint_token(client, secret)
    report = Report()
    started = time.perf_counter()
    for conversation in conversations:
        token = tokens.get(str(conversation.get("client") or ""))
        played: List[TurnResult] = []
        try:
            play(conversation, poster, url, token, played)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            # the turns not played count as wrong, so the conversation fails too
            report.errors.append(f"{conversation['id']}: {exc}")
            for index, turn in enumerate(conversation["turns"], start=1):
                if index > len(played):
                    played.append(
                        TurnResult(
                            str(conversation["id"]),
                            str(conversation["pattern"]),
                            index,
                            str(turn["user"]),
                            turn.get("expect") or {},
                            bool(turn.get("context")),
                            [],
                            [f"transport error: {exc}"],
                        )
                    )
        report.turns.extend(played)
    report.seconds = time.perf_counter() - started
    return report


# the demo date the figures of the dev set are written for (C1003's call is still open)
DEMO_NOW = "2026-11-26T10:00:00+08:00"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument(
        "--file", type=Path, action="append", help="a set to play (repeatable; default tests/eval/dialogue_dev.yml)"
    )
    parser.add_argument("--start", action="store_true", help="start the assistant first (see start_assistant)")
    parser.add_argument("--pattern", action="append", choices=PATTERNS, help="only these patterns")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--verbose", "-v", action="store_true", help="list the failing turns")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    files: List[Path] = args.file or [DEFAULT_FILE]
    sets = []
    for path in files:
        conversations = load_conversations(path)
        if args.pattern:
            conversations = [c for c in conversations if c.get("pattern") in args.pattern]
        sets.append((path, conversations))
    if args.start:  # this assistant as `make run` starts it, on free ports and a fresh demo database
        import tempfile

        from benchmarks import latency

        with tempfile.TemporaryDirectory() as tmp:
            env = latency.bench_env(BOT_DATABASE_URL=f"sqlite:///{tmp}/dialogue.db", BOT_FAKE_NOW=DEMO_NOW)
            servers, url = latency.start_assistant(Path(tmp), env)
            os.environ[SECRET_ENV] = env[SECRET_ENV]
            try:
                return _evaluate_all(args, sets, url)
            finally:
                for server in reversed(servers):
                    server.stop()
    return _evaluate_all(args, sets, args.url)


def _evaluate_all(args: argparse.Namespace, sets: List[Tuple[Path, List[Dict[str, Any]]]], url: str) -> int:
    if not reachable(url):
        print(f"No assistant answers on {url}; start it first (make run).", file=sys.stderr)
        return 2
    for path, conversations in sets:
        if len(sets) > 1:
            print()
        _evaluate(args, path, conversations, url)
    return 0


def _evaluate(args: argparse.Namespace, path: Path, conversations: List[Dict[str, Any]], url: str) -> None:
    report = run(url, conversations, timeout=args.timeout)
    n_turns = len(report.turns)
    print(
        f"Dialogue evaluation, {path.name}: {len(conversations)} conversations, {n_turns} turns, {report.seconds:.1f}s"
    )
    print(report.table())
    if report.errors:
        print(f"{len(report.errors)} conversations hit transport errors, e.g. {report.errors[0]}")
    if args.verbose and report.failures:
        print(f"\nFailing turns ({len(report.failures)}):")
        print("\n".join(report.failure_lines()))
    if args.json:
        out = args.json if len(args.file or []) <= 1 else args.json.with_name(f"{args.json.stem}-{path.stem}.json")
        out.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
