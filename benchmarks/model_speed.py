"""How fast our model fits and answers, on one thread.

    python -m benchmarks.model_speed [--data PATH] [--params JSON]

Trains on the real train.csv when it is there (read by path, never copied), else on
the project's synthetic sample, then times the single-row path (`predict_record`) and
the batch path (`predict_frame`) against the serving targets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from benchmarks.compare_models import load_data, parse_params
from benchmarks.paths import REAL_DATA
from training_pipeline.model import ModelParams, PriceModel, fit_model
from training_pipeline.sample_data import write_sample

SINGLE_ROW_CALLS = 5_000
BATCH_ROWS = 10_000
BATCH_CALLS = 30
SINGLE_ROW_TARGET_US = 500.0
BATCH_TARGET_ROWS_PER_S = 300_000.0
SEED = 0


def resolve_data(path: Path | None, workdir: Path) -> tuple[Path, str]:
    """The CSV to train on and a word on where it came from."""
    if path is not None:
        return path, "given"
    if REAL_DATA.is_file():
        return REAL_DATA, "real train.csv"
    train, _ = write_sample(workdir / "sample")
    return train, "synthetic sample"


def scorable_rows(model: PriceModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose categories the model knows: the single-row path raises on the others."""
    values, _ = model.predict_frame(frame)
    return frame[np.isfinite(values)]


def time_single_row(model: PriceModel, frame: pd.DataFrame) -> np.ndarray:
    """Per-call latency (microseconds) over varied rows, as an API caller would send them."""
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(frame), SINGLE_ROW_CALLS)
    # Plain Python dicts, built before timing: the API hands the model a mapping.
    records = frame.iloc[picks].to_dict(orient="records")
    for record in records[:200]:  # warm caches and numpy's dispatch before measuring
        model.predict_record(record)
    timings = np.empty(len(records))
    for i, record in enumerate(records):
        started = time.perf_counter()
        model.predict_record(record)
        timings[i] = time.perf_counter() - started
    return timings * 1e6


def time_batch(model: PriceModel, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Wall and CPU seconds per `predict_frame` call on BATCH_ROWS rows.

    CPU time is the tell for a shared machine: when wall time is well above it,
    another process had the core, and the wall figure understates the model.
    """
    rng = np.random.default_rng(SEED)
    batch = frame.iloc[rng.integers(0, len(frame), BATCH_ROWS)].reset_index(drop=True)
    model.predict_frame(batch)
    wall, cpu = np.empty(BATCH_CALLS), np.empty(BATCH_CALLS)
    for i in range(BATCH_CALLS):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        model.predict_frame(batch)
        wall[i] = time.perf_counter() - wall_start
        cpu[i] = time.process_time() - cpu_start
    return wall, cpu


def paths_agree(model: PriceModel, frame: pd.DataFrame, n_rows: int = 500) -> float:
    """Largest relative gap between the two paths on some rows (they should be equal)."""
    sample = frame.iloc[:n_rows]
    batch, _ = model.predict_frame(sample)
    single = np.array([model.predict_record(r) for r in sample.to_dict(orient="records")])
    return float(np.max(np.abs(single - batch) / np.abs(batch)))


def render_table(
    fit_s: float, single_us: np.ndarray, batch_s: np.ndarray, batch_cpu_s: np.ndarray
) -> str:
    median_us = float(np.median(single_us))
    p99_us = float(np.percentile(single_us, 99))
    rows_per_s = BATCH_ROWS / float(np.median(batch_s))
    cpu_rows_per_s = BATCH_ROWS / float(np.median(batch_cpu_s))

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    return "\n".join(
        [
            "| measure | value | target | |",
            "| --- | ---: | ---: | --- |",
            f"| fit time, full data (s) | {fit_s:.2f} | | |",
            f"| predict_record median (us), {len(single_us):,} calls | {median_us:,.0f} "
            f"| <= {SINGLE_ROW_TARGET_US:,.0f} | {verdict(median_us <= SINGLE_ROW_TARGET_US)} |",
            f"| predict_record p99 (us) | {p99_us:,.0f} | <= {SINGLE_ROW_TARGET_US:,.0f} "
            f"| {verdict(p99_us <= SINGLE_ROW_TARGET_US)} |",
            f"| predict_frame {BATCH_ROWS:,} rows, median of {len(batch_s)} (ms) "
            f"| {1e3 * float(np.median(batch_s)):,.1f} | | |",
            f"| predict_frame throughput (rows/s) | {rows_per_s:,.0f} "
            f"| >= {BATCH_TARGET_ROWS_PER_S:,.0f} "
            f"| {verdict(rows_per_s >= BATCH_TARGET_ROWS_PER_S)} |",
            f"| same, on CPU time (rows/s; far above wall = shared cores) "
            f"| {cpu_rows_per_s:,.0f} | | |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--params", help="JSON object overriding ModelParams fields")
    args = parser.parse_args(argv)
    params: ModelParams = parse_params(args.params)

    with tempfile.TemporaryDirectory() as workdir:
        path, origin = resolve_data(args.data, Path(workdir))
        frame, target = load_data(path)
    # One thread for every BLAS/OpenMP pool: a serving worker shares two cores.
    with threadpool_limits(limits=1):
        print(f"data: {path} ({origin}, {len(frame):,} rows)")
        print("threads: limited to 1 with threadpoolctl.threadpool_limits(limits=1)")
        # Other processes on a small machine move these figures: say how busy it was.
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average (1/5/15 min) {load}")
        print(f"ours: ModelParams({json.dumps(params.as_dict())})")
        started = time.perf_counter()
        model = fit_model(frame, target, params)
        fit_s = time.perf_counter() - started
        rows = scorable_rows(model, frame)
        single_us = time_single_row(model, rows)
        batch_s, batch_cpu_s = time_batch(model, rows)
        gap = paths_agree(model, rows)
    print()
    print(render_table(fit_s, single_us, batch_s, batch_cpu_s))
    print()
    print(f"predict_record vs predict_frame, largest relative gap on 500 rows: {gap:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
