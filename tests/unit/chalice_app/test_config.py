from __future__ import annotations

from pathlib import Path

import pytest

from chalice_app.config import load_local_settings, load_settings
from contract.settings import ConfigurationError


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.backend == "local"
    assert settings.max_body_bytes == 64 * 1024
    assert settings.key_refresh_seconds == 5.0
    assert (settings.max_batch_rows, settings.max_batch_body_bytes) == (1000, 1024 * 1024)


def test_the_server_admits_the_largest_body_any_route_takes() -> None:
    from contract.environment import server_body_limit

    assert server_body_limit({}) == 1024 * 1024
    assert server_body_limit({"PVP_MAX_BODY_BYTES": str(2 * 1024 * 1024)}) == 2 * 1024 * 1024
    with pytest.raises(ConfigurationError, match="PVP_MAX_BATCH_BODY_BYTES"):
        server_body_limit({"PVP_MAX_BATCH_BODY_BYTES": "big"})


def test_local_state_lives_under_home(tmp_path: Path) -> None:
    local = load_local_settings({"PVP_HOME": str(tmp_path)})
    assert local.home == tmp_path.resolve()
    assert local.key_file == local.home / "api-keys.json"
    assert local.prediction_log_path == local.home / "predictions.sqlite"
    assert local.train_path == str(local.home / "sample" / "train.csv")
    assert local.data_dirs == (local.home / "data", local.home / "sample")
    assert local.max_training_runs == 1


def test_data_area_and_run_limit_are_configurable(tmp_path: Path) -> None:
    env = {
        "PVP_HOME": str(tmp_path),
        "PVP_DATA_DIRS": "/srv/a:/srv/b",
        "PVP_MAX_TRAINING_RUNS": "3",
    }
    local = load_local_settings(env)
    assert local.data_dirs == (Path("/srv/a"), Path("/srv/b"))
    assert local.max_training_runs == 3


@pytest.mark.parametrize(
    "env",
    [
        {"PVP_BACKEND": "gcp"},
        {"PVP_KEY_REFRESH_SECONDS": "soon"},
        {"PVP_MAX_BODY_BYTES": "-1"},
        {"PVP_MAX_BATCH_ROWS": "0"},
        {"PVP_MAX_BATCH_ROWS": "10001"},  # more than the model server scores in one call
        {"PVP_MAX_BATCH_BODY_BYTES": str(6 * 1024 * 1024)},  # over Lambda's 6 MB payload
    ],
)
def test_bad_configuration_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        load_settings(env)


AWS_ENV = {"AWS_REGION": "us-east-1", "PVP_BUCKET": "pvp-data"}


def test_aws_names_carry_the_stage_and_each_can_be_overridden() -> None:
    from chalice_app.config import load_aws_settings

    dev = load_aws_settings(AWS_ENV)
    assert dev.stage == "dev"
    assert dev.secret_name == "property-value-predictor-api-keys-dev"
    assert dev.prediction_table == "inference-results-logging-table-dev"
    assert dev.run_table == "training-pipeline-results-dev"
    assert dev.pipeline_name == "property-evaluator-training-dev"
    assert dev.endpoint_name == "property-value-regressor-serverless-endpoint-dev"
    assert dev.train_uri == "s3://pvp-data/data/training_data/train.csv"
    assert dev.validation_uri == "s3://pvp-data/data/validation_data/test.csv"
    prd = load_aws_settings({**AWS_ENV, "PVP_STAGE": "prd", "PVP_RUN_TABLE": "runs"})
    assert prd.endpoint_name.endswith("-prd") and prd.run_table == "runs"
    # Any short lower-case stage works, and names its own bucket unless told otherwise.
    mine = load_aws_settings({"AWS_REGION": "us-east-1", "PVP_STAGE": "ana-42"})
    assert mine.bucket == "property-value-predictor-data-ana-42"
    assert load_aws_settings(AWS_ENV, stage="stg").stage == "stg"  # an operator's --stage


@pytest.mark.parametrize(
    "change",
    [
        {"AWS_REGION": ""},
        {"PVP_BUCKET": "Not_A_Bucket"},
        {"PVP_STAGE": "Prod Stage"},
        {"PVP_AWS_MAX_ATTEMPTS": "0"},
        {"PVP_ENDPOINT_TIMEOUT": "fast"},
    ],
)
def test_bad_aws_configuration_is_refused(change: dict[str, str]) -> None:
    from chalice_app.config import load_aws_settings

    with pytest.raises(ConfigurationError):
        load_aws_settings({**AWS_ENV, **change})


def test_deploy_settings_take_one_value_each_and_refuse_what_sagemaker_would() -> None:
    from chalice_app.config import load_deploy_settings

    settings = load_deploy_settings({"PVP_ENDPOINT_MEMORY_MB": "4096"})
    assert (settings.memory_mb, settings.max_concurrency, settings.keep) == (4096, 5, 3)
    for bad in (
        {"PVP_ENDPOINT_MEMORY_MB": "1500"},
        {"PVP_ENDPOINT_MAX_CONCURRENCY": "201"},
        {"PVP_DEPLOY_KEEP": "1"},
    ):
        with pytest.raises(ConfigurationError, match=next(iter(bad))):
            load_deploy_settings(bad)
