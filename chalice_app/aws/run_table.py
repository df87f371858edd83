"""The run table `training-pipeline-results-{stage}`: one item per training run.

Written by the API when it starts a run and by the pipeline (its deploy callback) as
the run goes; read by the API's status route. Item (DynamoDB types in brackets):

| attribute | type | meaning |
| --- | --- | --- |
| run_id | S, partition key | the pipeline execution id (the last part of its ARN) |
| execution_arn | S | the pipeline execution's ARN |
| status | S | pending, running, accepted, rejected or failed (the local words) |
| step | S | the step running or last run |
| started_at, finished_at, updated_at | S | ISO-8601 UTC |
| train_path, validation_path | S | s3:// URIs of the data |
| metrics | M of N | rmse, mae, mape, median_ape, r2, n_rows, ... (floats but the n_ counts) |
| gate | M | the quality gate's decision, numbers and reason |
| model_version | S | the registered model's version |
| reason | S | why a run was rejected or failed |
| artifacts_dir | S | s3:// prefix of the run's artifacts (its evaluation.json and report) |
| model_package_arn | S | the run's model in the Model Package Group (Approved or Rejected) |
| model_data_url | S | the run's model.tar.gz |

The status words, `step` names and `model_version`s are the local backend's
(contract/runs.py).

Idempotency items (`run_id` = "idempotency#<sha256>", `parameters`, `execution_id`,
`execution_arn`) remember the pipeline parameters a client's Idempotency-Key asked for
(written before the run starts, so a retry sends the very same request) and which run
it started; one `deployment#<endpoint>` item holds the endpoint's rollout
(chalice_app/aws/deployments.py). `get` never returns either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from chalice_app.aws.clients import ClientSource
from chalice_app.aws.items import from_item, put_if, put_if_new, to_item
from contract.environment import IDEMPOTENCY_HOURS
from contract.resources import TTL_ATTRIBUTE
from contract.vocabulary import RUN_STATUSES, RUN_VIEW_FIELDS, is_count, utc_now

# What a run item holds: the fields every backend shows, and what only AWS has.
RUN_FIELDS = (
    *RUN_VIEW_FIELDS,
    "execution_arn",
    "updated_at",
    "model_package_arn",
    "model_data_url",
)
PARTITION_KEY = "run_id"
# Where a run's data came from is written once: by the launcher (the paths the client
# gave), else by the pipeline's callback (a run started elsewhere). The callbacks' event
# names the run's staged copies, which must not replace the client's paths.
WRITTEN_ONCE = frozenset({"train_path", "validation_path"})
IDEMPOTENCY_PREFIX = "idempotency#"
DEPLOYMENT_PREFIX = "deployment#"
# Items that share the table but are not runs: idempotency keys, the endpoint's rollout.
HIDDEN_PREFIXES = (IDEMPOTENCY_PREFIX, DEPLOYMENT_PREFIX)
TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def whole_in_run(path: tuple[str, ...]) -> bool:
    """A run item's schema for numbers: the metrics' counts are whole, the rest floats
    (the gate's challenger, threshold and champion MAE; the other metrics)."""
    return len(path) == 2 and path[0] == "metrics" and is_count(path[1])


def _check(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(RUN_FIELDS)
    if unknown:
        raise ValueError(f"unknown run fields: {sorted(unknown)}")
    status = fields.get("status")
    if status is not None and status not in RUN_STATUSES:
        raise ValueError(f"unknown run status {status!r}")


class RunTable:
    """Reads and writes run items; botocore errors pass through to the caller."""

    def __init__(
        self,
        client: ClientSource,
        table: str,
        *,
        idempotency_seconds: float = IDEMPOTENCY_HOURS.default * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._idempotency_seconds = idempotency_seconds
        self._clock = clock

    def put(self, run: Mapping[str, Any]) -> bool:
        """Record a new run; False (and nothing changed) when the run_id exists."""
        _check(run)
        return put_if_new(
            self._client(), self._table, {"updated_at": utc_now(), **run}, PARTITION_KEY
        )

    def update(self, run_id: str, **fields: Any) -> None:
        """Set some fields of a run (None removes one), creating the item if missing."""
        _check(fields)
        fields = {**fields, "updated_at": utc_now()}
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        kept = {n: fields[name] for n, name in names.items() if fields[name] is not None}
        dropped = [n for n, name in names.items() if fields[name] is None]
        values = to_item({f":v{n[2:]}": value for n, value in kept.items()})
        expression = "SET " + ", ".join(
            f"{n} = if_not_exists({n}, :v{n[2:]})"
            if names[n] in WRITTEN_ONCE
            else f"{n} = :v{n[2:]}"
            for n in kept
        )
        if dropped:
            expression += " REMOVE " + ", ".join(dropped)
        self._client().update_item(
            TableName=self._table,
            Key=to_item({PARTITION_KEY: run_id}),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def get(self, run_id: str) -> dict[str, Any] | None:
        if run_id.startswith(HIDDEN_PREFIXES):
            return None
        item = self._get(run_id)
        return None if item is None else {name: item.get(name) for name in RUN_FIELDS}

    def plan_start(self, digest: str, parameters: Mapping[str, str]) -> dict[str, str]:
        """The pipeline parameters an idempotency key starts its run with: these, when it
        is the key's first try (or its record expired), else those its first try planned.

        The record carries its expiry (TTL_ATTRIBUTE, epoch seconds: the table's TTL
        deletes it, but only within days of it, so reads check it too).
        """
        now = self._clock()
        item = {
            PARTITION_KEY: IDEMPOTENCY_PREFIX + digest,
            "parameters": dict(parameters),
            TTL_ATTRIBUTE: int(now + self._idempotency_seconds),
        }
        if put_if(
            self._client(),
            self._table,
            item,
            ConditionExpression=f"attribute_not_exists({PARTITION_KEY}) OR #expiry < :now",
            ExpressionAttributeNames={"#expiry": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        ):
            return dict(parameters)
        planned = (self._idempotency(digest) or {}).get("parameters")
        return {str(k): str(v) for k, v in planned.items()} if planned else dict(parameters)

    def remember_start(self, digest: str, started: tuple[str, str]) -> tuple[str, str]:
        """The (execution id, ARN) an idempotency key started: these, or the first ones."""
        from botocore.exceptions import ClientError

        from chalice_app.aws.clients import error_code

        try:
            self._client().update_item(
                TableName=self._table,
                Key=to_item({PARTITION_KEY: IDEMPOTENCY_PREFIX + digest}),
                UpdateExpression="SET execution_id = :id, execution_arn = :arn",
                ConditionExpression="attribute_not_exists(execution_id)",
                ExpressionAttributeValues=to_item({":id": started[0], ":arn": started[1]}),
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return self.started_by(digest) or started
        return started

    def started_by(self, digest: str) -> tuple[str, str] | None:
        item = self._idempotency(digest)
        if item is None or "execution_id" not in item:  # none, or planned but not started
            return None
        return str(item["execution_id"]), str(item["execution_arn"])

    def _idempotency(self, digest: str) -> dict[str, Any] | None:
        """A key's record, unless it expired (TTL deletes it some time after that)."""
        item = self._get(IDEMPOTENCY_PREFIX + digest)
        if item is None or float(item.get(TTL_ATTRIBUTE, "inf")) <= self._clock():
            return None
        return item

    def _get(self, key: str) -> dict[str, Any] | None:
        answer = self._client().get_item(
            TableName=self._table, Key=to_item({PARTITION_KEY: key}), ConsistentRead=True
        )
        return from_item(answer["Item"], whole_in_run) if "Item" in answer else None
