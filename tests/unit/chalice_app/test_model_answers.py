"""Reading the model server's answer: rows in order, unknown categories as values, and
anything this API does not understand as the model's problem (503), never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.model_answers import read_answer
from chalice_app.ports import Prediction, PriceRange

PRICED = {"value": 5000.0, "range": {"low": 4000.0, "high": 6000.0, "level": 0.8}}
UNKNOWN = {
    "value": None,
    "error": {"kind": "unknown_category", "column": "sector", "value": "Marte", "known": ["a"]},
}


def test_rows_keep_their_order_and_an_unknown_category_is_that_rows_result() -> None:
    batch = read_answer({"model_version": "v7", "predictions": [PRICED, UNKNOWN]}, "m", 2)
    priced, unknown = batch.results
    assert batch.model_version == "v7"
    assert priced == Prediction(5000.0, "v7", PriceRange(4000.0, 6000.0, 0.8))
    assert isinstance(unknown, UnknownCategoryError)
    assert (unknown.column, unknown.value, unknown.known) == ("sector", "Marte", ["a"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "unexpected answer from m"),
        ({"predictions": [PRICED]}, "unexpected answer from m"),
        ({"model_version": "v7", "predictions": [PRICED, PRICED]}, "unexpected answer"),
        ({"model_version": "v7", "predictions": ["x"]}, "unexpected answer"),
        ({"model_version": "v7", "predictions": [{"value": "high"}]}, "unexpected answer"),
        ({"model_version": "v7", "predictions": [{"value": 1.0}]}, "without a price range"),
        ({"model_version": "v7", "predictions": [{"value": None, "error": "x"}]}, "score"),
        (
            {"model_version": "v7", "predictions": [{"value": None, "error": {"kind": UNKNOWN}}]},
            "could not score",
        ),
        (
            {
                "model_version": "v7",
                "predictions": [{**UNKNOWN, "error": {"kind": "unknown_category"}}],
            },
            "unexpected answer",
        ),
    ],
)
def test_an_answer_not_understood_is_the_models_problem(body: Any, message: str) -> None:
    with pytest.raises(ModelUnavailableError, match=message):
        read_answer(body, "m", 1)
