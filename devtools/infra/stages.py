"""The stages `.chalice/config.json` declares, and what a deploy sets per stage beyond it.

Chalice's config holds what Chalice deploys (timeouts, memory, reserved concurrency,
tracing, tags, log retention, environment). What Chalice cannot express (API Gateway's
throttling, the tables' deletion protection, whether the stage has the ECS front and its
size) is a parameter of the templates, set here per stage; a stage not named here (a
personal one) gets `StageSettings()`: Lambda-only, like dev.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.environment import BACKEND, BACKEND_AWS, STAGE

REPO_ROOT = Path(__file__).resolve().parents[2]
CHALICE_CONFIG = REPO_ROOT / ".chalice" / "config.json"


@dataclass(frozen=True)
class StageSettings:
    # API Gateway's stage throttle (requests per second, and the bucket above it): a
    # flood of bad keys is refused by API Gateway (429) before it costs a Lambda call.
    throttle_rate: int = 10
    throttle_burst: int = 20
    # DynamoDB refuses to delete a protected table, CloudFormation included.
    deletion_protection: bool = False
    # Days CloudWatch keeps the API's access log (and, with the ECS front, the tasks').
    access_log_days: int = 14
    # The second front: the ECS proxy behind the internal ALB, in the stage's VPC
    # (infra/network.yaml, infra/ecs.yaml), with the test invoker in that VPC calling the
    # ALB. Off, the stage is Lambda-only and the invoker calls API Gateway.
    ecs_front: bool = False
    # The ECS service's tasks, each with Fargate's CPU units and memory (MiB).
    ecs_tasks: int = 1
    ecs_cpu: int = 512
    ecs_memory: int = 1024

    def parameters(self) -> dict[str, str]:
        """The data and functions stacks' parameters these settings fill."""
        return {
            "ThrottleRate": str(self.throttle_rate),
            "ThrottleBurst": str(self.throttle_burst),
            "DeletionProtection": str(self.deletion_protection).lower(),
            "AccessLogDays": str(self.access_log_days),
            "EcsFront": str(self.ecs_front).lower(),
        }

    def ecs_parameters(self) -> dict[str, str]:
        """The ECS stack's size and log retention (infra/ecs.yaml)."""
        return {
            "DesiredCount": str(self.ecs_tasks),
            "TaskCpu": str(self.ecs_cpu),
            "TaskMemory": str(self.ecs_memory),
            "LogDays": str(self.access_log_days),
        }


# stg has prd's fronts, so the pipeline's smoke test goes through the ALB before prd
# does; one task there, two on prd (one per AZ, so a zone can fail).
SETTINGS: dict[str, StageSettings] = {
    "dev": StageSettings(),
    "stg": StageSettings(
        throttle_rate=20, throttle_burst=40, access_log_days=30, ecs_front=True, ecs_tasks=1
    ),
    "prd": StageSettings(
        throttle_rate=100,
        throttle_burst=200,
        deletion_protection=True,
        access_log_days=90,
        ecs_front=True,
        ecs_tasks=2,
    ),
}


def settings_of(stage: str) -> StageSettings:
    return SETTINGS.get(stage, StageSettings())


def chalice_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    return loaded


def aws_stages(config: dict[str, Any] | None = None) -> list[str]:
    """The stages of `.chalice/config.json` that run the AWS backend (deployable ones)."""
    stages = (config or chalice_config())["stages"]
    return [
        name
        for name, stage in stages.items()
        if stage.get("environment_variables", {}).get(BACKEND.name) == BACKEND_AWS
        and stage["environment_variables"].get(STAGE.name) == name
    ]
