"""A flat-array copy of a fitted GradientBoostingRegressor for one-row predictions.

scikit-learn spends ~0.5 ms per call on input checks and a Python-level visit of every
tree; this walks all trees at once with a handful of numpy operations per tree level.
It reproduces scikit-learn's arithmetic exactly (float32 inputs compared with float64
thresholds, leaf values added one tree after another), which the tests check.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor


class FlatForest:
    """All trees of a boosted ensemble as concatenated node arrays."""

    def __init__(self, model: GradientBoostingRegressor) -> None:
        trees = [estimator.tree_ for estimator in model.estimators_[:, 0]]
        offsets = np.cumsum([0] + [tree.node_count for tree in trees[:-1]])
        left, right, feature, threshold, value = [], [], [], [], []
        for offset, tree in zip(offsets, trees, strict=True):
            is_leaf = tree.children_left < 0
            own = np.arange(tree.node_count) + offset
            # A leaf points at itself, so every tree can take max_depth steps.
            left.append(np.where(is_leaf, own, tree.children_left + offset))
            right.append(np.where(is_leaf, own, tree.children_right + offset))
            feature.append(np.where(is_leaf, 0, tree.feature))
            threshold.append(np.where(is_leaf, np.inf, tree.threshold))
            value.append(tree.value[:, 0, 0])
        self._left = np.concatenate(left)
        self._right = np.concatenate(right)
        self._feature = np.concatenate(feature)
        self._threshold = np.concatenate(threshold)
        self._value = np.concatenate(value) * model.learning_rate
        self._roots = offsets.astype(np.int64)
        self._depth = max(tree.max_depth for tree in trees)
        self._start = float(
            model._raw_predict_init(np.zeros((1, model.n_features_in_), np.float32))[0, 0]
        )

    def predict_row(self, row: np.ndarray) -> float:
        """Raw (untransformed) score of one float32 feature row."""
        x = row.astype(np.float64).ravel()
        nodes = self._roots
        for _ in range(self._depth):
            goes_left = x[self._feature[nodes]] <= self._threshold[nodes]
            nodes = np.where(goes_left, self._left[nodes], self._right[nodes])
        # scikit-learn adds tree by tree onto the initial estimate; cumsum keeps that order.
        steps = np.concatenate(([self._start], self._value[nodes]))
        return float(np.cumsum(steps)[-1])
