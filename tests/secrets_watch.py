"""The keys the suite makes, so that its end can check none of them reached any output.

Tests that need a real-looking key take one from `new_key()` (or `register` one they
got elsewhere); tests/conftest.py scans every captured output and server log for them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_ISSUED: set[str] = set()
# Shorter fragments would match by chance; 12 characters of a random key never do.
FRAGMENT = 12
# Where the processes of one run (pytest-xdist's workers) leave the keys they issued and
# the directories their servers logged to, for the controlling process to check at the
# end: it runs no test itself. Set by tests/conftest.py; workers inherit it.
SHARED_DIRECTORY = "PVP_TEST_WATCH_DIR"


def register(key: str) -> str:
    _ISSUED.add(key)
    share("keys", key)
    return key


def share(kind: str, line: str) -> None:
    """Leave one line for the controlling process (nothing when no run shares)."""
    directory = os.environ.get(SHARED_DIRECTORY)
    if directory:
        with (Path(directory) / kind).open("a") as shared:
            shared.write(line + "\n")


def shared(kind: str) -> set[str]:
    directory = os.environ.get(SHARED_DIRECTORY)
    path = Path(directory) / kind if directory else None
    return set(path.read_text().splitlines()) if path and path.exists() else set()


def new_key() -> str:
    return register(secrets.token_urlsafe(32))


def issued() -> frozenset[str]:
    return frozenset(_ISSUED | shared("keys"))


def forms(key: str) -> set[str]:
    """The key, its start and end (as masking code would print them), and its base64."""
    return {key, key[:FRAGMENT], key[-FRAGMENT:], base64.b64encode(key.encode()).decode()}


def leaks(text: str, keys: Iterable[str]) -> list[str]:
    """Which forms of which keys occur in the text (described without the key itself)."""
    found = []
    for key in keys:
        for form in forms(key):
            if form in text:
                found.append(f"a form of the key starting {key[:3]}... ({len(form)} chars)")
    return found


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects among output lines (Powertools' logs and metrics)."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def metric_documents(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The EMF metric documents among JSON output lines."""
    return [line for line in lines if "_aws" in line]
