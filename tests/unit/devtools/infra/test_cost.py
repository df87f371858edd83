"""The cost arithmetic on a tiny template and a tiny price table: what is counted from
the template (conditions and parameters applied), and what each count costs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contract.metrics import FRONT_ECS, FRONT_LAMBDA
from devtools.infra.cost import (
    Assumptions,
    Functions,
    Prices,
    Topology,
    price_at_rest,
    price_per_prediction,
    runs_per_month,
    summary,
)
from devtools.infra.inventory import Inventory, count

TINY = {
    "Parameters": {
        "Tasks": {"Type": "Number", "Default": 2},
        "WithAlb": {"Type": "String", "Default": "true"},
    },
    "Conditions": {"HasAlb": {"Fn::Equals": [{"Ref": "WithAlb"}, "true"]}},
    "Resources": {
        "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Condition": "HasAlb"},
        "Runtime": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b", "c"]},
        },
        "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": 512, "Memory": 2048}},
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {"DesiredCount": {"Ref": "Tasks"}, "TaskDefinition": {"Ref": "Task"}},
        },
        "Math": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Metrics": [
                    {"Id": "a", "MetricStat": {}},
                    {"Id": "b", "MetricStat": {}},
                    {"Id": "e"},
                ]
            },
        },
        "Plain": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "m"}},
        "Key": {"Type": "AWS::KMS::Key"},
        "Role": {"Type": "AWS::IAM::Role"},  # free: not counted
    },
}
# Round prices, so every expected figure below can be worked out by hand.
PRICES = {
    "interface_endpoint_az_hour": 0.01,
    "alb_hour": 0.02,
    "fargate_vcpu_hour": 0.04,
    "fargate_gb_hour": 0.005,
    "kms_key_month": 1.0,
    "cloudwatch_alarm_metric_month": 0.1,
    "cloudwatch_dashboard_month": 3.0,
    "secret_month": 0.4,
    "dynamodb_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.2,
    "s3_gb_month": 0.02,
    "lambda_request": 0.0000002,
    "lambda_gb_second": 0.00001,
    "api_gateway_rest_request": 0.000004,
    "sagemaker_serverless_gb_second": 0.00002,
    "sagemaker_serverless_data_gb": 0.0,
    "dynamodb_write_request": 0.000001,
    "cloudwatch_logs_ingest_gb": 0.0,
    "cloudwatch_logs_gb_month": 0.0,
    "cloudwatch_metric_month": 0.3,
    "xray_trace": 0.000005,
    "interface_endpoint_gb": 0.0,
    "alb_lcu_hour": 0.0,
}


@pytest.fixture
def prices(tmp_path: Path) -> Prices:
    path = tmp_path / "prices.json"
    table = {name: {"usd": usd, "per": "unit", "source": "test"} for name, usd in PRICES.items()}
    path.write_text(
        json.dumps({"region": "r", "read_on": "d", "hours_per_month": 100, "prices": table})
    )
    return Prices(path)


def test_the_template_is_counted_with_its_parameters_and_conditions() -> None:
    assert count(TINY, {}) == Inventory(
        interface_endpoint_azs=3,
        load_balancers=1,
        fargate_vcpus=1.0,  # 2 tasks of 512 CPU units
        fargate_gb=4.0,  # 2 tasks of 2048 MiB
        kms_keys=1,
        alarm_metrics=3,  # two metrics in the math alarm, one in the plain one
    )
    without = count(TINY, {"WithAlb": "false", "Tasks": "1"})
    assert (without.load_balancers, without.fargate_vcpus, without.fargate_gb) == (0, 0.5, 2.0)


def test_at_rest_is_each_count_at_its_price(prices: Prices) -> None:
    held = count(TINY, {})
    topology = Topology("tiny", held, (FRONT_ECS,), None)

    items = price_at_rest(topology, prices, Assumptions(stored_gb=0))

    assert items == pytest.approx(
        {
            "interface endpoints": 3 * 100 * 0.01,
            "internal ALB": 100 * 0.02,
            "Fargate tasks": 100 * (1.0 * 0.04 + 4.0 * 0.005),
            "KMS keys": 1.0,
            "alarms": 3 * 0.1,
        }
    )
    no_alb = price_at_rest(
        Topology("tiny", count(TINY, {"WithAlb": "false"}), (FRONT_ECS,), None),
        prices,
        Assumptions(stored_gb=0),
    )
    assert sum(items.values()) - sum(no_alb.values()) == pytest.approx(100 * 0.02)


def test_a_prediction_through_lambda_pays_the_gateway_the_function_and_the_endpoint(
    prices: Prices,
) -> None:
    functions = Functions(
        api_memory_mb=512,
        watch_memory_mb=256,
        log_days=14,
        xray=True,
        endpoint_memory_mb=2048,
        watches_per_month=1000,
    )
    topology = Topology("tiny", Inventory(), (FRONT_LAMBDA,), functions)
    assume = Assumptions(api_ms=100, model_ms=50, traced_share=0.5, predictions_per_month=10_000)

    items = price_per_prediction(topology, FRONT_LAMBDA, prices, assume)

    assert items == pytest.approx(
        {
            "serverless endpoint": 1000 * 2 * 0.05 * 0.00002,
            "prediction log write": 1000 * 0.000001,
            "API Gateway": 1000 * 0.000004,
            "Lambda": 1000 * (0.0000002 + 0.5 * 0.1 * 0.00001),
            "X-Ray": 1000 * 0.5 * 0.000005,
            "logs": 0.0,
        }
    )
    topology.at_rest = price_at_rest(topology, prices, assume)
    assert topology.at_rest == pytest.approx(
        {"deploy watcher (Lambda)": 1000 * 0.0000002 + 1000 * 0.3 * 0.25 * 0.00001}
    )
    topology.per_1000 = {FRONT_LAMBDA: items}
    month = summary(topology, prices, assume)
    metrics = (assume.shared_metrics + assume.metrics_per_front) * 0.3
    assert month.month_at_load == pytest.approx(
        sum(topology.at_rest.values()) + metrics + 10 * sum(items.values())
    )
    assert month.per_1000_at_load == pytest.approx(month.month_at_load / 10)


def test_a_schedules_runs_are_counted_from_its_rate() -> None:
    assert runs_per_month("rate(1 minute)") == 730 * 60
    assert runs_per_month("rate(5 minutes)") == 730 * 12
    assert runs_per_month("rate(2 hours)") == 365
    with pytest.raises(ValueError, match="cannot count"):
        runs_per_month("cron(15 1 * * ? *)")


def test_the_shipped_price_table_is_dated_and_every_price_names_its_page() -> None:
    shipped = Prices()
    assert shipped.table["region"] == "us-east-1"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", shipped.table["read_on"])
    for name, price in shipped.table["prices"].items():
        assert price["usd"] > 0, name
        assert price["source"].startswith("https://aws.amazon.com/"), name
    # Every price the arithmetic reads is in the table (the tiny one above has them all).
    assert set(PRICES) == set(shipped.table["prices"])
