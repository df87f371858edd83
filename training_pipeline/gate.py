"""The quality gate: a challenger replaces the champion only when it is good AND better.

Both conditions use the same validation data: the champion is re-scored on it rather
than trusted for the numbers it had on whatever data it was trained with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# MAE in UF. A typical property here costs ~10,000 UF; the old system's model missed
# by ~2,700 UF on the real data and ours by ~2,000, so 3,500 UF rejects a model that is
# clearly broken (a constant predictor misses by ~5,000) without failing honest ones.
DEFAULT_MAX_MAE = 3500.0
GATE_METRIC = "mae"


@dataclass(frozen=True)
class GateDecision:
    accepted: bool
    reason: str
    metric: str
    challenger: float
    threshold: float
    champion: float | None
    champion_version: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    challenger: dict[str, float],
    champion: dict[str, float] | None,
    *,
    max_mae: float = DEFAULT_MAX_MAE,
    champion_version: str | None = None,
) -> GateDecision:
    """Accept when the challenger scores every validation row, its MAE is within
    max_mae, and it is not worse than the champion's MAE on the same data."""
    score = challenger[GATE_METRIC]
    best = None if champion is None else champion[GATE_METRIC]

    def decision(accepted: bool, reason: str) -> GateDecision:
        return GateDecision(accepted, reason, GATE_METRIC, score, max_mae, best, champion_version)

    unscored = int(challenger.get("n_unscored", 0))
    if unscored:
        total = unscored + int(challenger.get("n_rows", 0))
        return decision(
            False,
            f"could not score {unscored} of {total} validation rows (categories it never "
            "saw in training); its MAE on the rest is not comparable",
        )
    if not score <= max_mae:  # also rejects NaN
        return decision(False, f"MAE {score:,.1f} UF is above the threshold {max_mae:,.1f} UF")
    if best is not None and score > best:
        return decision(
            False,
            f"MAE {score:,.1f} UF is worse than champion {champion_version} "
            f"({best:,.1f} UF on the same validation data)",
        )
    if best is None:
        return decision(True, f"MAE {score:,.1f} UF is within {max_mae:,.1f} UF; no champion yet")
    return decision(
        True,
        f"MAE {score:,.1f} UF is within {max_mae:,.1f} UF and not worse than "
        f"champion {champion_version} ({best:,.1f} UF)",
    )
