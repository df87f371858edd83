"""API-key check: constant-time comparison and a rate-limited refresh on a miss."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from chalice_app import observability
from chalice_app.errors import ForbiddenError, KeyStoreUnavailableError, ServiceUnavailableError
from chalice_app.ports import KeyStore

log = logging.getLogger(__name__)
# What a client hears when keys cannot be read; where and why goes to the log only.
KEYS_UNAVAILABLE = "API keys cannot be checked now; try again later"


def keys_in(data: Any, where: str) -> frozenset[str]:
    """The accepted keys of a key store's JSON object: its non-empty string values."""
    if not isinstance(data, dict):
        raise KeyStoreUnavailableError(f"{where} must hold a JSON object")
    return frozenset(v for v in data.values() if isinstance(v, str) and v)


def _matches(candidate: str, accepted: frozenset[str]) -> bool:
    given = candidate.encode()
    found = False
    # No early exit: the time taken must not tell which (or whether a) key was close.
    for key in accepted:
        found |= hmac.compare_digest(given, key.encode())
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

    def check(self, candidate: str | None) -> None:
        if not candidate:
            raise ForbiddenError("missing API key")
        try:
            accepted = self._store.accepted_keys()
            if not accepted and self._may_refresh():  # it may have been fixed since
                accepted = self._store.refresh()
            if not accepted:
                # A store with no key refuses everyone: that is a broken store, not bad keys.
                raise KeyStoreUnavailableError("the key store holds no key")
            if _matches(candidate, accepted):
                return
            # A key just added to the store (rotation) must work without a restart.
            if self._may_refresh():
                observability.count("key_refreshes")
                if _matches(candidate, self._store.refresh()):
                    return
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
