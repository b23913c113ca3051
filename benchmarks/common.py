"""Helpers shared by the evaluations: held-out files and what training already saw."""

from __future__ import annotations

import glob
import socket
from pathlib import Path
from typing import List, Set

import yaml

from core.settings import ROOT
from core.text import normalize

EVAL_DIR = ROOT / "tests" / "eval"


def load_items(name: str) -> List[dict]:
    return yaml.safe_load((EVAL_DIR / name).read_text(encoding="utf-8"))


def nlu_training_texts() -> Set[str]:
    texts = set()
    for path in glob.glob(str(ROOT / "data" / "nlu" / "*.yml")):
        for item in yaml.safe_load(Path(path).read_text(encoding="utf-8")).get("nlu", []):
            for line in (item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.add(normalize(line.strip()[2:]))
    return texts


def free_port() -> int:
    """A TCP port free on loopback now (tests and benchmarks start servers on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
