"""infra/alarms.yaml against what the app writes and what moto can hold.

The alarms read the metrics the code emits: each alarm's namespace, metric name and
dimensions are held to the EMF documents the app's own observability writes (a renamed
metric or dimension fails here, not in a silent alarm). Then the stack deploys into
moto's CloudFormation (in process), its alarms stood in by PutMetricAlarm, whose request
botocore checks against CloudWatch's API shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalice_app import observability
from chalice_app.ports import PredictionEntry
from contract.metrics import FRONT_ECS, FRONT_LAMBDA, PREDICTION_LATENCY, ROLLOUT_AGE
from contract.resources import METRICS_NAMESPACE, StageNames
from devtools.infra import alarms_stack
from devtools.infra.alarms_stack import (
    ALARMS,
    ECS_ALARMS,
    LAMBDA_ALARMS,
    PREDICTION_P99,
    ROLLOUT_OVERDUE,
    UNLOGGED,
)
from devtools.infra.moto_deploy import create_stack, deploy_alarms
from devtools.infra.network_stack import LOAD_BALANCER_EXPORT, TARGET_GROUP_NAME_EXPORT
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, environ
from tests.conftest import EXAMPLE_RECORD
from tests.secrets_watch import json_lines, metric_documents


def _watched(properties: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric, {dimension: value}) of every metric an alarm reads."""
    if "Metrics" not in properties:
        found = [(properties["Namespace"], properties["MetricName"], properties["Dimensions"])]
    else:
        found = [
            (
                q["MetricStat"]["Metric"]["Namespace"],
                q["MetricStat"]["Metric"]["MetricName"],
                q["MetricStat"]["Metric"]["Dimensions"],
            )
            for q in properties["Metrics"]
            if "MetricStat" in q
        ]
    return [(ns, name, {d["Name"]: d["Value"] for d in dims}) for ns, name, dims in found]


def _emitted(text: str) -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    """(namespace, metric, dimensions with their values) of every EMF document written."""
    emitted = set()
    for document in metric_documents(json_lines(text)):
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                values = frozenset((name, str(document[name])) for name in dimensions)
                for metric in directive["Metrics"]:
                    emitted.add((directive["Namespace"], metric["Name"], values))
    return emitted


def _as_written(watched: dict[str, Any], stage: str) -> frozenset[tuple[str, str]]:
    return frozenset(
        (name, stage if value == {"Ref": "Stage"} else value) for name, value in watched.items()
    )


def test_the_apps_alarms_read_exactly_what_the_app_writes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stage = observability._stage()  # the stage every document of this process names
    capsys.readouterr()
    # GIVEN the app's metrics as it writes them: answers of every class through both
    # fronts, a prediction's latency, an unlogged prediction, a running rollout's age
    try:
        for front in (FRONT_LAMBDA, FRONT_ECS):
            observability.serve_as(front)
            for status in (200, 301, 404, 500, 503):
                observability.count_answer(status)
            observability.flush()
    finally:
        observability.serve_as(FRONT_LAMBDA)
    observability.measure_ms(PREDICTION_LATENCY, 12.5)
    entry = PredictionEntry("id-1", "2026-12-03T10:00:00+00:00", EXAMPLE_RECORD, 1.0, "v1", 1.0)
    observability.unlogged_prediction(entry, "table missing")
    observability.flush()
    observability.rollout_age(60.0)
    emitted = _emitted(capsys.readouterr().out)

    # THEN every metric an app alarm reads is one the app wrote, dimensions and all
    resources = alarms_stack.template()["Resources"]
    app_alarms = [*LAMBDA_ALARMS, *ECS_ALARMS[:2], PREDICTION_P99, UNLOGGED, ROLLOUT_OVERDUE]
    for alarm in app_alarms:
        for namespace, metric, dimensions in _watched(resources[alarm.logical]["Properties"]):
            assert namespace == METRICS_NAMESPACE
            assert (namespace, metric, _as_written(dimensions, stage)) in emitted, alarm.suffix
    watched_metrics = {
        metric
        for alarm in app_alarms
        for _, metric, _ in _watched(resources[alarm.logical]["Properties"])
    }
    assert {PREDICTION_LATENCY, ROLLOUT_AGE} <= watched_metrics


@pytest.fixture
def aws() -> Iterator[boto3.session.Session]:
    with environ({**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}), mock_aws():
        yield boto3.session.Session(region_name=REGION)


def _network_exports(cloudformation: Any, stage: str) -> dict[str, str]:
    """What the network stack exports for the alarms (its own deploy is the ECS work's
    test): a stack holding only those outputs."""
    names = StageNames(stage)
    values = {LOAD_BALANCER_EXPORT: "app/alb/1234", TARGET_GROUP_NAME_EXPORT: "targetgroup/tg/5678"}
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            export: {"Value": value, "Export": {"Name": names.export(export)}}
            for export, value in values.items()
        },
    }
    create_stack(cloudformation, names.network_stack, template, {})
    return values


@pytest.mark.parametrize(("stage", "with_ecs"), [("dev", False), ("prd", True)])
def test_the_stack_deploys_into_moto_and_its_alarms_notify_the_encrypted_topic(
    aws: boto3.session.Session, stage: str, with_ecs: bool
) -> None:
    exported = _network_exports(aws.client("cloudformation"), stage) if with_ecs else {}

    created = deploy_alarms(aws.client, stage, REGION)

    names = StageNames(stage)
    assert set(created) == {"AlarmKey", "AlarmTopic", "Dashboard"}  # no address: no subscription
    topic = created["AlarmTopic"]
    attributes = aws.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == created["AlarmKey"]
    cloudwatch = aws.client("cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{names.alarm('')}")["MetricAlarms"]
    expected = [a for a in ALARMS if with_ecs or a not in ECS_ALARMS]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(
        StageNames(stage).alarm(a.suffix) for a in expected
    )
    assert all(a["AlarmActions"] == a["OKActions"] == [topic] for a in alarms)
    body = json.loads(cloudwatch.get_dashboard(DashboardName=names.dashboard)["DashboardBody"])
    arns = set(body["widgets"][0]["properties"]["alarms"])
    assert arns == {a["AlarmArn"] for a in alarms}
    assert "${" not in json.dumps(body)  # every substitution made
    # The ECS front's ALB is watched by the dimensions its stack exports.
    alb = [a for a in alarms if a.get("Namespace") == "AWS/ApplicationELB"]
    assert len(alb) == with_ecs
    for alarm in alb:
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions == {
            "TargetGroup": exported[TARGET_GROUP_NAME_EXPORT],
            "LoadBalancer": exported[LOAD_BALANCER_EXPORT],
        }
        assert exported[LOAD_BALANCER_EXPORT] in json.dumps(body)
