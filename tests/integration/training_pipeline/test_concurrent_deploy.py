"""A serving process reading the deployed model while deploys and rollbacks happen."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import EXAMPLE_RECORD, REPO_ROOT, cli_env
from training_pipeline.model import ModelParams
from training_pipeline.registry import LocalRegistry
from training_pipeline.sample_data import make_sample
from training_pipeline.schema import TARGET
from training_pipeline.training import fit_model

RECORD = EXAMPLE_RECORD
SWITCHES = 40

# The reader: a tight loop of current() + predict_record until the stop file appears.
READER = """
import json, sys
from pathlib import Path
from training_pipeline.deployed import DeployedModelReader
home, stop = Path(sys.argv[1]), Path(sys.argv[2])
record, expected = json.loads(sys.argv[3]), json.loads(sys.argv[4])
reader = DeployedModelReader(home)
seen, errors, calls = {}, [], 0
print("ready", flush=True)
while not stop.exists():
    calls += 1
    try:
        version, model = reader.current()
        price = model.predict_record(record)
        if price != expected[version]:
            errors.append(f"{version} answered {price}, expected {expected[version]}")
        seen[version] = seen.get(version, 0) + 1
    except Exception as exc:
        errors.append(repr(exc))
final = reader.current()[0]
summary = {"seen": seen, "errors": errors[:5], "n_errors": len(errors), "calls": calls}
print(json.dumps({**summary, "final": final}))
"""


def test_a_reader_never_fails_while_versions_switch(tmp_path: Path) -> None:
    # GIVEN two accepted versions that price the same flat differently, v0001 deployed
    home, stop = tmp_path / "home", tmp_path / "stop"
    registry, expected = LocalRegistry(home), {}
    for seed in (1, 2):
        frame = make_sample(600, seed=seed)
        model = fit_model(
            frame,
            frame[TARGET],
            ModelParams(iterations=30, depth=4, range_folds=2, stack_iterations=50),
        )
        model.save(tmp_path / f"model{seed}")
        version = registry.register(
            tmp_path / f"model{seed}",
            run_id=f"run-{seed}",
            status="accepted",
            metrics={"mae": 1000.0},
            params={},
            fingerprints={},
        ).version
        expected[version] = model.predict_record(RECORD)
    assert expected["v0001"] != expected["v0002"]
    registry.deploy("v0001")

    # WHEN a separate process reads in a tight loop while we switch versions back and forth
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            READER,
            str(home),
            str(stop),
            json.dumps(RECORD),
            json.dumps(expected),
        ],
        cwd=REPO_ROOT,
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "ready"
        for switch in range(SWITCHES):
            if switch % 2 == 0:
                registry.deploy("v0002")
            else:
                registry.rollback("v0001")
            time.sleep(0.03)
        stop.touch()
        out, err = reader.communicate(timeout=60)
    finally:
        reader.kill()

    # THEN it never failed, saw both versions, and ends on the one deployed last
    assert reader.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["n_errors"] == 0, report["errors"]
    assert set(report["seen"]) == {"v0001", "v0002"}
    assert report["calls"] > SWITCHES
    assert report["final"] == registry.deployed_version() == "v0001"
