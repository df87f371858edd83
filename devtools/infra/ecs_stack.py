"""infra/ecs.yaml: the ECS front of a stage (the proxy's tasks behind the internal ALB).

The cluster, the task definition and the service, in the network stack's subnets and
groups (imported: infra/network.yaml), and the tasks' log group under the old system's
name with the stage's retention.

- Two roles, apart: the execution role pulls the two images and lets the log router
  write its own lines; the task role is what the app runs as, and carries the API
  function's policy rendered from infra/policies/api.json (the same template as the
  Lambda's role, not a copy), plus what the log router needs to write the tasks' lines.
- The service rolls a new task definition out with ECS's deployment circuit breaker:
  tasks that never pass the ALB's health check (the liveness route) roll it back.
- The metrics path. The app writes its EMF documents to stdout, as on Lambda. ECS's
  awslogs driver sends each line with PutLogEvents but without the header
  `x-amzn-logs-format: json/emf` that tells CloudWatch Logs to extract the metrics
  (ECS has no option to add it: aws/containers-roadmap#1719). AWS's PutLogEvents EMF
  page now calls the header optional, but AWS also says
  (aws/shim-loggers-for-containerd#285, 2025) that extraction without it is not launched
  in every region. So the app's container logs through FireLens: a Fluent Bit sidecar
  (AWS's aws-for-fluent-bit image) whose `cloudwatch_logs` output sends every line to
  the same log group with `log_format json/emf`, which sets the header; CloudWatch turns
  the EMF lines into metrics and keeps the rest as log lines (AWS's FireLens EMF
  example: github.com/aws-samples/amazon-ecs-firelens-examples, cloudwatchlogs-emf).
  The CloudWatch agent as a sidecar would need the app to send EMF over TCP instead of
  stdout (Powertools writes stdout), a second code path the Lambda front does not have.
  Metrics leave through CloudWatch Logs, so the VPC needs the `logs` endpoint and no
  `monitoring` one.
"""

from __future__ import annotations

from typing import Any, Final

from contract.environment import (
    ACCESS_LOG,
    BACKEND,
    BACKEND_AWS,
    BIND_HOST,
    PORT,
    STAGE,
    WORKERS,
)
from contract.resources import APP_NAME, STAGE_PATTERN, StageNames
from devtools.infra import policies
from devtools.infra.cfn import Template, checkov_skips, get_att, ref, sub
from devtools.infra.network_stack import (
    CONTAINER_PORT,
    SUBNETS_EXPORT,
    TARGET_GROUP_EXPORT,
    TASKS_EXPORT,
    imported,
)
from devtools.infra.stages import StageSettings

SOURCE = "devtools/infra/ecs_stack.py"
NAMES = StageNames.template()
DEFAULTS = StageSettings()
API_CONTAINER: Final = "api"
LOG_ROUTER_CONTAINER: Final = "log-router"
# AWS's Fluent Bit image, mirrored into the account's own repository by `make deploy`
# (the subnets reach no public registry) and named there by digest.
LOG_ROUTER_SOURCE: Final = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
LOG_ROUTER_MEMORY_MIB: Final = 50
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
LOG_WRITE = ["logs:CreateLogStream", "logs:PutLogEvents"]


def _arn(service: str, resource: str) -> dict[str, str]:
    return sub(f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def _log_streams() -> dict[str, str]:
    return _arn("logs", f"log-group:{NAMES.ecs_log_group}:*")


def _assumed_by_tasks() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                # Only ECS acting for this account (the confused deputy).
                "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
            }
        ],
    }


def _policy(name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    }


def _roles() -> dict[str, Any]:
    repositories = [
        _arn("ecr", f"repository/{NAMES.proxy_image_repository}"),
        _arn("ecr", f"repository/{NAMES.log_router_image_repository}"),
    ]
    return {
        "ExecutionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "ECS pulls the task's images and writes the log router's lines",
                "AssumeRolePolicyDocument": _assumed_by_tasks(),
                "Policies": [
                    _policy(
                        "pull-images-and-route-logs",
                        [
                            {
                                "Sid": "RegistryLogin",  # takes no resource
                                "Effect": "Allow",
                                "Action": ["ecr:GetAuthorizationToken"],
                                "Resource": ["*"],
                            },
                            {
                                "Sid": "PullTheTwoImages",
                                "Effect": "Allow",
                                "Action": ECR_PULL,
                                "Resource": repositories,
                            },
                            {
                                "Sid": "LogRouterOwnLines",
                                "Effect": "Allow",
                                "Action": LOG_WRITE,
                                "Resource": [_log_streams()],
                            },
                        ],
                    )
                ],
            },
        },
        "TaskRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "What the ECS proxy's app runs as: the API function's policy",
                "AssumeRolePolicyDocument": _assumed_by_tasks(),
                "Policies": [
                    {
                        "PolicyName": "api",
                        "PolicyDocument": policies.for_cloudformation(policies.API),
                    },
                    # FireLens's Fluent Bit sends the app's lines with the task's role.
                    _policy(
                        "route-the-app-logs",
                        [
                            {
                                "Sid": "TheTasksLogGroup",
                                "Effect": "Allow",
                                "Action": LOG_WRITE,
                                "Resource": [_log_streams()],
                            }
                        ],
                    ),
                ],
            },
        },
    }


def _environment() -> list[dict[str, Any]]:
    values = {
        BACKEND.name: BACKEND_AWS,
        STAGE.name: ref("Stage"),
        "AWS_REGION": ref("AWS::Region"),
        PORT.name: str(CONTAINER_PORT),
        # In the task the ALB must reach the proxy: the task's interface, not loopback.
        BIND_HOST.name: "0.0.0.0",
        WORKERS.name: ref("Workers"),
        # One line per request: the ALB keeps no access log (network_stack's CKV_AWS_91).
        ACCESS_LOG.name: "on",
    }
    return [{"Name": name, "Value": value} for name, value in values.items()]


def _containers() -> list[dict[str, Any]]:
    return [
        {
            "Name": LOG_ROUTER_CONTAINER,
            "Image": ref("LogRouterImage"),
            "Essential": True,
            "MemoryReservation": LOG_ROUTER_MEMORY_MIB,
            # The app's lines go as they are: no ECS metadata added to each.
            "FirelensConfiguration": {
                "Type": "fluentbit",
                "Options": {"enable-ecs-log-metadata": "false"},
            },
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": {
                    "awslogs-group": ref("LogGroup"),
                    "awslogs-region": ref("AWS::Region"),
                    "awslogs-stream-prefix": LOG_ROUTER_CONTAINER,
                },
            },
        },
        {
            "Name": API_CONTAINER,
            "Image": ref("ProxyImage"),
            "Essential": True,
            "PortMappings": [{"ContainerPort": CONTAINER_PORT, "Protocol": "tcp"}],
            "Environment": _environment(),
            # Nothing is written but gunicorn's worker heartbeats, in /tmp.
            "ReadonlyRootFilesystem": True,
            "MountPoints": [{"SourceVolume": "tmp", "ContainerPath": "/tmp"}],
            "StopTimeout": 30,
            "LogConfiguration": {
                "LogDriver": "awsfirelens",
                "Options": {
                    "Name": "cloudwatch_logs",
                    "region": ref("AWS::Region"),
                    "log_group_name": ref("LogGroup"),
                    "log_stream_prefix": f"{API_CONTAINER}/",
                    "auto_create_group": "false",
                    # The record's `log` field is the line the app wrote, sent as it is.
                    "log_key": "log",
                    # Sets x-amzn-logs-format: json/emf on PutLogEvents (the metrics path).
                    "log_format": "json/emf",
                    "retry_limit": "2",
                },
            },
        },
    ]


def _service() -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::Service",
        "Properties": {
            "ServiceName": sub(NAMES.ecs_service),
            "Cluster": ref("Cluster"),
            "TaskDefinition": ref("TaskDefinition"),
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "DesiredCount": ref("DesiredCount"),
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "AssignPublicIp": "DISABLED",
                    "Subnets": {"Fn::Split": [",", imported(SUBNETS_EXPORT)]},
                    "SecurityGroups": [imported(TASKS_EXPORT)],
                }
            },
            "LoadBalancers": [
                {
                    "ContainerName": API_CONTAINER,
                    "ContainerPort": CONTAINER_PORT,
                    "TargetGroupArn": imported(TARGET_GROUP_EXPORT),
                }
            ],
            # The ALB's checks start after the proxy has loaded the app and warmed up.
            "HealthCheckGracePeriodSeconds": 60,
            "DeploymentConfiguration": {
                "MinimumHealthyPercent": 100,
                "MaximumPercent": 200,
                "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            },
            "PropagateTags": "SERVICE",
            "Tags": [
                {"Key": "app", "Value": APP_NAME},
                {"Key": "stage", "Value": ref("Stage")},
            ],
        },
    }


def template() -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: the ECS front (the proxy's tasks behind the internal ALB)",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN.pattern,
                "Description": "The stage every name ends with",
            },
            "ProxyImage": {
                "Type": "String",
                "Description": "The proxy's image, by digest (make deploy pushes and names it)",
            },
            "LogRouterImage": {
                "Type": "String",
                "Description": "The Fluent Bit image in the account's repository, by digest",
            },
            "DesiredCount": {"Type": "Number", "Default": DEFAULTS.ecs_tasks, "MinValue": 1},
            # Fargate's CPU/memory pairs: docs.aws.amazon.com/AmazonECS/latest/developerguide/
            # fargate-tasks-services.html#fargate-tasks-size
            "TaskCpu": {
                "Type": "Number",
                "Default": DEFAULTS.ecs_cpu,
                "AllowedValues": [256, 512, 1024, 2048, 4096],
            },
            "TaskMemory": {"Type": "Number", "Default": DEFAULTS.ecs_memory, "MinValue": 512},
            "Workers": {
                "Type": "Number",
                "Default": WORKERS.default,
                "MinValue": 1,
                "Description": "The proxy's worker processes (each one request at a time)",
            },
            "LogDays": {"Type": "Number", "Default": DEFAULTS.access_log_days},
        },
        "Resources": {
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Metadata": checkov_skips(
                    (
                        "CKV_AWS_158",
                        "CloudWatch Logs encrypts at rest by default; a KMS key adds a "
                        "monthly charge and the logs carry no key or secret",
                    ),
                ),
                "Properties": {
                    "LogGroupName": sub(NAMES.ecs_log_group),
                    "RetentionInDays": ref("LogDays"),
                },
            },
            "Cluster": {
                "Type": "AWS::ECS::Cluster",
                "Metadata": checkov_skips(
                    (
                        "CKV_AWS_65",
                        "no Container Insights: it bills its own metrics per task; the "
                        "service's CPU and memory (AWS/ECS) and the app's EMF are free of it",
                    ),
                ),
                "Properties": {
                    "ClusterName": sub(NAMES.ecs_cluster),
                    "ClusterSettings": [{"Name": "containerInsights", "Value": "disabled"}],
                },
            },
            **_roles(),
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Metadata": checkov_skips(
                    (
                        "CKV_AWS_336",
                        "the app's container is read-only; FireLens writes the log "
                        "router's generated configuration into its own container",
                    ),
                ),
                "Properties": {
                    "Family": sub(NAMES.ecs_service),
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": ref("TaskCpu"),
                    "Memory": ref("TaskMemory"),
                    "RuntimePlatform": {
                        "OperatingSystemFamily": "LINUX",
                        "CpuArchitecture": "X86_64",
                    },
                    "ExecutionRoleArn": get_att("ExecutionRole", "Arn"),
                    "TaskRoleArn": get_att("TaskRole", "Arn"),
                    "Volumes": [{"Name": "tmp"}],
                    "ContainerDefinitions": _containers(),
                },
            },
            "Service": _service(),
        },
        "Outputs": {
            "ClusterName": {"Value": ref("Cluster")},
            "ServiceName": {"Value": get_att("Service", "Name")},
        },
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)
