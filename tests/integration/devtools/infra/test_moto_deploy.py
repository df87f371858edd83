"""The infra/ templates deploy whole into moto_server's CloudFormation: the account and
data stacks (what every AWS test of the session runs on: the aws_stack fixture) and the
functions' stack from the real package, each resource created or the deploy fails."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalice_app.aws import prediction_log, run_table
from contract.resources import (
    ACCOUNT_STACK,
    FIRST_CLIENT,
    LAMBDA_FUNCTIONS,
    PLACEHOLDER_ACCOUNT,
    StageNames,
)
from devtools.infra import data_stack, moto_deploy
from devtools.infra.functions_stack import app_functions
from devtools.infra.package import Package
from devtools.launch import RunningServer
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, environ
from tests.conftest import TEST_STAGE, AwsStack

NAMES = StageNames(TEST_STAGE)


def _session(env: dict[str, str]) -> boto3.session.Session:
    with environ(env):
        return boto3.session.Session()


def _moto_env(moto: RunningServer) -> dict[str, str]:
    return {
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto.base_url,
    }


def _clients(env: dict[str, str]) -> Any:
    session = _session(env)
    with environ(env):
        made = {name: session.client(name) for name in ("cloudformation", "s3", "lambda")}
    return made.__getitem__


def test_the_data_stack_is_whole_and_what_moto_lacks_stands_in(aws_stack: AwsStack) -> None:
    session = _session(aws_stack.env)
    with environ(aws_stack.env):
        cloudformation = session.client("cloudformation")
        secrets = session.client("secretsmanager")
        sagemaker = session.client("sagemaker")
        dynamodb = session.client("dynamodb")
        iam = session.client("iam")
    stacks = {s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"]}
    assert {ACCOUNT_STACK, NAMES.data_stack} <= stacks
    resources = cloudformation.list_stack_resources(StackName=NAMES.data_stack)
    created = {r["LogicalResourceId"] for r in resources["StackResourceSummaries"]}
    _, removed = moto_deploy.without_unsupported(data_stack.template())
    assert created == set(data_stack.template()["Resources"]) - set(removed)
    # The secret is the template's shape: the first client's generated key.
    secret = json.loads(secrets.get_secret_value(SecretId=NAMES.secret)["SecretString"])
    assert secret == {FIRST_CLIENT: aws_stack.key}
    group = sagemaker.describe_model_package_group(ModelPackageGroupName=NAMES.model_package_group)
    assert group["ModelPackageGroupName"] == NAMES.model_package_group
    for table, module in [
        (NAMES.prediction_table, prediction_log),
        (NAMES.run_table, run_table),
    ]:
        described = dynamodb.describe_table(TableName=table)["Table"]
        assert described["KeySchema"] == module.TABLE_SCHEMA["KeySchema"]
    role = iam.get_role(RoleName=NAMES.sagemaker_role)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "sagemaker.amazonaws.com"
    }


def test_moto_skips_exactly_the_listed_types(moto_server: RunningServer) -> None:
    # GIVEN the whole data template, nothing taken out, for a stage of its own
    env = _moto_env(moto_server)
    cloudformation = _clients(env)("cloudformation")
    template = data_stack.template()
    template["Outputs"] = {}  # they name the secret, which moto does not make
    name = StageNames("skipped").data_stack
    # WHEN moto deploys it THEN it leaves out just the listed types
    with pytest.raises(moto_deploy.StackNotCreatedError) as failed:
        moto_deploy.create_stack(cloudformation, name, template, {"Stage": "skipped"})
    missing = {
        body["Type"]
        for logical, body in template["Resources"].items()
        if f"{logical} (" in str(failed.value)
    }
    listed_here = {body["Type"] for body in template["Resources"].values()} & set(
        moto_deploy.NOT_ON_MOTO
    )
    assert missing == listed_here


def test_a_type_moto_skips_unlisted_fails_the_deploy(moto_server: RunningServer) -> None:
    cloudformation = _clients(_moto_env(moto_server))("cloudformation")
    template = {
        "Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "kept"}},
            "Alarm": {  # moto's CloudFormation has no composite alarm
                "Type": "AWS::CloudWatch::CompositeAlarm",
                "Properties": {"AlarmName": "both", "AlarmRule": 'ALARM("a") AND ALARM("b")'},
            },
        }
    }
    assert "AWS::CloudWatch::CompositeAlarm" not in moto_deploy.NOT_ON_MOTO

    with pytest.raises(
        moto_deploy.StackNotCreatedError, match=r"Alarm \(AWS::CloudWatch::CompositeAlarm\)"
    ):
        moto_deploy.create_stack(cloudformation, "pvp-unlisted", template, {})


@pytest.mark.slow
def test_the_packaged_functions_deploy_with_the_contracts_names(
    aws_stack: AwsStack, dev_package: Package
) -> None:
    session = _session(aws_stack.env)
    with environ(aws_stack.env):
        clients = {n: session.client(n) for n in ("cloudformation", "s3", "lambda", "logs", "iam")}
    moto_env = {k: v for k, v in aws_stack.env.items() if k.startswith("AWS_")}

    created = moto_deploy.deploy_functions(clients.__getitem__, TEST_STAGE, dev_package, moto_env)

    # Every function under the name the pipeline's steps and the policies use.
    functions = {f["FunctionName"]: f for f in clients["lambda"].list_functions()["Functions"]}
    expected = [NAMES.api_function, *(NAMES.function(name) for name in app_functions())]
    assert set(expected) <= set(functions)
    assert set(app_functions()) <= set(LAMBDA_FUNCTIONS)
    # Every function takes the layer the deploy published (moto's CloudFormation drops a
    # function's Layers, so this reads the deployed template and the stack's parameter).
    (published,) = clients["lambda"].list_layer_versions(LayerName=NAMES.layer)["LayerVersions"]
    digest = dev_package.layer_zip.with_name("layer.zip.sha256").read_text().strip()
    assert published["Description"] == f"sha256:{digest}"
    cloudformation = clients["cloudformation"]
    (stack,) = cloudformation.describe_stacks(StackName=NAMES.functions_stack)["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["DependenciesLayer"] == published["LayerVersionArn"]
    body = cloudformation.get_template(StackName=NAMES.functions_stack)["TemplateBody"]
    deployed = body if isinstance(body, dict) else json.loads(body)
    for name in expected:
        (logical,) = [k for k, v in created.items() if v == name]
        properties = deployed["Resources"][logical]["Properties"]
        assert properties["Layers"] == [{"Ref": "DependenciesLayer"}]
        # Its log group, with the stage's retention, is the stack's (not Lambda's).
        (group,) = clients["logs"].describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")[
            "logGroups"
        ][:1]
        assert group["logGroupName"] == f"/aws/lambda/{name}"
        assert group["retentionInDays"] == 14
    # Each role's policy names this stack's region and account.
    role = created["ApiHandlerRole"]
    (policy_name,) = clients["iam"].list_role_policies(RoleName=role)["PolicyNames"]
    document = clients["iam"].get_role_policy(RoleName=role, PolicyName=policy_name)
    text = json.dumps(document["PolicyDocument"])
    assert f":{REGION}:{PLACEHOLDER_ACCOUNT}:table/{NAMES.prediction_table}" in text
    assert "${" not in text and ":*:*:" not in text
