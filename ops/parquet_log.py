"""The prediction log as Parquet: one owner for its columns, both ways.

One row per prediction, its inputs as columns of their own (the model's feature names,
values as the client sent them), so SQL reads it without JSON functions. The Glue
table (infra/analytics.yaml, rendered from COLUMNS) and the export agree by
construction. `created_at` is a UTC timestamp in microseconds, the precision the API
stamps; the day is not a column: it is the partition (`day=YYYY-MM-DD/` in the path).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ops.errors import OperatorError
from training_pipeline.schema import CATEGORICAL_FEATURES, FEATURES

if TYPE_CHECKING:
    from chalice_app.ports import PredictionEntry

# (column, Glue/Athena type); the Arrow type follows from the Glue one.
ENTRY_COLUMNS: Final = (
    ("prediction_id", "string"),
    ("created_at", "timestamp"),
    ("client", "string"),
    ("model_version", "string"),
    ("value", "double"),
    ("range_low", "double"),
    ("range_high", "double"),
    ("range_level", "double"),
    ("latency_ms", "double"),
)
INPUT_COLUMNS: Final = tuple(
    (name, "string" if name in CATEGORICAL_FEATURES else "double") for name in FEATURES
)
COLUMNS: Final = ENTRY_COLUMNS + INPUT_COLUMNS
PARTITION_COLUMN: Final = "day"
FILENAME: Final = "predictions.parquet"
# Rows per row group: bounds the memory a day takes to write (a row is ~200 bytes).
ROW_GROUP: Final = 50_000


def schema() -> Any:
    import pyarrow as pa

    arrow = {"string": pa.string(), "double": pa.float64(), "timestamp": pa.timestamp("us", "UTC")}
    return pa.schema([(name, arrow[kind]) for name, kind in COLUMNS])


def day_path(day: str) -> str:
    """A day's place below the export's root: `day=YYYY-MM-DD/predictions.parquet`."""
    return f"{PARTITION_COLUMN}={day}/{FILENAME}"


def _row(entry: PredictionEntry) -> dict[str, Any]:
    extra = sorted(set(entry.inputs) - set(FEATURES))
    if extra:  # a column the table lacks would be lost silently: refuse instead
        raise OperatorError(f"prediction {entry.prediction_id}: unknown inputs {extra}")
    return {
        "prediction_id": entry.prediction_id,
        "created_at": datetime.fromisoformat(entry.created_at).astimezone(UTC),
        "client": entry.client,
        "model_version": entry.model_version,
        "value": entry.value,
        **entry.range_columns(),
        "latency_ms": entry.latency_ms,
        **{name: entry.inputs.get(name) for name in FEATURES},
    }


def write(entries: Iterable[PredictionEntry], path: Path) -> int:
    """Write `entries` to one Parquet file (row groups of ROW_GROUP); the row count.

    An empty day is a file with no rows: the day was exported, and had nothing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table_schema = schema()
    rows = 0
    with pq.ParquetWriter(path, table_schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for entry in entries:
            batch.append(_row(entry))
            if len(batch) == ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=table_schema))
                rows += len(batch)
                batch = []
        writer.write_table(pa.Table.from_pylist(batch, schema=table_schema))
        rows += len(batch)
    return rows


def read(path: Path | Any) -> Iterator[PredictionEntry]:
    """The entries of an exported file (a path or a binary file), in the file's order."""
    import pyarrow.parquet as pq

    from chalice_app.ports import PredictionEntry, PriceRange

    for row in pq.read_table(path, schema=schema()).to_pylist():
        low, high, level = row["range_low"], row["range_high"], row["range_level"]
        yield PredictionEntry(
            prediction_id=row["prediction_id"],
            created_at=row["created_at"].isoformat(timespec="microseconds"),
            inputs={name: row[name] for name in FEATURES},
            value=row["value"],
            model_version=row["model_version"],
            latency_ms=row["latency_ms"],
            range=None if low is None or high is None else PriceRange(low, high, level),
            client=row["client"],
        )
