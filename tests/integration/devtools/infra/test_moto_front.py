"""A stage's ECS front (infra/network.yaml, infra/ecs.yaml) deploys whole into
moto_server's CloudFormation, and what it built, read back through EC2's, ELBv2's,
ECS's, IAM's and CloudWatch Logs' own APIs, has the names and ports the code uses.

What moto does not model (routing, the endpoints' DNS, health checks that run, FireLens)
is held in tests/unit/devtools/infra/test_front_templates.py, on the template."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from contract.environment import API_URL, PORT
from contract.environment import STAGE as STAGE_SETTING
from contract.resources import LIVENESS_PATH, TEST_INVOKER, StageNames
from devtools.infra import moto_deploy, network_stack
from devtools.infra.ecs_stack import API_CONTAINER
from devtools.infra.package import Package
from devtools.infra.stages import settings_of
from devtools.launch import RunningServer
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, environ

# A stage of the ECS front's own, so no other test's stacks meet it in the session's moto.
STAGE = "front"
SERVICES = ("cloudformation", "ec2", "elbv2", "ecs", "iam", "logs")


def _moto(moto_server: RunningServer, services: tuple[str, ...]) -> tuple[dict[str, str], Any]:
    """The environment that points boto3 at moto_server, and clients built in it."""
    env = {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_server.base_url,
    }
    with environ(env):
        session = boto3.session.Session()
        return env, {name: session.client(name) for name in services}


@pytest.fixture(scope="module")
def front(moto_server: RunningServer) -> tuple[dict[str, str], Callable[[str], Any]]:
    _, clients = _moto(moto_server, SERVICES)
    # A personal stage is Lambda-only; this one takes prd's settings.
    created = moto_deploy.deploy_front(clients.__getitem__, STAGE, settings_of("prd"))
    return created, clients.__getitem__


def test_a_lambda_only_stage_gets_no_front(moto_server: RunningServer) -> None:
    assert not settings_of("dev").ecs_front
    assert moto_deploy.deploy_front(lambda service: pytest.fail(service), "dev") == {}


def test_two_private_subnets_in_two_zones_with_no_route_out(front: Any) -> None:
    created, clients = front
    ec2 = clients("ec2")
    subnets = ec2.describe_subnets(SubnetIds=[created[s] for s in network_stack.SUBNETS])
    zones = {s["AvailabilityZone"] for s in subnets["Subnets"]}
    assert len(zones) == 2
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets["Subnets"])
    # No table of the VPC (its main one and the subnets') routes anywhere but the VPC
    # itself and the gateway endpoints' prefix lists. (moto keeps a template's subnet
    # association apart from describe_route_tables: the template test holds it.)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [created["Vpc"]]}])
    vpc_cidr = network_stack.template()["Parameters"]["VpcCidr"]["Default"]
    for table in tables["RouteTables"]:
        destinations = {r.get("DestinationCidrBlock") for r in table["Routes"]} - {None}
        assert destinations == {vpc_cidr}, table
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [created["Vpc"]]}]
    )
    assert gateways["InternetGateways"] == []


def test_the_endpoints_the_task_and_the_invoker_need(front: Any) -> None:
    created, clients = front
    found = clients("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [created["Vpc"]]}]
    )["VpcEndpoints"]
    services = {e["ServiceName"].removeprefix(f"com.amazonaws.{REGION}."): e for e in found}
    assert set(services) == {"s3", "dynamodb", *network_stack.INTERFACE_ENDPOINTS.values()}
    assert services["s3"]["VpcEndpointType"] == "Gateway"
    assert services["logs"]["VpcEndpointType"] == "Interface"


def _ingress(clients: Any, group: str) -> list[tuple[int, str]]:
    (described,) = clients("ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"]
    return [
        (rule["FromPort"], pair["GroupId"])
        for rule in described["IpPermissions"]
        for pair in rule["UserIdGroupPairs"]
    ] + [
        (rule["FromPort"], r["CidrIp"])
        for rule in described["IpPermissions"]
        for r in rule["IpRanges"]
    ]


def test_each_group_admits_only_the_hop_before_it(front: Any) -> None:
    created, clients = front
    groups = {name: created[name] for name in ("CallerSecurityGroup", "AlbSecurityGroup")}
    groups |= {name: created[name] for name in ("TaskSecurityGroup", "EndpointSecurityGroup")}
    assert _ingress(clients, groups["AlbSecurityGroup"]) == [(80, groups["CallerSecurityGroup"])]
    assert _ingress(clients, groups["TaskSecurityGroup"]) == [
        (PORT.default, groups["AlbSecurityGroup"])
    ]
    assert _ingress(clients, groups["EndpointSecurityGroup"]) == [
        (443, groups["TaskSecurityGroup"])
    ]
    assert _ingress(clients, groups["CallerSecurityGroup"]) == []


def test_the_internal_alb_forwards_to_the_proxy_port_and_checks_liveness(front: Any) -> None:
    created, clients = front
    elbv2 = clients("elbv2")
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[created["LoadBalancer"]])[
        "LoadBalancers"
    ]
    assert balancer["Scheme"] == "internal"
    assert balancer["SecurityGroups"] == [created["AlbSecurityGroup"]]
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[created["TargetGroup"]])[
        "TargetGroups"
    ]
    assert (group["Port"], group["TargetType"]) == (PORT.default, "ip")
    assert group["HealthCheckPath"] == LIVENESS_PATH
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=created["LoadBalancer"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    (action,) = listener["DefaultActions"]
    assert action["TargetGroupArn"] == created["TargetGroup"]
    # The URL the test invoker gets (the functions' stack imports it).
    exports = {e["Name"]: e["Value"] for e in clients("cloudformation").list_exports()["Exports"]}
    names = StageNames(STAGE)
    assert exports[names.export(network_stack.API_URL_EXPORT)] == f"http://{balancer['DNSName']}"


def test_the_service_runs_the_task_definition_in_the_cluster(front: Any) -> None:
    # moto's CloudFormation keeps a service's cluster, name, count and task definition
    # only, and a task definition's family, containers, volumes and memory: the rest
    # (load balancers, subnets, circuit breaker, roles, launch type) is held on the
    # template (test_front_templates.py).
    created, clients = front
    names = StageNames(STAGE)
    ecs = clients("ecs")
    (service,) = ecs.describe_services(cluster=names.ecs_cluster, services=[names.ecs_service])[
        "services"
    ]
    assert service["desiredCount"] == settings_of("prd").ecs_tasks
    assert service["taskDefinition"] == created["TaskDefinition"]
    task = ecs.describe_task_definition(taskDefinition=created["TaskDefinition"])["taskDefinition"]
    assert task["family"] == names.ecs_service
    (app,) = [c for c in task["containerDefinitions"] if c["name"] == API_CONTAINER]
    assert app["portMappings"][0]["containerPort"] == PORT.default
    environment = {pair["name"]: pair["value"] for pair in app["environment"]}
    assert environment[PORT.name] == str(PORT.default)
    assert environment[STAGE_SETTING.name] == STAGE


def _inline(iam: Any, role: str) -> str:
    return json.dumps(
        [
            iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
    )


def test_the_task_role_carries_the_api_functions_policy_and_the_execution_role_not(
    front: Any,
) -> None:
    created, clients = front
    names = StageNames(STAGE)
    iam = clients("iam")
    task = _inline(iam, created["TaskRole"])
    # The API function's policy, rendered for this stage, region and account.
    assert f":{REGION}:" in task and f"table/{names.prediction_table}" in task
    assert f"endpoint/{names.endpoint}" in task
    assert "${" not in task
    execution = _inline(iam, created["ExecutionRole"])
    assert "dynamodb" not in execution and "sagemaker" not in execution
    assert f"repository/{names.proxy_image_repository}" in execution


def test_the_tasks_log_group_keeps_the_old_name_and_the_stage_retention(front: Any) -> None:
    _, clients = front
    names = StageNames(STAGE)
    (group,) = clients("logs").describe_log_groups(logGroupNamePrefix=names.ecs_log_group)[
        "logGroups"
    ]
    assert group["logGroupName"] == f"/aws/ecs/property-value-predictor-api-{STAGE}"
    assert group["retentionInDays"] == settings_of("prd").access_log_days


@pytest.mark.slow
def test_the_invoker_runs_in_the_private_subnets_and_calls_the_alb(
    front: Any, moto_server: RunningServer, dev_package: Package
) -> None:
    created, clients = front
    names = StageNames(STAGE)
    env, more = _moto(moto_server, ("s3", "lambda"))
    more["s3"].create_bucket(Bucket=names.bucket)  # the data stack's, which this needs not

    functions = moto_deploy.deploy_functions(
        lambda name: more.get(name) or clients(name),
        STAGE,
        dev_package,
        env,
        settings=settings_of("prd"),
    )

    invoker = more["lambda"].get_function_configuration(FunctionName=names.function(TEST_INVOKER))
    assert sorted(invoker["VpcConfig"]["SubnetIds"]) == sorted(
        created[s] for s in network_stack.SUBNETS
    )
    assert invoker["VpcConfig"]["SecurityGroupIds"] == [created["CallerSecurityGroup"]]
    (balancer,) = clients("elbv2").describe_load_balancers(
        LoadBalancerArns=[created["LoadBalancer"]]
    )["LoadBalancers"]
    variables = invoker["Environment"]["Variables"]
    assert variables[API_URL.name] == f"http://{balancer['DNSName']}"
    # Its role may attach it to the VPC; its code may not.
    role = functions["TestInvokerRole"]
    assert "lambda:SourceFunctionArn" in _inline(clients("iam"), role)
    assert "ec2:CreateNetworkInterface" in _inline(clients("iam"), role)
    # No other function is in the VPC.
    api = more["lambda"].get_function_configuration(FunctionName=names.api_function)
    assert not api.get("VpcConfig", {}).get("SubnetIds")
