"""What the pipeline of one stage points at, from the stage and the environment.

The names and ARN shapes are the contract's (`contract.resources`); this adds the
operator's overrides (argument, then environment variable, then the stage's default)
and makes no AWS call, so the definition prints offline.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from contract import environment as env_vars
from contract.resources import PLACEHOLDER_ACCOUNT, StageNames, StageTargets
from contract.settings import ConfigurationError
from training_pipeline.errors import PipelineError


def resolve_targets(
    stage: str, *, account: str | None = None, env: Mapping[str, str] | None = None
) -> StageTargets:
    """The stage's targets; PipelineError naming what is wrong (stage, region, a variable)."""
    env = os.environ if env is None else env
    try:
        return StageTargets.of(
            StageNames(stage),
            account=account or env_vars.ACCOUNT_ID.read(env) or PLACEHOLDER_ACCOUNT,
            region=env_vars.region_of(env),
            bucket=env_vars.BUCKET.read(env),
            role_arn=env_vars.SAGEMAKER_ROLE_ARN.read(env),
            image_uri=env_vars.TRAINING_IMAGE_URI.read(env),
        )
    except ConfigurationError as exc:
        raise PipelineError(str(exc)) from None
