"""The endpoint's rollout state, one item in the run table (`deployment#<endpoint>`).

It outlives any one Lambda: the deploy callback starts a rollout and, when SageMaker is
slower than a Lambda step may wait, the deploy watcher finishes it from this item. Every
write is conditional on the revision it read, so two writers never both act on one
state; the loser gets None and stops.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import get_type_hints

from chalice_app.aws.clients import ClientSource
from chalice_app.aws.items import from_item, put_if, put_if_new, to_item
from chalice_app.aws.run_table import DEPLOYMENT_PREFIX, PARTITION_KEY
from chalice_app.callbacks.ports import Deployment

_WHOLE = frozenset(f.name for f in fields(Deployment) if get_type_hints(Deployment)[f.name] is int)


def _whole(path: tuple[str, ...]) -> bool:
    """The rollout item's numbers as the Deployment's fields type them (revision is
    whole, lease_until a float), whatever text DynamoDB gives back."""
    return path[0] in _WHOLE


class DeploymentTable:
    def __init__(self, client: ClientSource, table: str) -> None:
        self._client = client
        self._table = table

    def load(self, endpoint: str) -> Deployment:
        answer = self._client().get_item(
            TableName=self._table,
            Key=to_item({PARTITION_KEY: DEPLOYMENT_PREFIX + endpoint}),
            ConsistentRead=True,
        )
        if "Item" not in answer:
            return Deployment(endpoint)
        item = from_item(answer["Item"], _whole)
        item.pop(PARTITION_KEY)
        return Deployment(**item)

    def save(self, deployment: Deployment) -> Deployment | None:
        saved = replace(deployment, revision=deployment.revision + 1)
        item = {PARTITION_KEY: DEPLOYMENT_PREFIX + deployment.endpoint, **asdict(saved)}
        client = self._client()
        if deployment.revision == 0:
            written = put_if_new(client, self._table, item, PARTITION_KEY)
        else:
            written = put_if(
                client,
                self._table,
                item,
                ConditionExpression="revision = :read",
                ExpressionAttributeValues={":read": {"N": str(deployment.revision)}},
            )
        return saved if written else None
