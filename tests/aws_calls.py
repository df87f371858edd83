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
