"""A flat-array copy of a fitted CatBoost model for one-row predictions.

CatBoost's own predictor is the batch path (over a million rows a second here), but
each call costs ~0.2 ms of Python and Pool set-up, too much for one row. Its trees are
oblivious: every level of a tree asks one question of every row, so one row is a
handful of numpy operations over all trees at once. The arithmetic is CatBoost's
(float32 features against float32 borders, leaf values summed tree by tree in
float64, then scale and bias); the tests check the two paths agree bit for bit.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


class ObliviousForest:
    """All trees of a CatBoost model as (trees x depth) split arrays and flat leaves."""

    def __init__(self, model: Any) -> None:
        trees, scale, bias = _exported_trees(model)
        depth = max(len(tree["splits"]) for tree in trees)
        features = np.zeros((len(trees), depth), dtype=np.intp)
        # A missing level asks "x > +inf", always false: a shallow tree keeps its indices.
        borders = np.full((len(trees), depth), np.inf, dtype=np.float32)
        for t, tree in enumerate(trees):
            for level, split in enumerate(tree["splits"]):
                if split["split_type"] != "FloatFeature":
                    raise ValueError(f"unsupported CatBoost split {split['split_type']!r}")
                features[t, level] = split["float_feature_index"]
                borders[t, level] = split["border"]
        leaf_counts = [len(tree["leaf_values"]) for tree in trees]
        self._features = features
        self._borders = borders
        self._powers = 1 << np.arange(depth, dtype=np.intp)
        self._offsets = np.concatenate(([0], np.cumsum(leaf_counts[:-1]))).astype(np.intp)
        self._leaves = np.concatenate([tree["leaf_values"] for tree in trees]).astype(np.float64)
        self._scale = float(scale)
        self._bias = float(bias)

    def predict_row(self, row: np.ndarray) -> float:
        """Raw score of one feature row, as CatBoost's `predict` computes it."""
        x = np.asarray(row, dtype=np.float32).ravel()
        index = (x[self._features] > self._borders) @ self._powers + self._offsets
        # CatBoost adds leaf values tree by tree, then scales and adds the bias.
        return self._scale * float(np.cumsum(self._leaves[index])[-1]) + self._bias


def _exported_trees(model: Any) -> tuple[list[dict[str, Any]], float, float]:
    """The trees, scale and bias of a fitted CatBoost model, via its JSON export.

    The JSON format is CatBoost's documented model description; its borders are
    float32 values printed exactly, its leaf values the model's float64s.
    """
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "model.json"
        model.save_model(str(path), format="json")
        exported = json.loads(path.read_text())
    scale, biases = exported["scale_and_bias"]
    if len(biases) != 1:
        raise ValueError("expected a single-output CatBoost model")
    return exported["oblivious_trees"], float(scale), float(biases[0])
