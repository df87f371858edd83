"""API-key check: constant-time comparison and a rate-limited refresh on a miss.

A key store is a JSON object `{"client name": "key", ...}` (the old system's shape); a
checked key answers with its client's name, which the prediction log records and the
idempotency of /start_training is scoped by. The name survives a key's rotation; the key
itself is never logged.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from chalice_app import observability
from chalice_app.errors import ForbiddenError, KeyStoreUnavailableError, ServiceUnavailableError
from chalice_app.ports import KeyStore

log = logging.getLogger(__name__)
# What a client hears when keys cannot be read; where and why goes to the log only.
KEYS_UNAVAILABLE = "API keys cannot be checked now; try again later"


def keys_in(data: Any, where: str) -> dict[str, str]:
    """The accepted keys of a key store's JSON object, each with its client's name.

    Values that are not non-empty strings are not keys. A key listed under two names
    answers as the first name in sorted order, the same on every read.
    """
    if not isinstance(data, dict):
        raise KeyStoreUnavailableError(f"{where} must hold a JSON object")
    accepted: dict[str, str] = {}
    for name in sorted(data, key=str):
        key = data[name]
        if isinstance(key, str) and key and key not in accepted:
            accepted[key] = str(name)
    return accepted


def _client_of(candidate: str, accepted: Mapping[str, str]) -> str | None:
    given = candidate.encode()
    found: str | None = None
    # No early exit: the time taken must not tell which (or whether a) key was close.
    for key, name in accepted.items():
        if hmac.compare_digest(given, key.encode()):
            found = name
    return found


class KeyChecker:
    """Accepts a key in the store; a miss may re-read it, at most once per interval."""

    def __init__(
        self,
        store: KeyStore,
        refresh_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._interval = refresh_interval
        self._clock = clock
        self._last_refresh: float | None = None
        self._lock = threading.Lock()

    def check(self, candidate: str | None) -> str:
        """The name of the client whose key this is; ForbiddenError or a 503 otherwise."""
        if not candidate:
            raise ForbiddenError("missing API key")
        try:
            accepted = self._store.accepted_keys()
            if not accepted and self._may_refresh():  # it may have been fixed since
                accepted = self._store.refresh()
            if not accepted:
                # A store with no key refuses everyone: that is a broken store, not bad keys.
                raise KeyStoreUnavailableError("the key store holds no key")
            client = _client_of(candidate, accepted)
            if client is not None:
                return client
            # A key just added to the store (rotation) must work without a restart.
            if self._may_refresh():
                observability.count("key_refreshes")
                client = _client_of(candidate, self._store.refresh())
                if client is not None:
                    return client
        except KeyStoreUnavailableError as exc:
            # Not the client's fault, and no reason to call a key invalid: the service
            # cannot tell. The detail (a file path, an AWS error) is for operators.
            log.error("API key store unavailable: %s", exc)
            raise ServiceUnavailableError(KEYS_UNAVAILABLE) from None
        raise ForbiddenError("invalid API key")

    def _may_refresh(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._last_refresh is not None and now - self._last_refresh < self._interval:
                return False
            self._last_refresh = now
            return True
