"""Every answer is counted by the front that carried it and its status class: the 503
alarms (infra/alarms.yaml) and the dashboard read the `answers` metric. The Chalice
front is Lambda's (counted in this process); the proxy counts as the ECS front, its own
refusals (an unknown route) included, and writes its metrics from a subprocess."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from api_fronts import PREDICTION_BODY, ApiHome, Front

from contract import metrics
from tests.secrets_watch import json_lines, metric_documents

REQUESTS = [("GET", "/live", {}, 200), ("POST", "/get_prediction", {"API-key": "wrong"}, 403)]
# The proxy's own answer: the app never sees it (on Lambda, API Gateway gives it).
UNKNOWN_ROUTE = ("GET", "/no/such/route", {}, 404)


def _answers(lines: list[dict[str, object]]) -> Counter[tuple[object, object]]:
    counted: Counter[tuple[object, object]] = Counter()
    for document in metric_documents(lines):
        if metrics.ANSWERS in document:
            (directive,) = document["_aws"]["CloudWatchMetrics"]  # type: ignore[index]
            assert sorted(directive["Dimensions"][0]) == [
                metrics.FRONT_DIMENSION,
                "service",
                "stage",
                metrics.STATUS_CLASS_DIMENSION,
            ]
            value = document[metrics.ANSWERS]
            total = sum(value) if isinstance(value, list) else value
            key = (document[metrics.FRONT_DIMENSION], document["status_class"])
            counted[key] += int(total)  # type: ignore[arg-type]
    return counted


def _proxy_lines(home: Path, port: int, wanted: int) -> list[dict[str, object]]:
    """The proxy's JSON lines once its once-a-second flush wrote `wanted` answers."""
    deadline = time.monotonic() + 15
    while True:
        lines = json_lines((home / f"proxy-{port}.log").read_text())
        if sum(_answers(lines).values()) >= wanted or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_status_classes_keep_503_apart() -> None:
    classes = [metrics.status_class(s) for s in (200, 202, 301, 404, 500, 502, 503)]
    assert classes == ["2xx", "2xx", "3xx", "4xx", "5xx", "5xx", "503"]


def test_each_answer_is_counted_under_its_front(
    local_front: Front, api_home: ApiHome, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    proxy = local_front.name == "proxy"
    sent = [*REQUESTS, UNKNOWN_ROUTE] if proxy else REQUESTS
    for method, path, headers, status in sent:
        body = PREDICTION_BODY if method == "POST" else b""
        assert local_front.request(method, path, body, headers).status == status

    if proxy:
        port = local_front.port  # type: ignore[attr-defined]
        lines = _proxy_lines(api_home.home, port, len(sent))
        front = metrics.FRONT_ECS
    else:
        lines = json_lines(capsys.readouterr().out)
        front = metrics.FRONT_LAMBDA
    counted = _answers(lines)
    assert counted[(front, "4xx")] == len(sent) - 1
    # Each worker's warm-up /ping counts too (200, or 503 before a model serves).
    assert counted[(front, "2xx")] >= 1
    assert {kind for kind, _ in counted} == {front}
