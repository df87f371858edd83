"""The words of a run: versions read the same from a model package as locally."""

from __future__ import annotations

import pytest

from contract import vocabulary as runs


def test_a_model_package_version_reads_like_a_local_version() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/property-value-regressor-dev/12"

    assert runs.version_of_package(arn) == "v0012"
    assert runs.model_version(1) == "v0001"
    with pytest.raises(ValueError):
        runs.version_of_package("arn:aws:sagemaker:us-east-1:1:model-package/unversioned")


def test_pipeline_steps_read_as_local_steps() -> None:
    assert runs.step_of("DeployCallback") == "deploy"
    assert runs.step_of("Accepted-RegisterModel") == "register"
    assert runs.step_of("SomethingNew") == "SomethingNew"
    assert runs.step_of(None) is None
    assert set(runs.PIPELINE_STEPS.values()) <= set(runs.STEPS)
