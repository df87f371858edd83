"""API keys in Secrets Manager, read through Powertools Parameters.

The secret is a JSON object `{client name: key}` (the old system's shape). Keys of
AWSCURRENT are accepted, and keys of AWSPREVIOUS until `grace` seconds after AWSCURRENT
was promoted, so a rotation never locks out a client mid-flight. The promotion is not
the version's CreatedDate: a rotation creates the version as AWSPENDING and promotes it
later (minutes, or a day when a rotation is retried). It is DescribeSecret's
LastRotatedDate, "the most recent date and time that the Secrets Manager rotation
process was successfully completed" (https://docs.aws.amazon.com/secretsmanager/latest/
apireference/API_DescribeSecret.html), or the CreatedDate of a version put as current
by hand, whichever is later. A version promoted by a rotation not yet recorded (it
still carries AWSPENDING, and LastRotatedDate is older than it) counts as promoted when
this process first saw it, until the record appears.

When Secrets Manager fails, the keys last read keep working; with none read yet,
requests are refused (503), never let through. One read makes at most READ_CALLS calls,
and a check makes at most one read (a refresh right after a read is that read): the
prediction's time budget (chalice_app/budget.py) counts them.
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

CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
# GetSecretValue of AWSCURRENT; on a new version DescribeSecret (its promotion) and, in
# the grace period, GetSecretValue of AWSPREVIOUS.
READ_CALLS = 3
# A refresh this soon after a read ended returns that read: a check (a read, then a
# refresh on a miss) never reads the secret twice, however slow the first read was.
FRESH_SECONDS = 1.0


@dataclass(frozen=True)
class _Version:
    version_id: str | None
    created: float | None  # epoch seconds
    fetched_at: float | None = None  # monotonic seconds: when Secrets Manager answered


@dataclass(frozen=True)
class _Snapshot:
    current: dict[str, str]  # key -> client name
    previous: dict[str, str]
    promoted: float | None  # epoch seconds: when AWSCURRENT became current
    settled: bool  # the promotion time is final (no rotation still finishing)
    current_version: str | None
    read_at: float | None  # monotonic seconds: when Secrets Manager last gave AWSCURRENT


def _stage_provider(client: Any, clock: Callable[[], float]) -> Any:
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
            self.version = _Version(answer.get("VersionId"), stamp, clock())
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
            if force and known is not None and self._fresh(known):
                return self._accepted(known)
            try:
                snapshot = self._read(force, known)
            except _read_errors() as exc:
                return self._fall_back(known, exc)
            self._snapshot, self._failed_at = snapshot, None
            return self._accepted(snapshot)

    def _fresh(self, snapshot: _Snapshot) -> bool:
        read_at = snapshot.read_at
        return read_at is not None and self._clock() - read_at < FRESH_SECONDS

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
            self._providers[stage] = _stage_provider(self._client(), self._clock)
        return self._providers[stage]

    def _fetch(self, stage: str, force: bool) -> tuple[dict[str, str], _Version]:
        provider = self._provider(stage)
        data = provider.get(
            self._name, max_age=self._ttl, transform="json", force_fetch=force, VersionStage=stage
        )
        return keys_in(data, f"secret {self._name} ({stage})"), provider.version

    def _read(self, force: bool, known: _Snapshot | None) -> _Snapshot:
        current, version = self._fetch(CURRENT, force)
        moved = known is None or known.current_version != version.version_id
        if not moved and known is not None and known.settled:
            promoted, settled = known.promoted, True
        else:
            promoted, settled = self._promotion(version, None if moved else known)
        previous: dict[str, str] = {}
        if self._in_grace(promoted):
            # AWSPREVIOUS moves only when AWSCURRENT does: re-read it on a new version.
            previous, _ = self._fetch(PREVIOUS, force and moved)
        return _Snapshot(
            current, previous, promoted, settled, version.version_id, version.fetched_at
        )

    def _promotion(self, version: _Version, seen: _Snapshot | None) -> tuple[float | None, bool]:
        """When AWSCURRENT was promoted, and whether that time is final (see the top).

        `seen`: this version as read before, its promotion not yet recorded then.
        """
        described = self._client().describe_secret(SecretId=self._name)
        stages = described.get("VersionIdsToStages", {}).get(version.version_id, [])
        found = described.get("LastRotatedDate")
        rotated = found.timestamp() if isinstance(found, datetime) else None
        created = version.created
        recorded = rotated is not None and (created is None or rotated >= created)
        if PENDING in stages and not recorded:
            # Promoted by a rotation still finishing: its grace starts now (first seen),
            # and the next read looks for the rotation's record.
            return (seen.promoted if seen is not None else self._wall_clock()), False
        times = [t for t in (created, rotated) if t is not None]
        return (max(times) if times else None), True

    def _in_grace(self, promoted: float | None) -> bool:
        return promoted is not None and self._wall_clock() < promoted + self._grace

    def _accepted(self, snapshot: _Snapshot) -> dict[str, str]:
        if snapshot.previous and self._in_grace(snapshot.promoted):
            return snapshot.previous | snapshot.current  # a key in both: its current name
        return snapshot.current
