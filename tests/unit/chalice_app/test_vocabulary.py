"""The AWS backend speaks the local backend's words: statuses, fields, steps, versions."""

from __future__ import annotations

import dataclasses

import pytest

from chalice_app import vocabulary
from chalice_app.aws.runs import RUN_FIELDS


def test_the_words_are_the_local_backend_s() -> None:
    from training_pipeline import runner, runs

    assert vocabulary.RUN_STATUSES == runs.RUN_STATUSES
    # The process id is the local launcher's bookkeeping, never shown.
    fields = tuple(f.name for f in dataclasses.fields(runs.RunRecord) if f.name != "pid")
    assert fields == vocabulary.RUN_VIEW_FIELDS
    assert set(vocabulary.RUN_VIEW_FIELDS) <= set(RUN_FIELDS)
    assert vocabulary.STEPS == runner.STEPS
    assert set(vocabulary.PIPELINE_STEPS.values()) <= set(runner.STEPS)


def test_a_model_package_version_reads_like_a_local_version() -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/property-value-regressor-dev/12"

    assert vocabulary.version_of_package(arn) == "v0012"
    assert vocabulary.model_version(1) == "v0001"
    with pytest.raises(ValueError):
        vocabulary.version_of_package("arn:aws:sagemaker:us-east-1:1:model-package/unversioned")


def test_pipeline_steps_read_as_local_steps() -> None:
    assert vocabulary.step_of("DeployCallback") == "deploy"
    assert vocabulary.step_of("Accepted-RegisterModel") == "register"
    assert vocabulary.step_of("SomethingNew") == "SomethingNew"
    assert vocabulary.step_of(None) is None
