"""Where the benchmarks find the repository and the real data (read by path only)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "property-friends" / "train.csv"
