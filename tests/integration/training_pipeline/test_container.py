"""The image's entry points as SageMaker runs them, as plain processes.

Docker cannot run here, so each program on the image's PATH (training_pipeline/
container/bin) runs with its /opt/ml root moved to a temporary directory
(PVP_OPT_ML), laid out the way SageMaker mounts a training or processing job.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contract.environment import MODEL_VERSION, OPT_ML
from contract.resources import NO_CHAMPION_MARKER
from devtools.moto_stack import running_server
from tests.conftest import EXAMPLE_RECORD, REPO_ROOT, cli_env
from tests.dockerfiles import hadolint_output, ignore_rules
from tests.http_json import JSON_HEADERS, request_json
from training_pipeline.container.layout import OptMl
from training_pipeline.model import pack_model

BIN = REPO_ROOT / "training_pipeline" / "container" / "bin"
DOCKERFILE = REPO_ROOT / "training_pipeline" / "Dockerfile"


def _program(name: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run an image program by name from its PATH, with python being this interpreter."""
    env = cli_env(root)
    path = os.pathsep.join([str(BIN), str(Path(sys.executable).parent), env["PATH"]])
    env.update({OPT_ML.name: str(root), "PATH": path})
    return subprocess.run(
        [name, *args], env=env, cwd=root, capture_output=True, text=True, timeout=300
    )


def _training_job(root: Path, sample_dir: Path, hyperparameters: dict[str, str]) -> OptMl:
    paths = OptMl(root)
    paths.channel("train").mkdir(parents=True)
    shutil.copy(sample_dir / "train.csv", paths.channel("train") / "train.csv")
    paths.hyperparameters.parent.mkdir(parents=True)
    paths.hyperparameters.write_text(json.dumps(hyperparameters))
    return paths


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> OptMl:
    """/opt/ml after `train` with hyperparameters as SageMaker writes them: strings."""
    paths = _training_job(
        tmp_path_factory.mktemp("opt_ml"), sample_dir, {"iterations": "20", "depth": "4"}
    )
    result = _program("train", paths.root)
    assert result.returncode == 0, result.stderr
    return paths


def test_train_maps_hyperparameters_onto_the_step_flags(trained: OptMl) -> None:
    params = json.loads((trained.model / "params.json").read_text())

    assert (trained.model / "model.joblib").is_file()
    assert params["iterations"] == 20
    assert params["depth"] == 4
    assert not trained.training_failure.exists()


def test_train_leaves_the_profile_beside_the_model_so_model_tar_gz_carries_it(
    trained: OptMl, tmp_path: Path
) -> None:
    from training_pipeline.model import load_model, pack_model
    from training_pipeline.profile import profile_in_archive, read_profile

    archive = tmp_path / "model.tar.gz"
    pack_model(trained.model, archive)  # what SageMaker does with /opt/ml/model
    profile = profile_in_archive(archive.read_bytes())
    assert profile is not None and profile == read_profile(trained.model)
    assert profile.rows == 1600
    # The model itself is untouched: the archive still loads as before.
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    (unpacked / "model.tar.gz").write_bytes(archive.read_bytes())
    assert load_model(unpacked).known_categories()["type"] == ["casa", "departamento"]


@pytest.mark.parametrize(
    ("hyperparameters", "reason"),
    [
        ({"iterations": "many"}, "argument --iterations: invalid int value: 'many'"),
        ({"trees": "5"}, "unrecognized arguments: --trees 5"),
    ],
)
def test_train_writes_why_it_failed_where_sagemaker_reads_it(
    tmp_path: Path, sample_dir: Path, hyperparameters: dict[str, str], reason: str
) -> None:
    paths = _training_job(tmp_path, sample_dir, hyperparameters)

    result = _program("train", paths.root)

    assert result.returncode == 1
    assert reason in paths.training_failure.read_text()
    assert not (paths.model / "model.joblib").exists()


def _processing_job(root: Path, trained: OptMl, sample_dir: Path, champion: Path | None) -> OptMl:
    """The evaluate job's inputs: the training job's model.tar.gz, champion, validation."""
    paths = OptMl(root)
    for name in ("model", "champion", "validation"):
        paths.processing(name).mkdir(parents=True)
    pack_model(trained.model, paths.processing("model") / "model.tar.gz")
    if champion is None:
        (paths.processing("champion") / NO_CHAMPION_MARKER).write_text("first run")
    else:
        shutil.copy(champion, paths.processing("champion") / champion.name)
    shutil.copy(sample_dir / "test.csv", paths.processing("validation") / "test.csv")
    return paths


@pytest.mark.slow
def test_evaluate_judges_against_the_champion_in_the_processing_layout(
    trained: OptMl, trained_home: Path, sample_dir: Path, tmp_path: Path
) -> None:
    # GIVEN the deployed v0001 as the champion's model.tar.gz, as the registry would hold it
    champion_tar = tmp_path / "model.tar.gz"
    pack_model(trained_home / "models" / "v0001", champion_tar)
    paths = _processing_job(tmp_path / "opt_ml", trained, sample_dir, champion_tar)

    # WHEN the processing job's entrypoint runs with the definition's arguments
    result = _program("evaluate", paths.root, "--max-mae", "1e9", "--champion-version", "v0001")

    # THEN evaluation.json holds both metric sets and the decision, and the report is drawn
    assert result.returncode == 0, result.stderr
    evaluation = json.loads((paths.processing("evaluation") / "evaluation.json").read_text())
    assert evaluation["champion"]["version"] == "v0001"
    assert evaluation["gate"]["threshold"] == 1e9
    assert evaluation["gate"]["challenger"] == evaluation["metrics"]["mae"]
    assert evaluation["gate"]["champion"] == evaluation["champion"]["metrics"]["mae"]
    assert (paths.processing("evaluation") / "report.png").is_file()


@pytest.mark.slow
def test_evaluate_without_a_champion_and_its_failure_message(
    trained: OptMl, sample_dir: Path, tmp_path: Path
) -> None:
    paths = _processing_job(tmp_path / "first", trained, sample_dir, champion=None)

    first = _program("evaluate", paths.root, "--max-mae", "3500")

    assert first.returncode == 0, first.stderr
    evaluation = json.loads((paths.processing("evaluation") / "evaluation.json").read_text())
    assert evaluation["champion"] is None
    assert evaluation["gate"]["accepted"] is True

    # WHEN the validation input is missing THEN the job fails saying so in its ExitMessage
    shutil.rmtree(paths.processing("validation"))
    broken = _program("evaluate", paths.root)
    assert broken.returncode == 1
    assert "validation" in paths.processing_message.read_text()


def test_serve_execs_the_model_server_on_the_model_directory(tmp_path: Path) -> None:
    # GIVEN a `python` that records its arguments
    stub_bin, seen = tmp_path / "bin", tmp_path / "argv.txt"
    stub_bin.mkdir()
    (stub_bin / "python").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}\n')
    (stub_bin / "python").chmod(0o755)
    env = {"PATH": os.pathsep.join([str(BIN), str(stub_bin), "/usr/bin:/bin"])}

    # WHEN SageMaker's `serve` runs with the /opt/ml root moved
    result = subprocess.run(
        ["serve"], env={**env, OPT_ML.name: str(tmp_path)}, capture_output=True, timeout=30
    )

    # THEN it hands over to the model server on 0.0.0.0:8080 with the job's model directory
    assert result.returncode == 0, result.stderr
    assert seen.read_text().splitlines() == [
        "-m",
        "training_pipeline.model_server",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
        "--model-dir",
        f"{tmp_path}/model",
    ]


def test_serve_answers_ping_and_invocations_as_a_plain_process(
    trained_home: Path, tmp_path: Path
) -> None:
    # GIVEN /opt/ml/model as SageMaker unpacks a model.tar.gz for an endpoint
    paths = OptMl(tmp_path / "opt_ml")
    shutil.copytree(trained_home / "models" / "v0001", paths.model)
    env = cli_env(tmp_path)
    path = os.pathsep.join([str(BIN), str(Path(sys.executable).parent), env["PATH"]])
    env.update({OPT_ML.name: str(paths.root), "PATH": path, MODEL_VERSION.name: "v0001"})

    # WHEN SageMaker's `serve` runs (here on loopback: its flags come after the image's)
    with running_server(
        ["--host", "127.0.0.1"], tmp_path / "serve.log", env=env, timeout=60, program="serve"
    ) as server:
        ping = request_json(server, "GET", "/ping")
        answer = request_json(
            server, "POST", "/invocations", json.dumps(EXAMPLE_RECORD).encode(), JSON_HEADERS
        )
        # exec: the server is the process SageMaker started, so SIGTERM reaches it
        command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")

    # THEN it answers the container contract with the trained model
    assert ping == (200, {"status": "ok", "model_version": "v0001"})
    status, body = answer
    assert status == 200 and body["model_version"] == "v0001"
    (prediction,) = body["predictions"]
    assert prediction["value"] > 0
    assert b"training_pipeline.model_server" in command
    # gunicorn stops gracefully on SageMaker's SIGTERM (exit 0), not killed after a wait
    assert server.process.returncode == 0


def test_every_image_program_is_executable_and_runs_a_module_that_exists() -> None:
    for program in ("train", "evaluate", "serve"):
        path = BIN / program
        assert os.access(path, os.X_OK), f"{path} is not executable"
        module = path.read_text().split("python -m ", 1)[1].split()[0]
        assert (REPO_ROOT / (module.replace(".", "/") + ".py")).is_file(), module


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    code, findings = hadolint_output(DOCKERFILE)
    assert code == 0, findings


def test_the_dockerfile_puts_the_programs_on_path_and_installs_only_the_step_pins() -> None:
    text = DOCKERFILE.read_text()

    # Python 3.11 (the pins'), by digest when `make deploy` builds it (a build argument).
    assert "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}" in text
    assert "PATH=/opt/program/training_pipeline/container/bin:$PATH" in text
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs == ["RUN pip install --no-cache-dir -r training_pipeline/requirements.txt"]
    # The build context is an allow-list: the training package and the contract it
    # imports, and what the analytics jobs run (the log's adapters, the operator CLI).
    assert ignore_rules(DOCKERFILE)[:5] == [
        "**",
        "!contract/",
        "!training_pipeline/",
        "!chalice_app/",
        "!ops/",
    ]
