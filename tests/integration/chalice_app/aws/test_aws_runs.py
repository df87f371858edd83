"""The run table on moto: put once, update fields, idempotency items stay hidden."""

from __future__ import annotations

import pytest

from chalice_app.aws.clients import AwsClients
from chalice_app.aws.run_table import TABLE_SCHEMA, RunTable
from chalice_app.config import AwsSettings


@pytest.fixture
def runs(aws: AwsClients, settings: AwsSettings) -> RunTable:
    aws.get("dynamodb").create_table(TableName=settings.run_table, **TABLE_SCHEMA)
    return RunTable(aws.source("dynamodb"), settings.run_table)


def test_a_run_is_put_once_then_updated_as_the_pipeline_goes(runs: RunTable) -> None:
    assert runs.put({"run_id": "abc123", "status": "pending", "train_path": "s3://b/t.csv"})
    assert not runs.put({"run_id": "abc123", "status": "running"})  # never overwritten
    runs.update("abc123", status="running", step="train")
    runs.update(
        "abc123",
        status="accepted",
        metrics={"mae": 2166.25, "n_rows": 400},
        gate={"accepted": True, "reason": "better"},
        model_version="v0002",
        step=None,
    )
    run = runs.get("abc123")
    assert run is not None
    assert run["status"] == "accepted" and run["step"] is None
    assert run["metrics"] == {"mae": 2166.25, "n_rows": 400}
    assert run["gate"]["accepted"] is True and run["train_path"] == "s3://b/t.csv"
    assert run["updated_at"] and runs.get("unknown") is None


def test_unknown_fields_and_statuses_are_refused(runs: RunTable) -> None:
    with pytest.raises(ValueError):
        runs.update("abc123", colour="red")
    with pytest.raises(ValueError):
        runs.put({"run_id": "abc123", "status": "succeeded"})


def test_an_idempotency_key_remembers_the_first_run_only(runs: RunTable) -> None:
    assert runs.started_by("d1") is None
    assert runs.remember_start("d1", ("exec1", "arn1")) == ("exec1", "arn1")
    assert runs.remember_start("d1", ("exec2", "arn2")) == ("exec1", "arn1")
    assert runs.started_by("d1") == ("exec1", "arn1")
    assert runs.get("idempotency#d1") is None
