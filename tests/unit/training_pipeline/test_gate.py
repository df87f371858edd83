"""The quality gate: good enough AND not worse than the champion."""

from __future__ import annotations

import math

from training_pipeline.gate import DEFAULT_MAX_MAE, decide


def _metrics(mae: float, **extra: float) -> dict[str, float]:
    return {"rmse": mae * 1.4, "mae": mae, "mape": 10.0, "r2": 0.9, **extra}


def test_accepts_a_first_model_under_the_threshold() -> None:
    decision = decide(_metrics(1200.0), None)

    assert decision.accepted
    assert decision.threshold == DEFAULT_MAX_MAE
    assert decision.champion is None
    assert "1,200.0" in decision.reason
    assert "3,500.0" in decision.reason


def test_rejects_a_model_above_the_threshold() -> None:
    decision = decide(_metrics(3600.0), None)

    assert not decision.accepted
    assert "3,600.0" in decision.reason
    assert "threshold" in decision.reason


def test_the_threshold_itself_passes() -> None:
    assert decide(_metrics(500.0), None, max_mae=500.0).accepted
    assert not decide(_metrics(500.01), None, max_mae=500.0).accepted


def test_rejects_a_model_worse_than_the_champion_even_under_the_threshold() -> None:
    decision = decide(_metrics(1300.0), _metrics(1100.0), champion_version="v0004")

    assert not decision.accepted
    assert decision.champion == 1100.0
    assert decision.champion_version == "v0004"
    assert "v0004" in decision.reason
    assert "1,300.0" in decision.reason
    assert "1,100.0" in decision.reason


def test_accepts_a_model_equal_to_the_champion() -> None:
    decision = decide(_metrics(1100.0), _metrics(1100.0), champion_version="v0002")

    assert decision.accepted
    assert "v0002" in decision.reason
    assert "1,100.0" in decision.reason


def test_accepts_a_model_better_than_the_champion() -> None:
    assert decide(_metrics(900.0), _metrics(1100.0), champion_version="v0001").accepted


def test_a_nan_mae_is_rejected() -> None:
    decision = decide(_metrics(math.nan), None)
    against_champion = decide(_metrics(math.nan), _metrics(1100.0), champion_version="v0001")

    assert not decision.accepted
    assert not against_champion.accepted


def test_the_decision_serializes() -> None:
    decision = decide(_metrics(1000.0), _metrics(1100.0), max_mae=2000.0, champion_version="v0003")

    assert decision.as_dict() == {
        "accepted": True,
        "reason": decision.reason,
        "metric": "mae",
        "challenger": 1000.0,
        "threshold": 2000.0,
        "champion": 1100.0,
        "champion_version": "v0003",
    }


def test_a_challenger_that_cannot_score_validation_rows_is_rejected() -> None:
    champion = _metrics(1100.0, n_rows=400, n_unscored=0)
    challenger = _metrics(940.0, n_rows=38, n_unscored=362)

    decision = decide(challenger, champion, champion_version="v0001")

    assert not decision.accepted
    assert "362" in decision.reason
