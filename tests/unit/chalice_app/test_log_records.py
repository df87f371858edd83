"""A log entry's shape in the DynamoDB item and the Parquet export: every field has a
place, and numbers DynamoDB trimmed come back as the floats that went in."""

from __future__ import annotations

from dataclasses import fields

from chalice_app.aws.prediction_log import entry_of
from chalice_app.ports import PredictionEntry, PriceRange
from ops.parquet_log import ENTRY_COLUMNS, INPUT_COLUMNS
from tests.conftest import EXAMPLE_RECORD
from training_pipeline.schema import FEATURES


def test_every_entry_field_has_a_parquet_column() -> None:
    # A field added to PredictionEntry without a column would vanish from the export.
    flattened = {"range": ("range_low", "range_high", "range_level"), "inputs": FEATURES}
    expected = [
        column
        for field in fields(PredictionEntry)
        for column in flattened.get(field.name, (field.name,))
    ]
    assert sorted(expected) == sorted(name for name, _ in ENTRY_COLUMNS + INPUT_COLUMNS)


def test_numbers_dynamodb_trimmed_read_back_as_floats() -> None:
    # What real DynamoDB gives for 3500.0 and 2.0: 3500 and 2 (moto keeps "3500.0").
    item = {
        "prediction_id": "p1",
        "created_at": "2026-12-03T10:00:00.000001+00:00",
        "inputs": {**EXAMPLE_RECORD, "n_rooms": 2, "n_bathroom": 1},
        "value": 3500,
        "model_version": "v0001",
        "latency_ms": 2,
        "range_low": 3000,
        "range_high": 4000,
        "range_level": 0.8,
        "client": "default",
    }
    entry = entry_of(item)
    assert entry == PredictionEntry(
        "p1",
        "2026-12-03T10:00:00.000001+00:00",
        {**EXAMPLE_RECORD, "n_rooms": 2.0, "n_bathroom": 1.0},
        3500.0,
        "v0001",
        2.0,
        PriceRange(3000.0, 4000.0, 0.8),
        "default",
    )
    assert all(isinstance(v, float) for k, v in entry.inputs.items() if k not in ("type", "sector"))
    assert isinstance(entry.value, float) and isinstance(
        entry.range.low if entry.range else 0, float
    )
