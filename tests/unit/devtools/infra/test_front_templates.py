"""What moto's CloudFormation drops or cannot model in the ECS front (a service's load
balancers, subnets, circuit breaker and launch type; a task definition's roles and log
routing; subnet associations; the HTTPS listener's condition), held on the rendered
templates: each name and port read from the contract or the module that owns it.
tests/integration/devtools/infra/test_moto_front.py deploys the rest into moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract.environment import ACCESS_LOG, API_URL, PORT
from contract.resources import LIVENESS_PATH, TEST_INVOKER, StageNames
from devtools.infra import ecs_stack, functions_stack, network_stack, policies
from devtools.infra.cfn import existing
from devtools.infra.stages import REPO_ROOT, StageSettings, aws_stages

NETWORK = network_stack.template()
ECS = ecs_stack.template()
NAMES = StageNames.template()


def _imports(value: Any) -> set[str]:
    """The export names a template's `Fn::ImportValue`s read."""
    if isinstance(value, dict):
        if "Fn::ImportValue" in value:
            return {value["Fn::ImportValue"]["Fn::Sub"]}
        return set().union(*(_imports(inner) for inner in value.values()))
    if isinstance(value, list):
        return set().union(*(_imports(inner) for inner in value))
    return set()


def test_every_import_is_an_export_of_the_network_stack() -> None:
    exported = {output["Export"]["Name"]["Fn::Sub"] for output in NETWORK["Outputs"].values()}
    functions = functions_stack.template([TEST_INVOKER])
    assert _imports(ECS) | _imports(functions) <= exported
    assert _imports(functions)  # the invoker does read them


def test_no_route_leaves_the_vpc() -> None:
    kinds = {body["Type"] for body in NETWORK["Resources"].values()}
    assert not kinds & {
        "AWS::EC2::Route",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::EIP",
    }
    associated = [
        body["Properties"]
        for body in NETWORK["Resources"].values()
        if body["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    ]
    assert sorted(a["SubnetId"]["Ref"] for a in associated) == sorted(network_stack.SUBNETS)
    assert {a["RouteTableId"]["Ref"] for a in associated} == {"PrivateRouteTable"}


@pytest.mark.parametrize(("certificate", "port"), [("", 80), ("arn:aws:acm:certificate", 443)])
def test_the_listener_is_http_or_https_with_the_certificate_given(
    certificate: str, port: int
) -> None:
    parameters = {"Stage": "prd", "CertificateArn": certificate, "ApiHostName": "api.example"}
    (listener,) = [
        body["Properties"]
        for body in existing(NETWORK, parameters).values()
        if body["Type"] == "AWS::ElasticLoadBalancingV2::Listener"
    ]
    assert listener["Port"] == port
    assert listener["Protocol"] == ("HTTPS" if certificate else "HTTP")
    if certificate:
        assert listener["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]


def test_the_target_group_checks_liveness_on_the_proxys_port() -> None:
    group = NETWORK["Resources"]["TargetGroup"]["Properties"]
    assert (group["HealthCheckPath"], group["Port"]) == (LIVENESS_PATH, PORT.default)


def _app_container() -> dict[str, Any]:
    containers = ECS["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    (app,) = [c for c in containers if c["Name"] == ecs_stack.API_CONTAINER]
    return app


def test_the_service_balances_the_app_container_in_the_private_subnets_and_rolls_back() -> None:
    service = ECS["Resources"]["Service"]["Properties"]
    (balanced,) = service["LoadBalancers"]
    app = _app_container()
    assert balanced["ContainerName"] == app["Name"]
    assert balanced["ContainerPort"] == app["PortMappings"][0]["ContainerPort"] == PORT.default
    assert balanced["TargetGroupArn"] == network_stack.imported(network_stack.TARGET_GROUP_EXPORT)
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["SecurityGroups"] == [network_stack.imported(network_stack.TASKS_EXPORT)]
    assert service["LaunchType"] == "FARGATE"
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    assert service["ServiceName"] == {"Fn::Sub": NAMES.ecs_service}


def test_the_task_role_is_the_api_functions_rendered_policy_and_apart() -> None:
    task = ECS["Resources"]["TaskDefinition"]["Properties"]
    assert task["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    assert task["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    (api,) = [
        p
        for p in ECS["Resources"]["TaskRole"]["Properties"]["Policies"]
        if p["PolicyName"] == "api"
    ]
    assert api["PolicyDocument"] == policies.for_cloudformation(policies.API)
    execution = json.dumps(ECS["Resources"]["ExecutionRole"]["Properties"])
    assert "dynamodb" not in execution and "sagemaker" not in execution


def test_the_app_logs_through_firelens_with_the_emf_header() -> None:
    environment = {pair["Name"]: pair["Value"] for pair in _app_container()["Environment"]}
    assert ACCESS_LOG.read(environment) is True  # the ALB keeps no access log
    logging = _app_container()["LogConfiguration"]
    assert logging["LogDriver"] == "awsfirelens"
    options = logging["Options"]
    assert options["Name"] == "cloudwatch_logs"
    assert options["log_format"] == "json/emf"
    assert options["log_group_name"] == {"Ref": "LogGroup"}
    containers = ECS["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    (router,) = [c for c in containers if "FirelensConfiguration" in c]
    assert router["Name"] == ecs_stack.LOG_ROUTER_CONTAINER
    assert router["FirelensConfiguration"]["Type"] == "fluentbit"
    group = ECS["Resources"]["LogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": NAMES.ecs_log_group}
    assert group["RetentionInDays"] == {"Ref": "LogDays"}


def test_the_invoker_calls_the_alb_from_the_vpc_or_api_gateway_from_outside() -> None:
    resources = functions_stack.template([TEST_INVOKER])["Resources"]
    invoker = resources["TestInvoker"]["Properties"]
    url = invoker["Environment"]["Variables"][API_URL.name]
    assert url == {
        "Fn::If": [
            functions_stack.ECS_FRONT,
            network_stack.imported(network_stack.API_URL_EXPORT),
            {"Fn::Sub": functions_stack.GATEWAY_URL},
        ]
    }
    condition, inside, outside = invoker["VpcConfig"]["Fn::If"]
    assert (condition, outside) == (functions_stack.ECS_FRONT, {"Ref": "AWS::NoValue"})
    assert inside["SecurityGroupIds"] == [network_stack.imported(network_stack.CALLERS_EXPORT)]
    (network,) = [
        p["Fn::If"][1]
        for p in resources["TestInvokerRole"]["Properties"]["Policies"]
        if "Fn::If" in p
    ]
    assert network["PolicyDocument"] == policies.for_cloudformation(
        TEST_INVOKER, policies.NETWORK_INTERFACES
    )
    # No other function is in the VPC or allowed network interfaces.
    others = functions_stack.template([])["Resources"]
    assert "VpcConfig" not in json.dumps(others)


def test_every_stage_setting_is_a_parameter_of_the_functions_stack() -> None:
    declared = functions_stack.template([])["Parameters"]
    settings = StageSettings(ecs_front=True).parameters()
    assert set(settings) - {"DeletionProtection"} <= set(declared)
    assert set(StageSettings().ecs_parameters()) <= set(ECS["Parameters"])


@pytest.mark.parametrize("stage", aws_stages())
def test_the_gateway_url_names_the_stage_as_chalice_does(stage: str) -> None:
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text())
    assert config["stages"][stage]["api_gateway_stage"] == stage
    assert functions_stack.GATEWAY_URL.endswith("/${Stage}/")
