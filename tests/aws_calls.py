"""Counting the AWS API calls a real boto3 client sends."""

from __future__ import annotations

from typing import Any


class CallCounter:
    """Counts the API calls a real client sends (botocore's own event hooks)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.calls = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{service}.{operation}", self._seen)

    def _seen(self, **_: Any) -> None:
        self.calls += 1


class CallRecorder:
    """The API calls real boto3 clients send while it is open, as IAM names them."""

    def __init__(self, *clients: Any) -> None:
        self.actions: set[str] = set()
        self._clients = clients

    def _seen(self, model: Any, **_: Any) -> None:
        self.actions.add(f"{model.service_model.signing_name}:{model.name}")

    def __enter__(self) -> CallRecorder:
        for client in self._clients:
            client.meta.events.register("before-call", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call", self._seen)


class RequestRecorder:
    """The parameters of every request a real client sends for one operation, as sent
    (botocore's own event hooks; the request still goes where the client points)."""

    def __init__(self, client: Any, operation: str) -> None:
        self.requests: list[dict[str, Any]] = []
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"provide-client-params.{service}.{operation}", self._seen)

    def _seen(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))


class RetriedOnce:
    """Makes a real client send its next request for one operation twice, as botocore's
    retries do when a first try landed but its answer was lost (a read timeout, a 5xx
    on the way back): botocore's own retry loop re-sends the very same request."""

    def __init__(self, client: Any, operation: str) -> None:
        self.attempts = 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"needs-retry.{service}.{operation}", self._again)

    def _again(self, attempts: int, **_: Any) -> float | None:
        self.attempts = attempts
        return 0.0 if attempts == 1 else None
