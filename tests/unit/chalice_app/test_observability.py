"""Metrics: one EMF document per request by default, or one per interval in a server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalice_app import observability
from tests.secrets_watch import json_lines, metric_documents


def _documents(out: str) -> list[dict[str, Any]]:
    return metric_documents(json_lines(out))


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
