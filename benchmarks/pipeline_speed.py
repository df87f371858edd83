"""Wall time of one whole local training run (CLI subprocess) on the real data.

`python -m benchmarks.pipeline_speed [--data PATH]`: splits the data 80/20 into a
temporary directory (never inside the repo), runs `python -m training_pipeline run`
in a fresh PVP_HOME and prints the time. Target: <= 60 s on the real train.csv.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.paths import REAL_DATA, REPO_ROOT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REAL_DATA)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"no data at {args.data}; pass --data", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        frame = pd.read_csv(args.data).sample(frac=1.0, random_state=0)
        cut = int(len(frame) * 0.8)
        frame.iloc[:cut].to_csv(root / "train.csv", index=False)
        frame.iloc[cut:].to_csv(root / "validation.csv", index=False)
        env = dict(os.environ, PVP_HOME=str(root / "home"), OMP_NUM_THREADS="1")
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "training_pipeline",
                "run",
                "--train",
                str(root / "train.csv"),
                "--validation",
                str(root / "validation.csv"),
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
    print(result.stdout)
    print("| measure | value | target |\n| --- | --- | --- |")
    print(
        f"| whole local pipeline, {len(frame):,} rows ({cut:,} train) | {elapsed:.1f} s | <= 60 s |"
    )
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
