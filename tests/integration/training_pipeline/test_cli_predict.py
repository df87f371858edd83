"""`predict --input CSV --output CSV` with the deployed model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import run_cli
from training_pipeline.model import PriceModel


def test_predict_adds_prices_and_flags_unknown_sectors(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN 20 properties without prices; one in an unknown sector, one spelled 'Ñuñoa'
    frame = pd.read_csv(sample_dir / "test.csv").drop(columns=["price"]).head(20)
    frame.loc[3, "sector"] = "Santiago Centro"
    frame.loc[5, "sector"] = "Ñuñoa"
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame.to_csv(source, index=False)

    # WHEN the CLI scores them
    result = run_cli(trained_home, "predict", "--input", str(source), "--output", str(out))

    # THEN every other row has a price, the unknown one an empty value and a reason
    assert "scored 20 rows with v0001" in result.stdout
    assert "1 rows could not be scored" in result.stdout
    scored = pd.read_csv(out, keep_default_na=False)
    assert list(scored.columns) == [
        *frame.columns,
        "predicted_price",
        "predicted_price_low",
        "predicted_price_high",
        "prediction_error",
    ]
    assert scored.loc[3, "predicted_price"] == ""
    assert scored.loc[3, "predicted_price_low"] == ""
    assert "Santiago Centro" in scored.loc[3, "prediction_error"]
    others = scored.drop(index=3)
    assert (others["prediction_error"] == "").all()
    prices = others["predicted_price"].astype(float).to_numpy()
    assert (prices > 0).all()
    model = PriceModel.load(trained_home / "models" / "v0001")
    expected = [model.estimate_record(r) for r in frame.drop(index=3).to_dict("records")]
    np.testing.assert_allclose(prices, np.round([e.value for e in expected], 1))
    # AND each price comes with its 80% range around it
    lows = others["predicted_price_low"].astype(float).to_numpy()
    highs = others["predicted_price_high"].astype(float).to_numpy()
    np.testing.assert_allclose(lows, np.round([e.low for e in expected], 1))
    np.testing.assert_allclose(highs, np.round([e.high for e in expected], 1))
    assert ((lows < prices) & (prices < highs)).all()


def test_predict_without_problems_has_no_error_column(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"

    run_cli(trained_home, "predict", "--input", str(sample_dir / "test.csv"), "--output", str(out))

    scored = pd.read_csv(out)
    assert "prediction_error" not in scored.columns
    assert len(scored) == 400
    assert scored["predicted_price"].notna().all()
    # the model is useful, not just positive: within 30% of the truth on median
    ape = (scored["predicted_price"] - scored["price"]).abs() / scored["price"]
    assert ape.median() < 0.3


def test_predict_names_what_is_wrong_with_an_unusable_file(
    trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN a file that is not CSV, and a CSV without the sector column
    garbled, no_sector, out = tmp_path / "garbled.csv", tmp_path / "no_sector.csv", tmp_path / "o"
    garbled.write_text('type,sector\n"never closed\n')
    pd.read_csv(sample_dir / "test.csv").drop(columns=["sector"]).to_csv(no_sector, index=False)

    for source, message in ((garbled, "not a readable CSV"), (no_sector, "'sector'")):
        # WHEN the CLI is asked to score it
        result = run_cli(
            trained_home, "predict", "--input", str(source), "--output", str(out), check=False
        )
        # THEN it fails with a message, not a traceback, and writes nothing
        assert result.returncode == 1
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert not out.exists()
