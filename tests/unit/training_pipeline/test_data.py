"""load_dataset: every schema violation names its column and the file's line numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training_pipeline.data import load_dataset
from training_pipeline.errors import DataValidationError
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import FEATURES, TARGET

WriteCsv = Callable[..., Path]  # the write_csv fixture: (frame, name) -> path


@pytest.fixture
def sample() -> pd.DataFrame:
    return make_sample(60, seed=21)


def _error(path: Path | str, **kwargs: int) -> DataValidationError:
    with pytest.raises(DataValidationError) as caught:
        load_dataset(path, **kwargs)
    return caught.value


def test_a_valid_file_loads_with_normalized_categories(
    sample: pd.DataFrame, write_csv: WriteCsv
) -> None:
    sample.loc[0, "sector"] = "Ñuñoa"
    sample.loc[1, "type"] = "Departamento"

    frame = load_dataset(write_csv(sample, "ok.csv"))

    assert list(frame.columns) == [*FEATURES, TARGET]
    assert len(frame) == 60
    assert frame.loc[0, "sector"] == "nunoa"
    assert frame.loc[1, "type"] == "departamento"
    assert frame["net_area"].dtype == np.float64
    np.testing.assert_array_equal(frame[TARGET].to_numpy(), sample[TARGET].to_numpy())


def test_a_missing_column_is_named(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    error = _error(write_csv(sample.drop(columns=["net_area"])))

    assert error.column == "net_area"
    assert "net_area" in str(error)
    assert "missing" in str(error)


def test_the_target_is_only_required_with_target(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    path = write_csv(sample.drop(columns=[TARGET]))

    assert _error(path).column == TARGET
    assert list(load_dataset(path, with_target=False).columns) == list(FEATURES)


def test_a_non_numeric_value_names_column_and_lines(
    sample: pd.DataFrame, write_csv: WriteCsv
) -> None:
    # GIVEN text in the 1st and 4th data rows (file lines 2 and 5; line 1 is the header)
    sample = sample.astype({"n_rooms": object})
    sample.loc[0, "n_rooms"] = "three"
    sample.loc[3, "n_rooms"] = ""

    # WHEN loaded
    error = _error(write_csv(sample))

    # THEN the error names the column, the lines and an example value
    assert error.column == "n_rooms"
    assert error.rows == [2, 5]
    assert "n_rooms" in str(error)
    assert "2, 5" in str(error)
    assert "three" in str(error)


def test_only_the_first_five_bad_lines_are_listed(
    sample: pd.DataFrame, write_csv: WriteCsv
) -> None:
    sample = sample.astype({"price": object})
    sample.loc[10:19, "price"] = "n/a"

    error = _error(write_csv(sample))

    assert error.column == "price"
    assert error.rows == [12, 13, 14, 15, 16]
    assert "10 row(s)" in str(error)


def test_infinite_values_are_rejected(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample = sample.astype({"net_usable_area": object})
    sample.loc[6, "net_usable_area"] = "inf"

    error = _error(write_csv(sample))

    assert (error.column, error.rows) == ("net_usable_area", [8])


def test_a_negative_area_is_rejected(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample.loc[2, "net_usable_area"] = -80

    error = _error(write_csv(sample))

    assert (error.column, error.rows) == ("net_usable_area", [4])
    assert "negative" in str(error)


def test_a_zero_area_is_allowed(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample.loc[2, "net_area"] = 0

    assert load_dataset(write_csv(sample)).loc[2, "net_area"] == 0.0


@pytest.mark.parametrize(
    ("column", "value"),
    [("latitude", 33.4), ("latitude", -70.57), ("longitude", -33.4), ("longitude", 0.0)],
)
def test_coordinates_outside_chile_are_rejected(
    sample: pd.DataFrame, write_csv: WriteCsv, column: str, value: float
) -> None:
    sample.loc[9, column] = value

    error = _error(write_csv(sample))

    assert (error.column, error.rows) == (column, [11])
    assert "outside Chile" in str(error)


def test_an_unknown_type_is_rejected(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample.loc[4, "type"] = "oficina"

    error = _error(write_csv(sample))

    assert (error.column, error.rows) == ("type", [6])
    assert "oficina" in str(error)
    assert "casa" in str(error)


def test_an_empty_category_is_rejected(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample.loc[5, "sector"] = ""

    error = _error(write_csv(sample))

    assert (error.column, error.rows) == ("sector", [7])


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")

    error = _error(path)

    assert "not a readable CSV" in str(error)
    assert str(path) in str(error)


def test_a_header_only_file_has_too_few_rows(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    error = _error(write_csv(sample.iloc[:0]))

    assert "0 rows" in str(error)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "train.csv"

    error = _error(path)

    assert "file not found" in str(error)
    assert str(path) in str(error)


def test_too_few_rows(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    path = write_csv(sample.iloc[:10])

    error = _error(path, min_rows=50)

    assert "10 rows" in str(error)
    assert "50" in str(error)
    assert len(load_dataset(path, min_rows=10)) == 10


def test_extra_columns_are_allowed_and_dropped(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    sample.insert(0, "id", [f"p{i}" for i in range(len(sample))])
    sample["notes"] = "vista al cerro"

    frame = load_dataset(write_csv(sample))

    assert list(frame.columns) == [*FEATURES, TARGET]
    assert len(frame) == 60


def test_file_uris_work(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    path = write_csv(sample)

    frame = load_dataset(f"file://{path}")

    assert len(frame) == 60


def test_percent_encoded_file_uris_work(sample: pd.DataFrame, write_csv: WriteCsv) -> None:
    path = write_csv(sample, "datos de prueba/train.csv")

    frame = load_dataset(path.as_uri())

    assert len(frame) == 60
