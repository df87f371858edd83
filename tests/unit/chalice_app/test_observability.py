"""Metrics: one EMF document per request by default, or one per interval in a server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalice_app import observability
from tests.secrets_watch import json_lines, metric_documents


def _documents(out: str) -> list[dict[str, Any]]:
    return metric_documents(json_lines(out))


def _value(metric: Any) -> float:
    """EMF holds a value, or a list of them (Powertools writes either)."""
    return float(sum(metric)) if isinstance(metric, list) else float(metric)


@pytest.fixture
def hourly() -> Iterator[None]:
    observability.flush()  # nothing of an earlier test is left pending
    observability.flush_every(3600.0)
    yield
    observability.flush_every(0.0)


def test_a_server_sums_counts_and_keeps_measurements_until_the_interval_ends(
    hourly: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a flush just written (the interval starts now)
    observability.flush()
    capsys.readouterr()

    # WHEN three requests count and measure within the interval
    for latency in (1.5, 2.5, 3.5):
        observability.count("predictions")
        observability.measure_ms("prediction_latency", latency)
        observability.end_request()

    # THEN nothing is written until the interval ends (here: an explicit flush)
    assert _documents(capsys.readouterr().out) == []
    observability.flush()
    (document,) = _documents(capsys.readouterr().out)
    assert document["predictions"] in (3.0, [3.0])
    assert document["prediction_latency"] == [1.5, 2.5, 3.5]


def test_by_default_each_request_writes_its_own_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    observability.flush()
    capsys.readouterr()
    for _ in range(2):
        observability.count("predictions")
        observability.end_request()
    documents = _documents(capsys.readouterr().out)
    assert [d["predictions"] for d in documents] in ([1.0, 1.0], [[1.0], [1.0]])


def test_a_long_burst_never_holds_more_than_one_document_s_worth(
    hourly: None, capsys: pytest.CaptureFixture[str]
) -> None:
    observability.flush()
    capsys.readouterr()
    for _ in range(250):
        observability.measure_ms("prediction_latency", 1.0)
    observability.flush()
    sizes = [len(d["prediction_latency"]) for d in _documents(capsys.readouterr().out)]
    assert sum(sizes) == 250 and max(sizes) < 100


def test_errors_are_one_metric_with_their_kind_as_a_dimension(
    capsys: pytest.CaptureFixture[str],
) -> None:
    observability.flush()
    capsys.readouterr()
    for kind in ("ForbiddenError", "ForbiddenError", "unhandled"):
        observability.count_error(kind)
    observability.flush()
    documents = [d for d in _documents(capsys.readouterr().out) if "errors" in d]
    assert sorted((d["error"], _value(d["errors"])) for d in documents) == [
        ("ForbiddenError", 2.0),
        ("unhandled", 1.0),
    ]
    for document in documents:
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert ["error", "service", "stage"] in [sorted(d) for d in directive["Dimensions"]]
        assert [m["Name"] for m in directive["Metrics"]] == ["errors"]


def test_a_function_s_cold_start_is_counted_once_under_its_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "_cold", True)
    observability.flush()
    capsys.readouterr()

    for _ in range(3):
        with observability.request("req-1", "property-value-predictor-dev-deploy_watch"):
            pass

    cold = [d for d in _documents(capsys.readouterr().out) if "ColdStart" in d]
    assert [(_value(d["ColdStart"]), d["function_name"]) for d in cold] == [
        (1.0, "property-value-predictor-dev-deploy_watch")
    ]


def test_a_lambda_function_s_lines_carry_its_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dataclasses import dataclass

    @dataclass
    class Context:
        function_name: str = "property-value-predictor-dev-deploy_watch"
        memory_limit_in_mb: int = 256
        invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:x"
        aws_request_id: str = "c0ffee"

    @observability.invocation
    def handler(event: Any, context: Any) -> str:
        observability.logger.info("handled")
        return "done"

    assert handler({"event": 1}, Context()) == "done"
    (line,) = [d for d in json_lines(capsys.readouterr().out) if d.get("message") == "handled"]
    assert line["function_request_id"] == "c0ffee" == line["correlation_id"]
    assert line["function_arn"].endswith(":function:x") and "cold_start" in line
    assert "event" not in line  # the event is never logged
