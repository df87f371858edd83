"""API keys in Secrets Manager, read through Powertools Parameters.

The secret is a JSON object whose values are the accepted keys (the old system's shape).
Keys of AWSCURRENT are accepted, and keys of AWSPREVIOUS until `grace` seconds after
AWSCURRENT was created, so a rotation never locks out a client mid-flight. When Secrets
Manager fails, the keys last read keep working; with none read yet, requests are
refused (503), never let through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalice_app import observability
from chalice_app.auth import keys_in
from chalice_app.aws.clients import ClientSource, error_code
from chalice_app.errors import KeyStoreUnavailableError

log = logging.getLogger(__name__)

CURRENT, PREVIOUS = "AWSCURRENT", "AWSPREVIOUS"


@dataclass(frozen=True)
class _Version:
    version_id: str | None
    created: float | None  # epoch seconds


@dataclass(frozen=True)
class _Snapshot:
    current: dict[str, str]  # key -> client name
    previous: dict[str, str]
    current_created: float | None
    current_version: str | None


def _stage_provider(client: Any) -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from botocore.exceptions import ClientError

    class StageProvider(SecretsProvider):  # type: ignore[misc]
        """Powertools' provider for one version stage, keeping the version it read.

        One provider per stage: Powertools' cache key ignores VersionStage. `_get` is
        the documented extension point of Powertools' providers.
        """

        def __init__(self) -> None:
            super().__init__(boto3_client=client)
            self.version = _Version(None, None)

        def _get(self, name: str, **sdk_options: Any) -> str:
            try:
                answer = self.client.get_secret_value(SecretId=name, **sdk_options)
            except ClientError as exc:
                missing = error_code(exc) == "ResourceNotFoundException"
                if missing and sdk_options.get("VersionStage") == PREVIOUS:
                    self.version = _Version(None, None)
                    return "{}"  # never rotated: no previous keys
                raise
            created = answer.get("CreatedDate")
            stamp = created.timestamp() if isinstance(created, datetime) else None
            self.version = _Version(answer.get("VersionId"), stamp)
            return str(answer.get("SecretString") or "")

    return StageProvider()


def _read_errors() -> tuple[type[Exception], ...]:
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )
    from botocore.exceptions import BotoCoreError, ClientError

    # Powertools wraps the SDK's errors; building a client can fail on its own.
    return (
        GetParameterError,
        TransformParameterError,
        KeyStoreUnavailableError,
        BotoCoreError,
        ClientError,
    )


class SecretsManagerKeyStore:
    def __init__(
        self,
        client: ClientSource,
        secret_name: str,
        *,
        ttl: float,
        grace: float,
        retry_after: float,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._name = secret_name
        self._ttl = max(1, int(ttl))
        self._grace = grace
        self._retry_after = retry_after
        self._wall_clock = wall_clock
        self._clock = clock
        self._providers: dict[str, Any] = {}
        self._snapshot: _Snapshot | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def accepted_keys(self) -> dict[str, str]:
        return self._load(force=False)

    def refresh(self) -> dict[str, str]:
        return self._load(force=True)

    def _load(self, force: bool) -> dict[str, str]:
        with self._lock:
            known = self._snapshot
            if known is not None and self._recently_failed():
                return self._accepted(known)  # do not stall every request on an outage
            try:
                snapshot = self._read(force, known)
            except _read_errors() as exc:
                return self._fall_back(known, exc)
            self._snapshot, self._failed_at = snapshot, None
            return self._accepted(snapshot)

    def _recently_failed(self) -> bool:
        return self._failed_at is not None and self._clock() - self._failed_at < self._retry_after

    def _fall_back(self, known: _Snapshot | None, exc: Exception) -> dict[str, str]:
        self._failed_at = self._clock()
        observability.count("key_store_errors")
        reason = f"secret {self._name} unreadable: {type(exc).__name__}: {exc}"
        if known is None:
            raise KeyStoreUnavailableError(reason) from None
        log.warning("%s; serving the keys read before", reason)
        return self._accepted(known)

    def _provider(self, stage: str) -> Any:
        if stage not in self._providers:
            self._providers[stage] = _stage_provider(self._client())
        return self._providers[stage]

    def _fetch(self, stage: str, force: bool) -> tuple[dict[str, str], _Version]:
        provider = self._provider(stage)
        data = provider.get(
            self._name, max_age=self._ttl, transform="json", force_fetch=force, VersionStage=stage
        )
        return keys_in(data, f"secret {self._name} ({stage})"), provider.version

    def _read(self, force: bool, known: _Snapshot | None) -> _Snapshot:
        current, version = self._fetch(CURRENT, force)
        previous: dict[str, str] = {}
        if self._in_grace(version.created):
            # AWSPREVIOUS moves only when AWSCURRENT does: re-read it on a new version.
            moved = known is None or known.current_version != version.version_id
            previous, _ = self._fetch(PREVIOUS, force and moved)
        return _Snapshot(current, previous, version.created, version.version_id)

    def _in_grace(self, created: float | None) -> bool:
        return created is not None and self._wall_clock() < created + self._grace

    def _accepted(self, snapshot: _Snapshot) -> dict[str, str]:
        if snapshot.previous and self._in_grace(snapshot.current_created):
            return snapshot.previous | snapshot.current  # a key in both: its current name
        return snapshot.current
