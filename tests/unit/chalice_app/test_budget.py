"""A prediction's worst case, from the settings, inside each stage's Lambda timeout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalice_app.budget import (
    API_GATEWAY_LIMIT_SECONDS,
    backoff_seconds,
    batch_budget,
    call_seconds,
    check_prediction_budget,
    prediction_budget,
)
from chalice_app.config import CallLimits, load_aws_settings, load_settings
from contract.settings import ConfigurationError
from devtools.infra.stages import aws_stages

REPO_ROOT = Path(__file__).resolve().parents[3]
STAGES = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())["stages"]


@pytest.mark.parametrize("stage", aws_stages({"stages": STAGES}))
def test_a_prediction_ends_inside_the_lambda_timeout_which_ends_inside_api_gateway(
    stage: str,
) -> None:
    config = STAGES[stage]
    aws = load_aws_settings({**config["environment_variables"], "AWS_REGION": "us-east-1"})

    rows = load_settings(config["environment_variables"]).max_batch_rows
    for budget in (prediction_budget(aws), batch_budget(aws, rows)):
        print(f"{stage}: {budget.total:.1f} s ({budget.describe()})")
        assert budget.total <= config["lambda_timeout"] < API_GATEWAY_LIMIT_SECONDS


def test_the_worst_case_adds_every_try_and_every_backoff() -> None:
    # 3 tries of 1 + 2 s, and botocore's longest sleeps before the 2nd and 3rd: 1+5, 2+5
    assert call_seconds(CallLimits(1.0, 2.0, 3)) == 3 * 3.0 + 6.0 + 7.0
    assert call_seconds(CallLimits(1.0, 12.0, 1)) == 13.0


def test_settings_whose_prediction_could_outlast_api_gateway_are_refused() -> None:
    env = {"AWS_REGION": "us-east-1", "PVP_ENDPOINT_MAX_ATTEMPTS": "2"}  # today's old default

    with pytest.raises(ConfigurationError, match="PVP_ENDPOINT_TIMEOUT"):
        check_prediction_budget(load_aws_settings(env), 1000)


def test_a_batch_whose_worst_case_would_outlast_api_gateway_is_refused() -> None:
    aws = load_aws_settings({"AWS_REGION": "us-east-1", "PVP_BATCH_LOG_SECONDS": "8"})

    assert prediction_budget(aws).total < API_GATEWAY_LIMIT_SECONDS  # the single route fits
    with pytest.raises(ConfigurationError, match="/get_predictions could take"):
        check_prediction_budget(aws, 1000)
    check_prediction_budget(load_aws_settings({"AWS_REGION": "us-east-1"}), 1000)


@pytest.mark.parametrize("retry", [1, 2, 3, 4, 5, 6])
def test_the_backoff_bound_holds_botocore_s_own(retry: int) -> None:
    from botocore.awsrequest import AWSResponse
    from botocore.retries.standard import (
        ExponentialBackoff,
        RetryContext,
        RetryEventAdapter,
        ThrottlingErrorDetector,
    )

    # The longest botocore waits: the jitter at its top, a throttling error (the larger
    # base), and the service asking for far more time than botocore grants.
    backoff = ExponentialBackoff(
        random=lambda: 1.0, throttling_detector=ThrottlingErrorDetector(RetryEventAdapter())
    )
    context = RetryContext(
        attempt_number=retry,
        parsed_response={"Error": {"Code": "ThrottlingException"}},
        http_response=AWSResponse("https://x", 400, {"x-amz-retry-after": "3600000"}, None),
    )

    assert backoff.delay_amount(context) <= backoff_seconds(retry)
