"""Python values <-> DynamoDB attribute values.

Floats go in as Decimal. What comes back is typed by the reader's schema, never by the
number's text: DynamoDB trims leading and trailing zeroes, so 3500.0 is stored (and
read) as 3500 (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number). moto keeps the text,
so only AWS would show the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

# Whether the number at an attribute path (("metrics", "n_rows")) is whole; else a float.
Whole = Callable[[tuple[str, ...]], bool]


def no_whole_numbers(path: tuple[str, ...]) -> bool:
    """A schema whose every number is a float."""
    return False


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal):
        return value
    if isinstance(value, float):
        # str() keeps the shortest repr, so 0.1 is stored as 0.1, not its binary expansion.
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {str(k): _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _from_dynamo(value: Any, whole: Whole, path: tuple[str, ...]) -> Any:
    if isinstance(value, Decimal):
        return int(value) if whole(path) else float(value)
    if isinstance(value, Mapping):
        return {k: _from_dynamo(v, whole, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v, whole, path) for v in value]
    return value


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level client's Item; None values are left out (DynamoDB has no null keys)."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    return {k: serialize(_to_dynamo(v)) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any], whole: Whole) -> dict[str, Any]:
    """Plain values of a low-level client's Item, numbers typed by `whole`."""
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    return {k: _from_dynamo(deserialize(v), whole, (k,)) for k, v in item.items()}


def put_if(client: Any, table: str, values: Mapping[str, Any], **condition: Any) -> bool:
    """PutItem when `condition` (ConditionExpression, ...) holds: False when it does not,
    and nothing changes. Other errors pass through (botocore's).

    botocore retries a PutItem whose answer was lost (read timeouts, 5xx); when its first
    try landed, the retry fails the condition against that very write. So the item the
    condition failed on comes back with the error (ReturnValuesOnConditionCheckFailure,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html) and
    equal to what this call wrote, it is this call's success.
    """
    from botocore.exceptions import ClientError

    from chalice_app.aws.clients import error_code

    item = to_item(values)
    try:
        client.put_item(
            TableName=table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD", **condition
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return _same(exc.response.get("Item"), item)
        raise
    return True


def _same(stored: Mapping[str, Any] | None, written: Mapping[str, Any]) -> bool:
    """Whether two Items hold the same values; numbers compared as numbers, since DynamoDB
    gives back 3500 for the 3500.0 it was sent."""
    from boto3.dynamodb.types import TypeDeserializer

    if stored is None or set(stored) != set(written):
        return False
    deserialize = TypeDeserializer().deserialize
    return all(deserialize(stored[k]) == deserialize(written[k]) for k in written)


def put_if_new(client: Any, table: str, values: Mapping[str, Any], key: str) -> bool:
    """PutItem unless an item with this key exists: False then, and nothing changes.

    Makes a retried write whose first try landed a no-op instead of a copy or an
    overwrite.
    """
    return put_if(client, table, values, ConditionExpression=f"attribute_not_exists({key})")
