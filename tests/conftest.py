"""Fixtures every level shares: the synthetic sample and a home with a deployed model.

Both are made by the real CLI in a subprocess, once per session.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalice_app.config import AwsSettings
from devtools.infra.package import Package
from devtools.launch import RunningServer
from devtools.moto_stack import environ

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
QUICK_PARAMS = '{"iterations": 150, "range_folds": 3, "stack_iterations": 100}'


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


# The AWS backend without AWS: one moto_server and one model server per session, their
# logs under the session's temporary directory (scanned for keys at the end).
# The stage the Chalice test client and `chalice package` use: its configuration is
# .chalice/config.json's, as deployed.
TEST_STAGE = "dev"


def stage_environment(stage: str = TEST_STAGE) -> dict[str, str]:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    return dict(config["stages"][stage]["environment_variables"])


@pytest.fixture(scope="session")
def aws_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aws-logs")


@pytest.fixture(scope="session")
def moto_server(aws_logs: Path) -> Iterator[RunningServer]:
    from devtools.moto_stack import running_moto

    with running_moto(aws_logs / "moto_server.log") as server:
        yield server


@pytest.fixture(scope="session")
def model_server(trained_home: Path, aws_logs: Path) -> Iterator[RunningServer]:
    """The endpoint: the model trained by the training step, named as the stage's."""
    from contract.resources import StageNames
    from devtools.moto_stack import running_model_server

    with running_model_server(
        trained_home / "models" / "v0001",
        aws_logs / "model_server.log",
        endpoint_name=StageNames(TEST_STAGE).endpoint,
        version="v0001",
    ) as server:
        yield server


@dataclass(frozen=True)
class AwsStack:
    """A stage provisioned on the session's moto_server, its model on the model server."""

    env: dict[str, str]  # what an API process needs to run the AWS backend on it
    settings: AwsSettings
    key: str


@pytest.fixture(scope="session")
def aws_stack(
    moto_server: RunningServer, model_server: RunningServer, sample_dir: Path, trained_home: Path
) -> AwsStack:
    from chalice_app.config import load_aws_settings
    from devtools.moto_resources import deploy_clients, provision
    from devtools.moto_stack import aws_env
    from tests.secrets_watch import new_key

    env = aws_env(moto_server, model_server, **stage_environment())
    settings = load_aws_settings(env)
    key = new_key()
    with environ(env):  # botocore reads the endpoint variables when it builds a client
        model_dir = trained_home / "models" / "v0001"
        version = provision(
            deploy_clients(settings), settings, key=key, sample=sample_dir, model_dir=model_dir
        )
    assert version == "v0001"  # what the model server reports
    return AwsStack(env, settings, key)


@pytest.fixture(scope="session")
def dev_package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    """`make package STAGE=dev` into the session's directory (the real chalice package)."""
    from devtools.infra.package import build

    return build(TEST_STAGE, tmp_path_factory.mktemp("package") / TEST_STAGE)


def logged_predictions(stack: AwsStack) -> dict[str, dict[str, Any]]:
    """Every item of the stage's prediction table, by prediction id (a Scan: tests only)."""
    import boto3

    from chalice_app.aws.prediction_log import from_log

    with environ(stack.env):
        client = boto3.session.Session().client("dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=stack.settings.prediction_table)
    items = [from_log(item) for page in pages for item in page["Items"]]
    return {item["prediction_id"]: item for item in items}


# No API key in any output: every test's captured output and every log file the
# session's servers wrote (all under its temporary directory) is read at the end for
# each key the suite issued (tests/secrets_watch.py). A leak fails the run.
_captured: list[str] = []
_basetemp: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    from tests.secrets_watch import SHARED_DIRECTORY

    # The controlling process (alone, or pytest-xdist's controller): its workers inherit
    # the directory and leave their keys and log directories there.
    if not hasattr(config, "workerinput"):
        os.environ[SHARED_DIRECTORY] = tempfile.mkdtemp(prefix="pvp-secrets-watch-")


@pytest.fixture(autouse=True, scope="session")
def _remember_basetemp(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.secrets_watch import share

    _basetemp.append(tmp_path_factory.getbasetemp())
    share("basetemps", str(tmp_path_factory.getbasetemp()))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under pytest-xdist the controller receives every worker's reports, sections included.
    _captured.extend(text for _, text in report.sections)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.secrets_watch import SHARED_DIRECTORY, issued, leaks, shared

    if hasattr(session.config, "workerinput"):
        return  # the controller checks the whole run
    keys = issued()
    sources = [("captured test output", "\n".join(_captured))]
    for base in sorted({*_basetemp, *map(Path, shared("basetemps"))}):
        sources += [(str(p), p.read_text(errors="replace")) for p in sorted(base.rglob("*.log"))]
    found = [f"{where}: {leak}" for where, text in sources for leak in leaks(text, keys)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        message = "API keys found in output:\n  " + "\n  ".join(found)
    else:
        message = f"no API key in output: {len(keys)} keys, {len(sources)} sources checked"
    if reporter is not None:
        reporter.write_line(message)
    shutil.rmtree(os.environ[SHARED_DIRECTORY], ignore_errors=True)
