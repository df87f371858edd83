"""The delivery pipeline's template, rendered from the contract (moto's CloudFormation has
no CodePipeline or CodeBuild, so its structure is what is tested here; cfn-lint and
checkov check it in make lint-infra): the stage order, a smoke action after every
deploy, each stage's builds on its own names, and no role allowed more than its job."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from contract.resources import ACCOUNT_STACK, SHIPPED_STAGES, TEST_INVOKER, StageNames
from devtools.infra import delivery_roles, deploy, pipeline_stack
from devtools.infra.cfn import load
from devtools.infra.plan import Context, Step
from tests.conftest import REPO_ROOT

TEMPLATE = pipeline_stack.template()
RESOURCES = TEMPLATE["Resources"]
# What Chalice's SAM template holds once AWS's transform expands it (build/<stage>/sam.yaml
# needs the layer built; these are its types: functions, their roles, schedules, the API).
SAM_EXPANDED = (
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::Lambda::Permission",
    "AWS::Events::Rule",
    "AWS::Logs::LogGroup",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
)
# The IAM service each CloudFormation namespace creates its resources through.
SERVICE = {
    "ApiGateway": "apigateway",
    "Athena": "athena",
    "CloudWatch": "cloudwatch",
    "DynamoDB": "dynamodb",
    "EC2": "ec2",
    "Glue": "glue",
    "ECR": "ecr",
    "ECS": "ecs",
    "ElasticLoadBalancingV2": "elasticloadbalancing",
    "Events": "events",
    "IAM": "iam",
    "KMS": "kms",
    "Lambda": "lambda",
    "Logs": "logs",
    "S3": "s3",
    "SageMaker": "sagemaker",
    "SecretsManager": "secretsmanager",
    "SNS": "sns",
}


def _pipeline_stages() -> list[dict[str, Any]]:
    stages: list[dict[str, Any]] = RESOURCES["Pipeline"]["Properties"]["Stages"]
    return stages


def _documents(role: dict[str, Any]) -> list[dict[str, Any]]:
    """A role's policy documents: inline, then the managed ones it holds."""
    properties = role["Properties"]
    inline = [policy["PolicyDocument"] for policy in properties["Policies"]]
    managed = [
        RESOURCES[arn["Ref"]]["Properties"]["PolicyDocument"]
        for arn in properties.get("ManagedPolicyArns", [])
    ]
    return inline + managed


def _roles() -> dict[str, list[dict[str, Any]]]:
    """Each role's statements, both branches of a source condition included."""
    found = {}
    for logical, resource in RESOURCES.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        statements = []
        for document in _documents(resource):
            for statement in document["Statement"]:
                if "Fn::If" in statement:
                    statements.append(statement["Fn::If"][1])
                else:
                    statements.append(statement)
        found[logical] = statements
    return found


@pytest.mark.parametrize("role", sorted(_roles()))
def test_every_role_fits_iams_size_quotas(role: str) -> None:
    properties = RESOURCES[role]["Properties"]
    inline = [s for p in properties["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert delivery_roles.policy_chars(inline) <= delivery_roles.INLINE_POLICY_CHARS
    managed = properties.get("ManagedPolicyArns", [])
    assert len(managed) <= delivery_roles.MANAGED_POLICIES_PER_ROLE
    for arn in managed:
        statements = RESOURCES[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        assert delivery_roles.policy_chars(statements) <= delivery_roles.MANAGED_POLICY_CHARS


def test_statements_too_many_for_one_policy_are_packed_into_several() -> None:
    statements = delivery_roles.deploy_statements(StageNames("prd"))
    assert delivery_roles.policy_chars(statements) > delivery_roles.MANAGED_POLICY_CHARS
    packed = delivery_roles.packed(statements)
    assert len(packed) > 1 and [s for part in packed for s in part] == statements
    assert all(
        delivery_roles.policy_chars(part) <= delivery_roles.MANAGED_POLICY_CHARS for part in packed
    )


def test_the_stages_run_source_dev_stg_approval_prd() -> None:
    names = [stage["Name"] for stage in _pipeline_stages()]
    assert names == ["Source", "dev", "stg", "Approve-prd", "prd"]
    (approval,) = _pipeline_stages()[3]["Actions"]
    assert approval["ActionTypeId"] == {
        "Category": "Approval",
        "Owner": "AWS",
        "Provider": "Manual",
        "Version": "1",
    }


@pytest.mark.parametrize("stage", SHIPPED_STAGES)
def test_each_deploy_is_followed_by_its_stages_smoke_test(stage: str) -> None:
    (found,) = [s for s in _pipeline_stages() if s["Name"] == stage]
    actions = sorted(found["Actions"], key=lambda action: action["RunOrder"])
    deploy, smoke = actions  # nothing else runs in the stage
    assert deploy["RunOrder"] < smoke["RunOrder"]  # a later run order waits for success
    names = StageNames(stage)
    for action, project, buildspec, docker in [
        (deploy, names.deploy_project, "buildspec.yml", True),
        (smoke, names.smoke_project, "buildspec-smoke.yml", False),
    ]:
        assert action["ActionTypeId"]["Provider"] == "CodeBuild"
        (logical,) = action["Configuration"]["ProjectName"].values()  # a Ref
        properties = RESOURCES[logical]["Properties"]
        assert properties["Name"] == project
        assert properties["Source"]["BuildSpec"] == buildspec
        assert (REPO_ROOT / buildspec).is_file()
        environment = properties["Environment"]
        assert {"Name": "STAGE", "Value": stage, "Type": "PLAINTEXT"} in environment[
            "EnvironmentVariables"
        ]
        # Docker only where the model image is built.
        assert environment["PrivilegedMode"] is docker


def test_the_source_is_a_connection_or_codecommit_cloned_with_its_links() -> None:
    (action,) = _pipeline_stages()[0]["Actions"]
    condition, connection, codecommit = action["Fn::If"]
    assert condition == pipeline_stack.FROM_CONNECTION
    assert connection["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert codecommit["ActionTypeId"]["Provider"] == "CodeCommit"
    for source in (connection, codecommit):
        # A CODE_ZIP artifact drops symbolic links: vendor/chalice_app is one.
        assert source["Configuration"]["OutputArtifactFormat"] == "CODEBUILD_CLONE_REF"
    assert (REPO_ROOT / "vendor" / "chalice_app").is_symlink()
    # CodeCommit's pushes come through EventBridge, not polling.
    assert codecommit["Configuration"]["PollForSourceChanges"] == "false"
    assert RESOURCES["SourceEventRule"]["Condition"] == pipeline_stack.FROM_CODECOMMIT


def test_the_artifact_bucket_is_encrypted_private_and_tls_only() -> None:
    bucket = RESOURCES["ArtifactBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (statement,) = RESOURCES["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("role", sorted(_roles()))
def test_no_role_has_a_wildcard_action_or_an_unexplained_wildcard_resource(role: str) -> None:
    for statement in _roles()[role]:
        actions = statement["Action"]
        assert all("*" not in action for action in actions), statement["Sid"]
        if "*" in statement["Resource"]:
            assert statement["Resource"] == ["*"]
            assert statement["Sid"] in delivery_roles.UNSCOPED, statement["Sid"]


def test_a_statement_on_every_resource_needs_its_reason() -> None:
    with pytest.raises(ValueError, match="UNSCOPED"):
        delivery_roles.allow("Anything", ["s3:GetObject"], ["*"])


@pytest.mark.parametrize("stage", SHIPPED_STAGES)
def test_a_stages_build_roles_name_only_that_stages_resources(stage: str) -> None:
    own = json.dumps([_roles()[f"{stage.capitalize()}{what}Role"] for what in ("Deploy", "Smoke")])
    for other in SHIPPED_STAGES:
        if other == stage:
            continue
        names = StageNames(other)
        for name in (names.stage_prefix, names.bucket, names.secret, names.run_table):
            assert name not in own, (stage, name)
    # Every resource named is the stage's, the account stack's or the build's own.
    names = StageNames(stage)
    for arn in re.findall(r"arn:\$\{AWS::Partition\}:[^\"]+", own):
        assert (
            f"-{stage}" in arn
            or ACCOUNT_STACK in arn
            or StageNames(stage).model_image_repository in arn
            or StageNames(stage).proxy_image_repository in arn
            or StageNames(stage).log_router_image_repository in arn
            or f"/{StageNames(stage).analytics_database}" in arn
            or arn.endswith(":catalog")  # Glue's: every database call names it too
            or any(generated in arn for generated in delivery_roles.GENERATED_IDS)
            or "transform/Serverless" in arn
            or "apigateway" in arn  # REST API ids are generated: delivery_roles says so
            or "codecommit" in arn  # the source repository
        ), arn


def test_the_smoke_role_reads_the_key_and_invokes_the_invoker_and_nothing_else() -> None:
    names = StageNames("stg")
    statements = delivery_roles.smoke_statements(names)
    assert {a for s in statements for a in s["Action"]} == {
        "secretsmanager:GetSecretValue",
        "lambda:InvokeFunction",
    }
    assert names.function(TEST_INVOKER) in json.dumps(statements)


def _deployed_types(stage: str) -> set[str]:
    """Every resource type `make deploy` creates: the infra/ templates its steps deploy (the
    deploy itself run with every step recorded, as --dry-run does), the functions' merge
    template, and what Chalice's SAM template expands to."""
    commands: list[list[str]] = []

    def record(step: Step) -> None:
        commands.append(step.command)

    deploy.deploy(Context(stage), record, record=lambda stage, arn: None)
    files = {
        command[command.index("--template-file") + 1]
        for command in commands
        if "--template-file" in command
    }
    assert {"infra/account.yaml", "infra/data.yaml"} <= files
    types = set(SAM_EXPANDED)
    for name in {f for f in files if f.startswith("infra/")} | {"infra/functions-merge.yaml"}:
        resources = load((REPO_ROOT / name).read_text())["Resources"].values()
        types |= {r["Type"] for r in resources if "Type" in r}  # the rest amend Chalice's
    return types


@pytest.mark.parametrize("stage", SHIPPED_STAGES)
def test_the_deploy_role_covers_every_resource_type_the_stages_stacks_hold(stage: str) -> None:
    # CloudFormation creates each resource with the deploy's own permissions: a new
    # type in a stack needs its service's grant in delivery_roles.GRANTS.
    types = _deployed_types(stage)
    namespaces = {t.split("::")[1] for t in types}
    assert namespaces <= set(SERVICE), f"map to an IAM service: {namespaces - set(SERVICE)}"
    granted = {
        action.split(":")[0]
        for s in delivery_roles.deploy_statements(StageNames(stage))
        for action in s["Action"]
    }
    assert {SERVICE[n] for n in namespaces} - granted == set()
