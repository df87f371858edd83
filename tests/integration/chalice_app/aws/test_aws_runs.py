"""The run table on moto: put once, update fields, idempotency items stay hidden; and
what moto cannot show, through botocore's Stubber: numbers as AWS gives them back."""

from __future__ import annotations

import json

import pytest

from chalice_app.aws.clients import AwsClients, fixed
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


def test_numbers_keep_their_types_when_dynamodb_trims_their_zeroes(
    aws: AwsClients, settings: AwsSettings
) -> None:
    from botocore.stub import Stubber

    # GIVEN a run whose MAE was 3500.0, as AWS gives it back: DynamoDB trims a number's
    # zeroes, so the text is "3500" (moto keeps "3500.0": only a Stubber can say it).
    client = aws.get("dynamodb")
    trimmed = {
        "run_id": {"S": "abc123"},
        "status": {"S": "rejected"},
        "metrics": {"M": {"mae": {"N": "3500"}, "r2": {"N": "0.8"}, "n_rows": {"N": "400"}}},
        "gate": {
            "M": {
                "accepted": {"BOOL": False},
                "challenger": {"N": "3500"},
                "threshold": {"N": "3500"},
                "champion": {"NULL": True},
            }
        },
    }
    with Stubber(client) as stub:
        stub.add_response(
            "get_item",
            {"Item": trimmed},
            {"TableName": settings.run_table, "Key": {"run_id": {"S": "abc123"}},
             "ConsistentRead": True},
        )  # fmt: skip
        run = RunTable(fixed(client), settings.run_table).get("abc123")
        stub.assert_no_pending_responses()

    # THEN the run reads as the local backend has it: floats stay floats, counts whole
    assert run is not None
    assert json.dumps(run["metrics"]) == '{"mae": 3500.0, "r2": 0.8, "n_rows": 400}'
    assert json.dumps(run["gate"]) == (
        '{"accepted": false, "challenger": 3500.0, "threshold": 3500.0, "champion": null}'
    )


def test_the_rollout_item_keeps_its_field_types(aws: AwsClients, settings: AwsSettings) -> None:
    from botocore.stub import Stubber

    from chalice_app.aws.deployments import DeploymentTable

    client = aws.get("dynamodb")
    endpoint = "property-value-regressor-serverless-endpoint-test"
    item = {
        "run_id": {"S": f"deployment#{endpoint}"},
        "endpoint": {"S": endpoint},
        "revision": {"N": "3"},
        "phase": {"S": "idle"},
        "restoring": {"BOOL": False},
        "lease_until": {"N": "1767225600"},  # 1767225600.0, trimmed
        "history": {"L": [{"S": "property-value-regressor-test-v0001"}]},
    }
    with Stubber(client) as stub:
        stub.add_response(
            "get_item",
            {"Item": item},
            {"TableName": settings.run_table, "Key": {"run_id": {"S": f"deployment#{endpoint}"}},
             "ConsistentRead": True},
        )  # fmt: skip
        deployment = DeploymentTable(fixed(client), settings.run_table).load(endpoint)

    assert deployment.revision == 3 and type(deployment.revision) is int
    assert deployment.lease_until == 1767225600.0 and type(deployment.lease_until) is float


def test_a_put_whose_first_try_landed_is_a_success_not_a_conflict(
    aws: AwsClients, settings: AwsSettings, runs: RunTable
) -> None:
    from chalice_app.aws.deployments import DeploymentTable
    from chalice_app.callbacks.ports import Deployment
    from tests.aws_calls import RetriedOnce

    # GIVEN botocore retries a PutItem whose first try landed (its answer lost on the way)
    retry = RetriedOnce(aws.get("dynamodb"), "PutItem")

    # WHEN a run is recorded, and a rollout saved, that way
    assert runs.put({"run_id": "abc123", "status": "pending"})
    deployments = DeploymentTable(aws.source("dynamodb"), settings.run_table)
    first = deployments.save(Deployment("endpoint-test"))
    assert first is not None
    retry.attempts = 0
    saved = deployments.save(first.leased(1767225600.0))

    # THEN both read as written (the second try's failed condition compared with what the
    # table holds), not as "exists already" or "another rollout started"
    assert retry.attempts == 2
    assert saved is not None and deployments.load("endpoint-test") == saved
    # AND a write that truly lost still loses
    assert deployments.save(first.leased(0.0)) is None
    assert not runs.put({"run_id": "abc123", "status": "running"})


def test_the_item_a_failed_condition_returns_is_compared_as_numbers(
    aws: AwsClients, settings: AwsSettings
) -> None:
    from botocore.stub import Stubber

    from chalice_app.aws.items import put_if_new, to_item

    # GIVEN the retried put's failed condition, with the item as AWS returns it: trimmed
    written = {"run_id": "abc123", "metrics": {"mae": 3500.0}}
    stored = {"run_id": {"S": "abc123"}, "metrics": {"M": {"mae": {"N": "3500"}}}}
    client = aws.get("dynamodb")
    with Stubber(client) as stub:
        for item in (stored, {**stored, "metrics": {"M": {"mae": {"N": "3500.5"}}}}):
            stub.add_client_error(
                "put_item",
                "ConditionalCheckFailedException",
                modeled_fields={"Item": item},
                expected_params={
                    "TableName": settings.run_table,
                    "Item": to_item(written),
                    "ConditionExpression": "attribute_not_exists(run_id)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                },
            )
        # THEN the same values are this write; other values are another's
        assert put_if_new(client, settings.run_table, written, "run_id")
        assert not put_if_new(client, settings.run_table, written, "run_id")
        stub.assert_no_pending_responses()


def test_an_idempotency_key_is_remembered_for_its_window_then_starts_anew(
    aws: AwsClients, settings: AwsSettings
) -> None:
    # GIVEN a one-hour window and a clock we move
    aws.get("dynamodb").create_table(TableName=settings.run_table, **TABLE_SCHEMA)
    now = [1_800_000_000.0]
    runs = RunTable(
        aws.source("dynamodb"), settings.run_table, idempotency_seconds=3600, clock=lambda: now[0]
    )
    first = runs.plan_start("key", {"TrainingTimestamp": "t1"})
    runs.remember_start("key", ("exec1", "arn:exec1"))

    # WHEN a retry comes within the hour: the first run, with its planned parameters
    now[0] += 3599
    assert runs.plan_start("key", {"TrainingTimestamp": "t2"}) == first
    assert runs.started_by("key") == ("exec1", "arn:exec1")

    # THEN after it the key is free again (DynamoDB's TTL has not deleted it yet), and the
    # record says when it expires, for the TTL
    now[0] += 2
    assert runs.started_by("key") is None
    assert runs.plan_start("key", {"TrainingTimestamp": "t3"}) == {"TrainingTimestamp": "t3"}
    item = aws.get("dynamodb").get_item(
        TableName=settings.run_table, Key={"run_id": {"S": "idempotency#key"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int(now[0] + 3600)
    assert "execution_id" not in item  # the expired run is not this key's any more
