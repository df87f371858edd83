"""The stage's CloudWatch dashboard (in infra/alarms.yaml): what the alarms watch, drawn.

One body with the ECS front's widgets and one without, chosen by the stack's
`EcsFront` condition. Metric names and dimensions are the alarms' own
(devtools/infra/alarms_stack.py), so a graph and its alarm cannot disagree. The body is
JSON inside Fn::Sub: `${Stage}` and `${AWS::Region}` are its only substitutions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from contract.metrics import (
    ANSWERS,
    ENDPOINT_5XX,
    ENDPOINT_DIMENSION,
    ENDPOINT_INVOCATIONS,
    ENDPOINT_MODEL_LATENCY,
    ENDPOINT_OVERHEAD_LATENCY,
    FRONT_DIMENSION,
    FRONT_ECS,
    FRONT_LAMBDA,
    PREDICTION_LATENCY,
    PREDICTIONS,
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
from contract.resources import APP_NAME, ENDPOINT_VARIANT, METRICS_NAMESPACE, StageNames

NAMES = StageNames.template()
HAS_ECS = "HasEcsFront"  # the stack's condition: the stage has the ECS front
# The ALB's own metrics (AWS/ApplicationELB): what the app cannot count, such as no task
# up at all, and the ALB's own 5xx (502/503/504 with no healthy target).
ALB_NAMESPACE = "AWS/ApplicationELB"
HEALTHY_TARGETS = "HealthyHostCount"
ALB_5XX = "HTTPCode_ELB_5XX_Count"
TARGET_TIME = "TargetResponseTime"
WIDTH = 12  # two widgets a row (the grid is 24 wide)
HEIGHT = 6


def _app(metric: str, *dimensions: str, **options: Any) -> list[Any]:
    """A dashboard metric line of the app: namespace, name, dimension pairs, options."""
    line: list[Any] = [METRICS_NAMESPACE, metric, SERVICE_DIMENSION, APP_NAME]
    line += [STAGE_DIMENSION, NAMES.stage, *dimensions]
    return [*line, options] if options else line


def _endpoint(metric: str, **options: Any) -> list[Any]:
    line = [SAGEMAKER_NAMESPACE, metric, ENDPOINT_DIMENSION, NAMES.endpoint]
    return [*line, VARIANT_DIMENSION, ENDPOINT_VARIANT, options]


def _graph(title: str, metrics: list[list[Any]], **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "period": 300,
            "metrics": metrics,
            **properties,
        },
    }


def _line_at(value: float, label: str) -> dict[str, Any]:
    return {"horizontal": [{"value": value, "label": label}]}


def front_widgets(front: str) -> list[dict[str, Any]]:
    """A front's answers by status class, and the two shares its alarms watch."""
    classes = [
        _app(
            ANSWERS,
            FRONT_DIMENSION,
            front,
            STATUS_CLASS_DIMENSION,
            name,
            stat="Sum",
            id=f"class{index}",
            label=name,
        )
        for index, name in enumerate(STATUS_CLASSES)
    ]
    whole = " + ".join(f"FILL(class{index}, 0)" for index in range(len(STATUS_CLASSES)))
    shares = [
        [{"expression": f"FILL(class{STATUS_CLASSES.index(name)}, 0) / ({whole})", "label": name}]
        for name in (SERVER_ERROR_CLASS, UNAVAILABLE_CLASS)
    ]
    hidden = [[*line[:-1], {**line[-1], "visible": False}] for line in classes]
    return [
        _graph(f"Answers by status class ({front})", classes, stacked=True, stat="Sum"),
        _graph(f"5xx and 503 share of answers ({front})", [*shares, *hidden]),
    ]


def alb_widgets() -> list[dict[str, Any]]:
    """The ALB's view of the ECS front (its dimensions are substituted from the network
    stack's exports: `${TargetGroup}`, `${LoadBalancer}`)."""
    both = ["TargetGroup", "${TargetGroup}", "LoadBalancer", "${LoadBalancer}"]
    return [
        _graph(
            "ALB: healthy tasks, and its own 5xx",
            [
                [ALB_NAMESPACE, HEALTHY_TARGETS, *both, {"stat": "Minimum"}],
                [
                    ALB_NAMESPACE,
                    ALB_5XX,
                    "LoadBalancer",
                    "${LoadBalancer}",
                    {"stat": "Sum", "yAxis": "right"},
                ],
            ],
        ),
        _graph(
            "ALB: the tasks' response time (s)",
            [
                [ALB_NAMESPACE, TARGET_TIME, *both, {"stat": "p50", "label": "p50"}],
                [ALB_NAMESPACE, TARGET_TIME, *both, {"stat": "p99", "label": "p99"}],
            ],
        ),
    ]


def shared_widgets(prediction_p99_ms: float, model_p99_ms: float) -> list[dict[str, Any]]:
    """Latency (with the alarms' thresholds drawn), the log, the rollout, the endpoint."""
    return [
        _graph(
            "Prediction latency (ms)",
            [
                _app(PREDICTION_LATENCY, stat="p50", label="p50"),
                _app(PREDICTION_LATENCY, stat="p99", label="p99"),
            ],
            annotations=_line_at(prediction_p99_ms, "p99 alarm"),
        ),
        _graph(
            "Predictions, and answered but not logged",
            [
                _app(PREDICTIONS, stat="Sum", label=PREDICTIONS),
                _app(UNLOGGED_PREDICTION, stat="Sum", label=UNLOGGED_PREDICTION, yAxis="right"),
            ],
        ),
        _graph(
            "Running rollout's age (s)",
            [_app(ROLLOUT_AGE, stat="Maximum", label=ROLLOUT_AGE)],
            annotations=_line_at(ROLLOUT_DEADLINE_SECONDS, "deadline"),
        ),
        _graph(
            "Endpoint invocations and 5xx",
            [
                _endpoint(ENDPOINT_INVOCATIONS, stat="Sum"),
                _endpoint(ENDPOINT_5XX, stat="Sum", yAxis="right"),
            ],
        ),
        _graph(
            "Endpoint latency (microseconds)",
            [
                _endpoint(ENDPOINT_MODEL_LATENCY, stat="p50", label="model p50"),
                _endpoint(ENDPOINT_MODEL_LATENCY, stat="p99", label="model p99"),
                # SageMaker's own share, cold starts included.
                _endpoint(ENDPOINT_OVERHEAD_LATENCY, stat="p99", label="overhead p99"),
            ],
            annotations=_line_at(model_p99_ms * 1000, "model p99 alarm"),
        ),
    ]


def _alarm_arn(name: str) -> str:
    return f"arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{name}"


def body(
    alarm_names: Sequence[str], fronts: Sequence[str], thresholds: tuple[float, float]
) -> dict[str, Any]:
    """The dashboard: the alarms' states first, then each front, then what they share
    (`thresholds`: the prediction's and the model's p99 alarms, in ms)."""
    status = {
        "type": "alarm",
        "width": 24,
        "height": 3,
        "properties": {"title": "Alarms", "alarms": [_alarm_arn(n) for n in alarm_names]},
    }
    widgets = [status]
    for front in fronts:
        widgets += front_widgets(front)
        if front == FRONT_ECS:
            widgets += alb_widgets()
    return {"widgets": [*widgets, *shared_widgets(*thresholds)]}


def dashboard(
    alarm_names: Sequence[str],
    ecs_alarm_names: Sequence[str],
    thresholds: tuple[float, float],
    alb: dict[str, Any],
) -> dict[str, Any]:
    """The dashboard resource, with or without the ECS front's alarms and widgets
    (`alb`: the ALB's dimensions, imported)."""
    without_ecs = [name for name in alarm_names if name not in ecs_alarm_names]
    with_ecs_body = json.dumps(body(alarm_names, [FRONT_LAMBDA, FRONT_ECS], thresholds))
    lambda_body = json.dumps(body(without_ecs, [FRONT_LAMBDA], thresholds))
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": {"Fn::Sub": NAMES.dashboard},
            "DashboardBody": {
                "Fn::If": [
                    HAS_ECS,
                    {"Fn::Sub": [with_ecs_body, alb]},
                    {"Fn::Sub": lambda_body},
                ]
            },
        },
    }
