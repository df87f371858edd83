"""Figures of the analytics commands, on the synthetic sample (docs/analytics.md).

`python -m benchmarks.analytics`: in a temporary PVP_HOME, trains a model on the
sample (the production parameters), then prints
- the drift of a synthetic week drawn from the training distribution and of one with
  shifted areas (x1.8) and 20% in a new sector (2,100 rows each): PSI per feature;
- the noise floor: the largest feature PSI of samples drawn from the training
  distribution itself, at 100, 300 and 1,000 rows (30 draws each), which is what the
  300-row minimum rests on;
- a day of 100,000 logged entries: reading it from SQLite, writing it as Parquet (time,
  size), and the drift comparison of those rows.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from devtools.synthetic_log import entries, week

DRAWS = 30
DAY_ROWS = 100_000


def _trained(home: Path) -> tuple[str, object, object]:
    from training_pipeline.profile import read_profile
    from training_pipeline.registry import LocalRegistry
    from training_pipeline.runner import run_pipeline
    from training_pipeline.sample_data import write_sample

    train, test = write_sample(home / "sample")
    started = time.perf_counter()
    run_pipeline(home, train, test, say=lambda _: None)
    print(f"trained on the sample in {time.perf_counter() - started:.1f} s")
    registry = LocalRegistry(home)
    location, found = registry.deployed_location(), registry.deployed_model()
    assert location is not None and found is not None
    return found[0], found[1], read_profile(location[1])


def _drift_tables(model: object, profile: object) -> None:
    from training_pipeline.drift import compare, format_report

    for label, shifted in (("stable week", False), ("shifted week", True)):
        frame, values = week(model, 2100, seed=21 if not shifted else 22, shifted=shifted)
        report = compare(profile, frame.to_dict("records"), values.tolist(), model_version="v0001")  # type: ignore[arg-type]
        print(f"\n{label}:\n{format_report(report)}")


def _noise(model: object, profile: object) -> None:
    from training_pipeline.drift import compare

    print("\nlargest feature PSI of samples from the training distribution itself:")
    for rows in (100, 300, 1000):
        largest = []
        for draw in range(DRAWS):
            frame, values = week(model, rows, seed=1000 + draw)
            report = compare(profile, frame.to_dict("records"), values.tolist(), min_rows=1)  # type: ignore[arg-type]
            largest.append(max(f.psi or 0.0 for f in report.features))
        p50, p95 = np.percentile(largest, [50, 95])
        print(f"  {rows:>5} rows: median {p50:.3f}, p95 {p95:.3f}, max {max(largest):.3f}")


def _day(home: Path, version: str, model: object, profile: object) -> None:
    from chalice_app.local.prediction_log import SqlitePredictionLog
    from ops import parquet_log
    from training_pipeline.drift import compare

    frame, values = week(model, DAY_ROWS, seed=5)
    log = SqlitePredictionLog(home / "predictions.sqlite")
    for entry in entries(frame, values, last_day="2026-12-06", days=1, version=version):
        log.record(entry)
    started = time.perf_counter()
    day = list(log.read_day("2026-12-06"))
    read = time.perf_counter() - started
    started = time.perf_counter()
    path = home / "day.parquet"
    parquet_log.write(day, path)
    written = time.perf_counter() - started
    started = time.perf_counter()
    compare(profile, [e.inputs for e in day], [e.value for e in day])  # type: ignore[arg-type]
    compared = time.perf_counter() - started
    size = path.stat().st_size
    print(f"\na day of {len(day):,} entries:")
    print(f"  read from SQLite   {read:6.2f} s ({len(day) / read:,.0f} rows/s)")
    print(f"  written as Parquet {written:6.2f} s ({len(day) / written:,.0f} rows/s), ", end="")
    print(f"{size / 1e6:.1f} MB ({size / len(day):.0f} bytes a row)")
    print(f"  drift comparison   {compared:6.2f} s")


def main() -> int:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="pvp-bench-") as scratch:
        home = Path(scratch)
        version, model, profile = _trained(home)
        _drift_tables(model, profile)
        _noise(model, profile)
        _day(home, version, model, profile)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
