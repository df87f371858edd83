"""What a stage's templates make that costs money while nothing happens, counted.

Read from the templates themselves (infra/*.yaml), with the stage's parameters and
conditions (`cfn.existing`), so a resource added to or dropped from a template changes
the count and the cost with it. Types that cost nothing at rest (roles, groups, subnets,
gateway endpoints, log groups, the cluster, the topic) are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.resources import StageNames
from devtools.infra.cfn import Template, existing, load, parameter_values
from devtools.infra.stages import StageSettings

ECS_LOGS = {"Fn::Sub": StageNames.template().ecs_log_group}
# What a placeholder image parameter holds: the ECS stack's size does not depend on it.
_IMAGE = "image@sha256:" + "0" * 64


@dataclass(frozen=True)
class Stack:
    """A template as deployed: its file and the parameters a stage gives it."""

    template: str
    parameters: dict[str, str]


def stacks(stage: str, settings: StageSettings) -> list[Stack]:
    """The infra/ stacks `make deploy` deploys for this stage (the functions' stack is
    Chalice's and priced from .chalice/config.json instead)."""
    deployed = [
        Stack("data.yaml", {"Stage": stage, **_only(settings.parameters(), "DeletionProtection")}),
        Stack("alarms.yaml", {"Stage": stage, **_only(settings.parameters(), "EcsFront")}),
        Stack("analytics.yaml", {"Stage": stage, "AlarmTopicArn": ""}),
    ]
    if settings.ecs_front:
        deployed += front_stacks(stage, settings)
    return deployed


def front_stacks(stage: str, settings: StageSettings) -> list[Stack]:
    """The network and ECS stacks of a stage with the ECS front."""
    images = {"ProxyImage": _IMAGE, "LogRouterImage": _IMAGE}
    return [
        Stack("network.yaml", {"Stage": stage}),
        Stack("ecs.yaml", {"Stage": stage, **images, **settings.ecs_parameters()}),
    ]


def _only(parameters: Mapping[str, str], *names: str) -> dict[str, str]:
    return {name: parameters[name] for name in names}


@dataclass(frozen=True)
class Inventory:
    """The priced things of a set of stacks, each a count (per month where it says)."""

    interface_endpoint_azs: int = 0  # interface endpoints x the AZs (subnets) each is in
    load_balancers: int = 0
    fargate_vcpus: float = 0.0  # of the tasks a service keeps running
    fargate_gb: float = 0.0
    kms_keys: int = 0
    alarm_metrics: int = 0  # every metric an alarm reads (a metric math alarm reads many)
    dashboards: int = 0
    secrets: int = 0
    tables: int = 0
    tables_with_pitr: int = 0
    buckets: int = 0
    ecs_log_days: int = 0  # the tasks' log retention (0: no ECS front)

    def __add__(self, other: Inventory) -> Inventory:
        return Inventory(
            **{
                name: max(getattr(self, name), getattr(other, name))
                if name == "ecs_log_days"
                else getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


def _value(value: Any, parameters: Mapping[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    return value


def count(template: Template, given: Mapping[str, str]) -> Inventory:
    """The priced things `template` makes with these parameters."""
    parameters = parameter_values(template, dict(given))
    resources = existing(template, parameters)
    found: Counter[str] = Counter()
    vcpus = gigabytes = 0.0
    log_days = 0
    for body in resources.values():
        kind, properties = body["Type"], body.get("Properties", {})
        if kind == "AWS::EC2::VPCEndpoint" and properties.get("VpcEndpointType") == "Interface":
            subnets = properties["SubnetIds"]
            if not isinstance(subnets, list):
                raise ValueError("an interface endpoint's SubnetIds must be a list to be counted")
            found["interface_endpoint_azs"] += len(subnets)
        elif kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            found["load_balancers"] += 1
        elif kind == "AWS::ECS::Service":
            tasks = int(_value(properties["DesiredCount"], parameters))
            definition = resources[properties["TaskDefinition"]["Ref"]]["Properties"]
            vcpus += tasks * int(_value(definition["Cpu"], parameters)) / 1024
            gigabytes += tasks * int(_value(definition["Memory"], parameters)) / 1024
        elif kind == "AWS::KMS::Key":
            found["kms_keys"] += 1
        elif kind == "AWS::CloudWatch::Alarm":
            queries = properties.get("Metrics")
            found["alarm_metrics"] += sum(1 for q in queries if "MetricStat" in q) if queries else 1
        elif kind == "AWS::CloudWatch::Dashboard":
            found["dashboards"] += 1
        elif kind == "AWS::SecretsManager::Secret":
            found["secrets"] += 1
        elif kind == "AWS::DynamoDB::Table":
            found["tables"] += 1
            pitr = properties.get("PointInTimeRecoverySpecification", {})
            found["tables_with_pitr"] += bool(pitr.get("PointInTimeRecoveryEnabled"))
        elif kind == "AWS::S3::Bucket":
            found["buckets"] += 1
        elif kind == "AWS::Logs::LogGroup" and properties.get("LogGroupName") == ECS_LOGS:
            log_days = int(_value(properties["RetentionInDays"], parameters))
    return Inventory(**found, fargate_vcpus=vcpus, fargate_gb=gigabytes, ecs_log_days=log_days)


def inventory(infra: Path, deployed: list[Stack]) -> Inventory:
    """Everything the deployed stacks make, read from their templates under `infra`."""
    total = Inventory()
    for stack in deployed:
        template = load((infra / stack.template).read_text(encoding="utf-8"))
        total = total + count(template, stack.parameters)
    return total
