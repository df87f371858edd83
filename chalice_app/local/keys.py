"""API keys in a JSON file: `{"name": "key", ...}`, the values are the accepted keys."""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path

from chalice_app.auth import keys_in
from chalice_app.errors import KeyStoreUnavailableError


def read_key_file(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyStoreUnavailableError(f"API key file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise KeyStoreUnavailableError(f"API key file {path} is unreadable: {exc}") from None
    keys = keys_in(data, f"API key file {path}")
    if not keys:
        # Not cached as "no key is valid": the file is re-read until it holds one.
        raise KeyStoreUnavailableError(f"API key file {path} holds no key")
    return keys


def ensure_key_file(path: Path) -> str | None:
    """Create the file with one random key; return that key, or None if it existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        # O_EXCL: two processes starting at once cannot both write (and one lose) a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"default": key}, handle)
    return key


class JsonKeyFileStore:
    """KeyStore over a key file, cached for `ttl` seconds so revoked keys expire."""

    def __init__(self, path: Path, ttl: float) -> None:
        self._path = path
        self._ttl = ttl
        self._keys: dict[str, str] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()
        self.reads = 0

    def accepted_keys(self) -> dict[str, str]:
        if self._keys is None or time.monotonic() - self._read_at >= self._ttl:
            return self.refresh()
        return self._keys

    def refresh(self) -> dict[str, str]:
        with self._lock:
            self._keys = read_key_file(self._path)
            self._read_at = time.monotonic()
            self.reads += 1
            return self._keys
