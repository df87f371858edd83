"""The models ours is measured against, rebuilt so they fit on the same folds.

- the old system's model, as it was: target-encoded categories, raw numbers, raw price;
- main's model before issue 9 (ModelParams defaults then): the first nine feature
  columns (the eight inputs and the usable-area share) into 64 boosted trees of depth
  10 on log(price), training rows under 1,000 UF dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from training_pipeline.features import FEATURE_NAMES, PropertyFeatures
from training_pipeline.model import ModelParams

# Fits on a training fold and returns a predictor for a test fold.
Predictor = Callable[[pd.DataFrame], np.ndarray]
Fitter = Callable[[pd.DataFrame, pd.Series], Predictor]
# main's feature matrix before the location features were appended after it.
MAIN_COLUMNS = FEATURE_NAMES.index("usable_share") + 1


def old_model_fitter(frame: pd.DataFrame, target: pd.Series) -> Predictor:
    """The old system's model, rebuilt as it was: raw features, raw price."""
    from category_encoders import TargetEncoder
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    pipeline = Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer(
                    [("te", TargetEncoder(), ["type", "sector"])], remainder="passthrough"
                ),
            ),
            (
                "model",
                GradientBoostingRegressor(
                    learning_rate=0.01, n_estimators=300, max_depth=5, loss="absolute_error"
                ),
            ),
        ]
    )
    pipeline.fit(frame, target)
    return lambda test: np.asarray(pipeline.predict(test), dtype=np.float64)


def main_model_fitter(frame: pd.DataFrame, target: pd.Series) -> Predictor:
    """main's model before issue 9, with its ModelParams defaults of the time."""
    from sklearn.ensemble import GradientBoostingRegressor

    keep = (target >= ModelParams().min_train_price).to_numpy()
    features = PropertyFeatures().fit(frame[keep])
    regressor = GradientBoostingRegressor(
        n_estimators=64, max_depth=10, learning_rate=0.18, min_samples_leaf=5, random_state=0
    )
    regressor.fit(
        features.transform(frame[keep])[:, :MAIN_COLUMNS],
        np.log(target[keep].to_numpy(dtype=np.float64)),
    )
    return lambda test: np.exp(regressor.predict(features.transform(test)[:, :MAIN_COLUMNS]))
