"""The serving side of a deploy: models that cannot be loaded are refused, not served."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import deploy_copy, unloadable_model_files
from training_pipeline.deployed import DeployedModelReader
from training_pipeline.errors import ModelLoadError
from training_pipeline.model import MODEL_FILENAME
from training_pipeline.registry import LocalRegistry

KINDS = sorted(unloadable_model_files(b""))


def _bad(model_dir: Path, kind: str) -> bytes:
    return unloadable_model_files((model_dir / MODEL_FILENAME).read_bytes())[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unloadable_model_is_refused_with_a_reason_and_no_path(
    tmp_path: Path, model_dir: Path, kind: str
) -> None:
    version = deploy_copy(tmp_path, model_dir, _bad(model_dir, kind))
    reader = DeployedModelReader(tmp_path)
    with pytest.raises(ModelLoadError) as caught:
        reader.current()
    message = str(caught.value)
    assert message.startswith(f"deployed model {version} cannot be loaded: ")
    assert str(tmp_path) not in message and "site-packages" not in message


def test_the_last_good_model_serves_until_a_good_one_replaces_a_bad_one(
    tmp_path: Path, model_dir: Path
) -> None:
    now = [0.0]
    reader = DeployedModelReader(tmp_path, clock=lambda: now[0])
    good = deploy_copy(tmp_path, model_dir)
    assert reader.current()[0] == good and reader.failure is None
    # WHEN a deploy cannot be loaded, THEN the good one keeps serving and the reader says why
    bad = deploy_copy(tmp_path, model_dir, _bad(model_dir, "truncated"))
    assert reader.current()[0] == good
    assert reader.failure is not None and reader.failure.version == bad
    # (and a retry later still refuses it, still serving the good one)
    now[0] += 60
    assert reader.current()[0] == good and reader.failure is not None
    # WHEN a good version is deployed, THEN it serves and nothing is wrong any more
    newer = deploy_copy(tmp_path, model_dir)
    assert reader.current()[0] == newer and reader.failure is None


def test_an_unreadable_pointer_keeps_the_model_serving(tmp_path: Path, model_dir: Path) -> None:
    registry = LocalRegistry(tmp_path)
    good = deploy_copy(tmp_path, model_dir)
    reader = DeployedModelReader(tmp_path)
    reader.current()
    registry.pointer.write_text("{half a poin")
    assert reader.current()[0] == good
    assert reader.failure is not None and "pointer" in str(reader.failure)


def test_a_fresh_reader_after_a_bad_deploy_serves_the_last_good_version(
    tmp_path: Path, model_dir: Path
) -> None:
    older = deploy_copy(tmp_path, model_dir)
    good = deploy_copy(tmp_path, model_dir)
    deploy_copy(tmp_path, model_dir, _bad(model_dir, "truncated"))
    assert older != good
    # A process started now never held `good`, yet serves it, not the older one.
    reader = DeployedModelReader(tmp_path)
    assert reader.current()[0] == good and reader.failure is not None
