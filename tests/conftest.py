"""Fixtures every level shares: the synthetic sample and a home with a deployed model.

Both are made by the real CLI in a subprocess, once per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# One flat in Providencia, in the model's own column names.
EXAMPLE_RECORD = {
    "type": "departamento",
    "sector": "providencia",
    "net_usable_area": 70.0,
    "net_area": 80.0,
    "n_rooms": 2.0,
    "n_bathroom": 2.0,
    "latitude": -33.43,
    "longitude": -70.61,
}
# Model parameters for every training run a test starts (CLI, runner, the API's
# launcher, through $PVP_MODEL_PARAMS): a real model fitted in about a second instead of
# the production settings' ten; tests check behaviour, not accuracy.
QUICK_PARAMS = '{"iterations": 150, "range_folds": 3}'


def cli_env(home: Path) -> dict[str, str]:
    """Environment for a CLI subprocess: its own PVP_HOME, one OpenMP thread."""
    env = dict(os.environ)
    env.update(PVP_HOME=str(home), OMP_NUM_THREADS="1", PYTHONPATH=str(REPO_ROOT))
    return env


def run_cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "training_pipeline", *args],
        cwd=REPO_ROOT,
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"CLI {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    run_cli(out, "sample-data", "--out", str(out), "--rows", "2000")
    return out


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A PVP_HOME with one accepted, deployed model. Treat as read-only."""
    home = tmp_path_factory.mktemp("home")
    run_cli(
        home,
        "run",
        "--train",
        str(sample_dir / "train.csv"),
        "--validation",
        str(sample_dir / "test.csv"),
    )
    return home


@pytest.fixture(autouse=True, scope="session")
def _quick_training() -> Iterator[None]:
    # In os.environ, so that servers and launchers the tests start pass it on too.
    saved = os.environ.get("PVP_MODEL_PARAMS")
    os.environ["PVP_MODEL_PARAMS"] = QUICK_PARAMS
    yield
    if saved is None:
        del os.environ["PVP_MODEL_PARAMS"]
    else:
        os.environ["PVP_MODEL_PARAMS"] = saved


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> Iterator[None]:
    # Two cores: scikit-learn's OpenMP threads fight the servers the tests start.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
