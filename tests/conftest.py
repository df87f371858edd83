"""Fixtures every level shares: the synthetic sample and a home with a deployed model.

Both are made by the real CLI in a subprocess, once per session.
"""

from __future__ import annotations

import os
import random
import shutil
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
# The same flat as an API request body (the old system's field names).
EXAMPLE_REQUEST = {
    "Type": "departamento",
    "Sector": "providencia",
    "NetUsableArea": 70.0,
    "NetArea": 80.0,
    "NRooms": 2,
    "NBathroom": 2,
    "Latitude": -33.43,
    "Longitude": -70.61,
}


def unloadable_model_files(good: bytes) -> dict[str, bytes]:
    """Model files a server may meet after a bad copy, a bad disk or a library upgrade."""

    def pickled_reference(module: str, name: str) -> bytes:
        # Protocol 2: GLOBAL module.name, an empty tuple, NEWOBJ: an instance of that class.
        return b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")\x81."

    return {
        "truncated": good[: len(good) // 2],
        "random bytes": random.Random(7).randbytes(4096),
        "another format": b'{"model": "not a pickle"}',
        "a module this server lacks": pickled_reference("sklearn_legacy.ensemble", "Forest"),
        "a class this library lacks": pickled_reference("sklearn.ensemble", "OldRegressor"),
    }


def deploy_copy(home: Path, model_dir: Path, content: bytes | None = None) -> str:
    """Register and deploy a copy of a model directory, its model file replaced if given."""
    from training_pipeline.model import MODEL_FILENAME
    from training_pipeline.registry import LocalRegistry

    registry = LocalRegistry(home)
    source = home / "staging-model"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(model_dir, source)
    if content is not None:
        (source / MODEL_FILENAME).write_bytes(content)
    version = registry.register(
        source, run_id="run-test", status="accepted", metrics={}, params={}, fingerprints={}
    ).version
    registry.deploy(version)
    shutil.rmtree(source)
    return version


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
def _one_thread() -> Iterator[None]:
    # Two cores: scikit-learn's OpenMP threads fight the servers the tests start.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
