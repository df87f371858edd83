"""boto3 clients, built on first use, once per process, with region, timeouts and retries.

Adapters take a `ClientSource` (a zero-argument callable) rather than a client, so a
request pays only for the clients it uses (building one costs 20-150 ms on a cold
start) and tests can hand in their own. One client per service and limits: a
prediction's calls get their own tries and timeouts (config.CallLimits), which the
time budget (chalice_app/budget.py) adds up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice_app.config import AwsSettings, CallLimits

ClientSource = Callable[[], Any]

RUNTIME = "sagemaker-runtime"


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError (else the exception's type).

    botocore's own errors may carry `response` too, as None (a read timeout does).
    """
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return type(exc).__name__
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


def fixed(client: Any) -> ClientSource:
    """A source that always gives this client (tests, or a caller's own client)."""
    return lambda: client


class AwsClients:
    def __init__(self, settings: AwsSettings, session: Any = None) -> None:
        self._settings = settings
        self._session = session
        self._clients: dict[tuple[str, CallLimits], Any] = {}
        self._lock = threading.Lock()

    def source(self, service: str, limits: CallLimits | None = None) -> ClientSource:
        return lambda: self.get(service, limits)

    def limits_of(self, service: str) -> CallLimits:
        """A service's limits unless a caller asks for others."""
        s = self._settings
        return s.endpoint_limits if service == RUNTIME else s.call_limits

    def get(self, service: str, limits: CallLimits | None = None) -> Any:
        key = (service, limits or self.limits_of(service))
        client = self._clients.get(key)
        if client is None:
            with self._lock:  # boto3 sessions are not safe to build clients from at once
                client = self._clients.get(key)
                if client is None:
                    client = self._build(*key)
                    self._clients[key] = client
        return client

    def _build(self, service: str, limits: CallLimits) -> Any:
        import boto3
        from botocore.config import Config

        s = self._settings
        if self._session is None:
            self._session = boto3.session.Session(region_name=s.region)
        config = Config(
            region_name=s.region,
            connect_timeout=limits.connect_timeout,
            read_timeout=limits.read_timeout,
            # Standard mode: exponential backoff with jitter, retries throttling and
            # transient errors, and a client-side quota so an outage is not amplified.
            # total_max_attempts counts the first try; botocore's `max_attempts` key
            # would count retries only (one try more than the budget counts).
            retries={"mode": "standard", "total_max_attempts": limits.max_attempts},
            tcp_keepalive=True,
        )
        return self._session.client(service, config=config)
