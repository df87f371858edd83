"""LocalRegistry and DeployedModelReader on a real SQLite file and real model files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from training_pipeline.deployed import POINTER_NAME, DeployedModelReader
from training_pipeline.errors import NoDeployedModelError, RegistryError
from training_pipeline.model import MODEL_FILENAME, PriceModel
from training_pipeline.registry import LocalRegistry

RECORD: dict[str, Any] = {
    "type": "casa",
    "sector": "la reina",
    "net_usable_area": 180.0,
    "net_area": 450.0,
    "n_rooms": 4.0,
    "n_bathroom": 3.0,
    "latitude": -33.445,
    "longitude": -70.545,
}


def _register(
    registry: LocalRegistry, model_dir: Path, status: str = "accepted", mae: float = 1000.0
) -> str:
    return registry.register(
        model_dir,
        run_id=f"run-{status}-{mae}",
        status=status,
        metrics={"mae": mae},
        params={"n_estimators": 120},
        fingerprints={"train": "ab12"},
    ).version


def test_versions_are_numbered_in_order(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)

    versions = [_register(registry, model_dir, mae=m) for m in (900.0, 800.0, 700.0)]

    assert versions == ["v0001", "v0002", "v0003"]
    assert [m.version for m in registry.list()] == versions
    stored = registry.get("v0002")
    assert stored.metrics == {"mae": 800.0}
    assert stored.params == {"n_estimators": 120}
    assert stored.fingerprints == {"train": "ab12"}
    assert stored.path == "models/v0002"
    assert (tmp_path / "models" / "v0002" / MODEL_FILENAME).is_file()


def test_registered_files_are_a_copy(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path / "home")
    version = _register(registry, model_dir)
    copied = tmp_path / "home" / "models" / version / MODEL_FILENAME

    assert copied.read_bytes() == (model_dir / MODEL_FILENAME).read_bytes()
    assert not copied.samefile(model_dir / MODEL_FILENAME)


def test_unknown_status_and_version_are_refused(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)

    with pytest.raises(RegistryError, match="status"):
        _register(registry, model_dir, status="great")
    with pytest.raises(RegistryError, match="v0042"):
        registry.get("v0042")
    assert registry.list() == []


def test_only_accepted_versions_deploy(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)
    accepted = _register(registry, model_dir)
    rejected = _register(registry, model_dir, status="rejected")
    registry.deploy(accepted)

    with pytest.raises(RegistryError, match=f"{rejected} is rejected"):
        registry.deploy(rejected)

    assert registry.deployed_version() == accepted


def test_nothing_is_deployed_at_first(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)
    _register(registry, model_dir)

    assert registry.deployed_version() is None
    assert registry.deployed_model() is None


def test_rollback_serves_an_earlier_version(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)
    first, second = _register(registry, model_dir), _register(registry, model_dir)
    registry.deploy(first)
    registry.deploy(second)

    registry.rollback(first)

    assert registry.deployed_version() == first
    pointer = json.loads((tmp_path / POINTER_NAME).read_text())
    assert pointer == {"version": first, "path": f"models/{first}"}
    deployed = registry.deployed_model()
    assert deployed is not None
    assert deployed[0] == first


def test_the_reader_raises_when_nothing_is_deployed(tmp_path: Path) -> None:
    reader = DeployedModelReader(tmp_path)

    with pytest.raises(NoDeployedModelError):
        reader.current()


def test_the_reader_follows_deployments(
    tmp_path: Path, model_dir: Path, small_model: PriceModel
) -> None:
    # GIVEN a reader created before anything was deployed
    registry = LocalRegistry(tmp_path)
    first, second = _register(registry, model_dir), _register(registry, model_dir)
    reader = DeployedModelReader(tmp_path)
    with pytest.raises(NoDeployedModelError):
        reader.current()

    # WHEN versions are deployed and rolled back, THEN the same reader follows each move
    registry.deploy(first)
    version, model = reader.current()
    assert version == first
    assert model.predict_record(RECORD) == small_model.predict_record(RECORD)
    assert reader.current()[1] is model  # unchanged pointer: no reload

    registry.deploy(second)
    assert reader.current()[0] == second

    registry.rollback(first)
    assert reader.current()[0] == first
