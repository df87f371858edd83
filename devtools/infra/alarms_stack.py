"""infra/alarms.yaml: a stage's alarms, the SNS topic they notify, and its dashboard.

Every alarm reads a metric the code writes (names from contract.metrics, the
namespace from contract.resources), the serverless endpoint's own metrics, or (with no
task up, the app writes nothing) the ALB's count of healthy tasks, so a renamed metric
cannot leave an alarm watching nothing. Rates are metric math over the
`answers` metric's status classes: errors / every answer, and 0 below MIN_ANSWERS
answers in a period, so one 503 on a quiet dev stage is not a page. The ECS front's
alarms exist only where the stage has that front (`EcsFront`), and read the ALB's
dimensions from the network stack's exports (so this stack is deployed after it, and
deleted before it). Each alarm's
description names its section of docs/operations.md, which says what to do.

The topic is encrypted with a key of its own: CloudWatch cannot publish to a topic
under the AWS managed key `alias/aws/sns`, whose policy cannot grant it
(https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.metrics import (
    ANSWERS,
    ENDPOINT_5XX,
    ENDPOINT_DIMENSION,
    ENDPOINT_INVOCATIONS,
    ENDPOINT_MODEL_LATENCY,
    FRONT_DIMENSION,
    FRONT_ECS,
    FRONT_LAMBDA,
    PREDICTION_LATENCY,
    ROLLOUT_AGE,
    ROLLOUT_DEADLINE_SECONDS,
    SAGEMAKER_NAMESPACE,
    SERVER_ERROR_CLASS,
    SERVICE_DIMENSION,
    STAGE_DIMENSION,
    STATUS_CLASS_DIMENSION,
    STATUS_CLASSES,
    UNAVAILABLE_CLASS,
    UNLOGGED_PREDICTION,
    VARIANT_DIMENSION,
)
from contract.resources import (
    APP_NAME,
    ENDPOINT_VARIANT,
    METRICS_NAMESPACE,
    STAGE_PATTERN,
    StageNames,
)
from devtools.infra.cfn import Template, dump, ref, sub
from devtools.infra.dashboard import ALB_NAMESPACE, HAS_ECS, HEALTHY_TARGETS, dashboard
from devtools.infra.network_stack import LOAD_BALANCER_EXPORT, TARGET_GROUP_NAME_EXPORT

SOURCE = "devtools/infra/alarms_stack.py"
NAMES = StageNames.template()
RUNBOOK = "docs/operations.md"
HAS_SUBSCRIBER = "HasSubscriber"
# Five-minute periods: EMF metrics of a quiet stage are sparse, and a page should mean
# minutes of trouble, not one bad second.
PERIOD = 300
# Below this many answers (or invocations) in a period a rate is taken as 0.
MIN_ANSWERS = 10
# Code faults should not happen at all; a 503 (nothing serving, keys unreadable) is
# expected for moments during a rollout's switch.
SERVER_ERROR_RATE = 0.01
UNAVAILABLE_RATE = 0.05
ENDPOINT_ERROR_RATE = 0.01
# A whole /get_prediction, endpoint call and log write included; a serverless cold start
# takes seconds, so p99 must stay high for three periods running (a lone cold start in a
# quiet period is not enough) and a period with too few samples keeps the state.
PREDICTION_P99_MS = 1500
# The model's own time inside the endpoint (ModelLatency excludes SageMaker's overhead
# and cold starts): a tree ensemble prices a row in milliseconds.
MODEL_P99_MS = 500
# A deleted key waits this many days (7 is KMS's least) before it is gone.
KEY_PENDING_DAYS = 7


@dataclass(frozen=True)
class Alarm:
    """One alarm: its logical id, its name's suffix and its runbook section."""

    logical: str
    suffix: str
    anchor: str
    summary: str

    @property
    def name(self) -> str:
        return NAMES.alarm(self.suffix)

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK}#{self.anchor}"


def _front_alarms(front: str) -> tuple[Alarm, Alarm]:
    title = "Lambda" if front == FRONT_LAMBDA else "Ecs"
    where = "API Gateway -> Lambda" if front == FRONT_LAMBDA else "the ALB -> the ECS proxy"
    return (
        Alarm(
            f"{title}ServerErrorRate",
            f"{front}-5xx-rate",
            f"{front}-5xx-rate",
            f"More than {SERVER_ERROR_RATE:.0%} of the answers through {where} are 5xx "
            "(503 not counted): a fault in the code or a dependency",
        ),
        Alarm(
            f"{title}UnavailableRate",
            f"{front}-503-rate",
            f"{front}-503-rate",
            f"More than {UNAVAILABLE_RATE:.0%} of the answers through {where} are 503: "
            "the service cannot price (no model serving, keys unreadable)",
        ),
    )


LAMBDA_ALARMS = _front_alarms(FRONT_LAMBDA)
# With every task down the app writes no answers, and no data is not a page: the ALB's
# own count of healthy targets says so instead.
NO_HEALTHY_TASK = Alarm(
    "EcsNoHealthyTask",
    "ecs-no-healthy-task",
    "ecs-no-healthy-task",
    "The internal ALB has had no healthy ECS task for three minutes",
)
ECS_ALARMS = (*_front_alarms(FRONT_ECS), NO_HEALTHY_TASK)
PREDICTION_P99 = Alarm(
    "PredictionLatencyP99",
    "prediction-p99",
    "prediction-p99",
    f"A prediction's p99 has been over {PREDICTION_P99_MS} ms for three periods running",
)
UNLOGGED = Alarm(
    "UnloggedPredictions",
    "prediction-log-write-failed",
    "prediction-log-write-failed",
    "A prediction was answered but the log could not take it",
)
ROLLOUT_OVERDUE = Alarm(
    "RolloutOverdue",
    "rollout-overdue",
    "rollout-overdue",
    f"The endpoint's rollout has run longer than {ROLLOUT_DEADLINE_SECONDS // 60} minutes",
)
ENDPOINT_ERRORS = Alarm(
    "EndpointErrorRate",
    "endpoint-5xx-rate",
    "endpoint-5xx-rate",
    f"More than {ENDPOINT_ERROR_RATE:.0%} of the endpoint's invocations failed (5xx)",
)
MODEL_P99 = Alarm(
    "ModelLatencyP99",
    "model-latency-p99",
    "model-latency-p99",
    f"The model's own p99 in the endpoint has been over {MODEL_P99_MS} ms for three periods",
)
ALARMS: tuple[Alarm, ...] = (
    *LAMBDA_ALARMS,
    *ECS_ALARMS,
    PREDICTION_P99,
    UNLOGGED,
    ROLLOUT_OVERDUE,
    ENDPOINT_ERRORS,
    MODEL_P99,
)


def app_dimensions(**extra: str) -> list[dict[str, Any]]:
    """The dimensions every app metric carries, then `extra`, as CloudFormation lists them."""
    pairs = [(SERVICE_DIMENSION, APP_NAME), (STAGE_DIMENSION, ref("Stage")), *extra.items()]
    return [{"Name": name, "Value": value} for name, value in pairs]


def alb_dimensions() -> dict[str, Any]:
    """The target group's and ALB's CloudWatch dimensions, the network stack's exports."""
    return {
        "TargetGroup": {"Fn::ImportValue": sub(NAMES.export(TARGET_GROUP_NAME_EXPORT))},
        "LoadBalancer": {"Fn::ImportValue": sub(NAMES.export(LOAD_BALANCER_EXPORT))},
    }


def endpoint_dimensions() -> list[dict[str, Any]]:
    return [
        {"Name": ENDPOINT_DIMENSION, "Value": sub(NAMES.endpoint)},
        {"Name": VARIANT_DIMENSION, "Value": ENDPOINT_VARIANT},
    ]


def _query(
    query_id: str, namespace: str, metric: str, dimensions: list[dict[str, Any]], stat: str
) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
            "Period": PERIOD,
            "Stat": stat,
        },
        "ReturnData": False,
    }


def _expression(query_id: str, expression: str, label: str) -> dict[str, Any]:
    return {"Id": query_id, "Expression": expression, "Label": label, "ReturnData": True}


def _rate_of(part: str, whole: str) -> str:
    """part / whole, or 0 where the whole is too small to say anything."""
    return f"IF({whole} >= {MIN_ANSWERS}, FILL({part}, 0) / {whole}, 0)"


def answer_rate_queries(front: str, status_class: str) -> list[dict[str, Any]]:
    """The share of a front's answers in one status class, as metric math: every class
    is a metric of its own (answers by front and class), so the whole is their sum."""
    queries = [
        _query(
            f"class{index}",
            METRICS_NAMESPACE,
            ANSWERS,
            app_dimensions(**{FRONT_DIMENSION: front, STATUS_CLASS_DIMENSION: name}),
            "Sum",
        )
        for index, name in enumerate(STATUS_CLASSES)
    ]
    whole = " + ".join(f"FILL({query['Id']}, 0)" for query in queries)
    part = f"class{STATUS_CLASSES.index(status_class)}"
    return [
        *queries,
        {"Id": "answers", "Expression": whole, "Label": "answers", "ReturnData": False},
        _expression("rate", _rate_of(part, "answers"), f"{status_class} share of answers"),
    ]


def endpoint_error_queries() -> list[dict[str, Any]]:
    dimensions = endpoint_dimensions()
    return [
        _query("errors", SAGEMAKER_NAMESPACE, ENDPOINT_5XX, dimensions, "Sum"),
        _query("invocations", SAGEMAKER_NAMESPACE, ENDPOINT_INVOCATIONS, dimensions, "Sum"),
        _expression("rate", _rate_of("errors", "invocations"), "5xx share of invocations"),
    ]


def model_latency_queries() -> list[dict[str, Any]]:
    # ModelLatency is in microseconds: the threshold reads in milliseconds.
    latency = _query(
        "latency", SAGEMAKER_NAMESPACE, ENDPOINT_MODEL_LATENCY, endpoint_dimensions(), "p99"
    )
    return [latency, _expression("milliseconds", "latency / 1000", "model p99 (ms)")]


def _alarm(alarm: Alarm, condition: str | None = None, **properties: Any) -> dict[str, Any]:
    topic = [ref("AlarmTopic")]
    body: dict[str, Any] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": sub(alarm.name),
            "AlarmDescription": f"{alarm.summary}. What to do: {alarm.runbook}",
            "AlarmActions": topic,
            "OKActions": topic,
            # No data is no traffic (or no rollout, no failure): nothing to page about.
            "TreatMissingData": "notBreaching",
            **properties,
        },
    }
    if condition:
        body["Condition"] = condition
    return body


def _rate_alarm(queries: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    return {
        "Metrics": queries,
        "Threshold": threshold,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 2,
    }


def _app_alarm(alarm: Alarm, metric: str, threshold: float, **properties: Any) -> dict[str, Any]:
    """An alarm on one of the app's metrics (one period, above the threshold, unless
    `properties` say otherwise)."""
    return _alarm(
        alarm,
        **{
            "Namespace": METRICS_NAMESPACE,
            "MetricName": metric,
            "Dimensions": app_dimensions(),
            "Period": PERIOD,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            **properties,
        },
    )


def alarms() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for front, pair, condition in [
        (FRONT_LAMBDA, LAMBDA_ALARMS, None),
        (FRONT_ECS, ECS_ALARMS[:2], HAS_ECS),
    ]:
        errors, unavailable = pair
        for alarm, status_class, threshold in [
            (errors, SERVER_ERROR_CLASS, SERVER_ERROR_RATE),
            (unavailable, UNAVAILABLE_CLASS, UNAVAILABLE_RATE),
        ]:
            queries = answer_rate_queries(front, status_class)
            resources[alarm.logical] = _alarm(alarm, condition, **_rate_alarm(queries, threshold))
    resources[NO_HEALTHY_TASK.logical] = _alarm(
        NO_HEALTHY_TASK,
        HAS_ECS,
        Namespace=ALB_NAMESPACE,
        MetricName=HEALTHY_TARGETS,
        Dimensions=[{"Name": name, "Value": value} for name, value in alb_dimensions().items()],
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=3,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        # The ALB reports every minute while it exists: silence is no healthy task either.
        TreatMissingData="breaching",
    )
    resources[PREDICTION_P99.logical] = _app_alarm(
        PREDICTION_P99,
        PREDICTION_LATENCY,
        PREDICTION_P99_MS,
        ExtendedStatistic="p99",
        EvaluationPeriods=3,
        DatapointsToAlarm=3,
        EvaluateLowSampleCountPercentile="ignore",
    )
    resources[UNLOGGED.logical] = _app_alarm(
        UNLOGGED,
        UNLOGGED_PREDICTION,
        1,
        Statistic="Sum",
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    resources[ROLLOUT_OVERDUE.logical] = _app_alarm(
        ROLLOUT_OVERDUE, ROLLOUT_AGE, ROLLOUT_DEADLINE_SECONDS, Statistic="Maximum"
    )
    resources[ENDPOINT_ERRORS.logical] = _alarm(
        ENDPOINT_ERRORS, **_rate_alarm(endpoint_error_queries(), ENDPOINT_ERROR_RATE)
    )
    resources[MODEL_P99.logical] = _alarm(
        MODEL_P99,
        Metrics=model_latency_queries(),
        Threshold=MODEL_P99_MS,
        ComparisonOperator="GreaterThanThreshold",
        EvaluationPeriods=3,
        DatapointsToAlarm=3,
    )
    return resources


def _key() -> dict[str, Any]:
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": sub(f"{NAMES.alarm_topic}: encrypts the alarm topic"),
            "EnableKeyRotation": True,
            "PendingWindowInDays": KEY_PENDING_DAYS,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        # The account's IAM policies decide who manages the key.
                        "Sid": "TheAccountManagesTheKey",
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                        },
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudWatchPublishesAlarms",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                ],
            },
        },
    }


def template() -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: a stage's alarms, the topic they notify, its dashboard",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN.pattern,
                "Description": "The stage every name ends with",
            },
            "EcsFront": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "Whether the stage has the ECS front (its alarms and widgets)",
            },
            "AlarmEmail": {
                "Type": "String",
                "Default": "",
                "Description": "Who gets the alarms by email (empty: subscribe later)",
            },
        },
        "Conditions": {
            HAS_ECS: {"Fn::Equals": [ref("EcsFront"), "true"]},
            HAS_SUBSCRIBER: {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]},
        },
        "Resources": {
            "AlarmKey": _key(),
            "AlarmTopic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "TopicName": sub(NAMES.alarm_topic),
                    "KmsMasterKeyId": ref("AlarmKey"),
                },
            },
            "AlarmSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Condition": HAS_SUBSCRIBER,
                "Properties": {
                    "TopicArn": ref("AlarmTopic"),
                    "Protocol": "email",
                    "Endpoint": ref("AlarmEmail"),
                },
            },
            **alarms(),
            "Dashboard": dashboard(
                [alarm.name for alarm in ALARMS],
                [alarm.name for alarm in ECS_ALARMS],
                (PREDICTION_P99_MS, MODEL_P99_MS),
                alb_dimensions(),
            ),
        },
        "Outputs": {
            "AlarmTopicArn": {
                "Description": "The topic every alarm of the stage notifies (the analytics "
                "stack's AlarmTopicArn)",
                "Value": ref("AlarmTopic"),
                "Export": {"Name": sub(NAMES.export("AlarmTopicArn"))},
            },
            "DashboardName": {"Value": ref("Dashboard")},
        },
    }


def render() -> str:
    return dump(template(), SOURCE)
