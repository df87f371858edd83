"""boto3 clients, built on first use, once per process, with region, timeouts and retries.

Adapters take a `ClientSource` (a zero-argument callable) rather than a client, so a
request pays only for the clients it uses (building one costs 20-150 ms on a cold
start) and tests can hand in their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice_app.config import AwsSettings

ClientSource = Callable[[], Any]

RUNTIME = "sagemaker-runtime"


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError (else the exception's type)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))


def fixed(client: Any) -> ClientSource:
    """A source that always gives this client (tests, or a caller's own client)."""
    return lambda: client


class AwsClients:
    def __init__(self, settings: AwsSettings, session: Any = None) -> None:
        self._settings = settings
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def source(self, service: str) -> ClientSource:
        return lambda: self.get(service)

    def get(self, service: str) -> Any:
        client = self._clients.get(service)
        if client is None:
            with self._lock:  # boto3 sessions are not safe to build clients from at once
                client = self._clients.get(service)
                if client is None:
                    client = self._build(service)
                    self._clients[service] = client
        return client

    def _build(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        s = self._settings
        if self._session is None:
            self._session = boto3.session.Session(region_name=s.region)
        endpoint = service == RUNTIME
        config = Config(
            region_name=s.region,
            connect_timeout=s.connect_timeout,
            read_timeout=s.endpoint_timeout if endpoint else s.read_timeout,
            # Standard mode: exponential backoff with jitter, retries throttling and
            # transient errors, and a client-side quota so an outage is not amplified.
            retries={
                "mode": "standard",
                "max_attempts": s.endpoint_max_attempts if endpoint else s.max_attempts,
            },
            tcp_keepalive=True,
        )
        return self._session.client(service, config=config)
