"""infra/pipeline.yaml: the delivery pipeline, one per account (DELIVERY_STACK).

Source (a CodeStar connection to GitHub, or CodeCommit: the `SourceProvider`
parameter) -> dev -> stg -> a manual approval -> prd. Each stage's deploy action runs
buildspec.yml (`make test`, `make package`, `make deploy` for the stage), then its smoke
action runs buildspec-smoke.yml (`make smoke`): a failed build fails the action, and
CodePipeline runs nothing after a failed action, so a stage that fails its smoke test
is never promoted. Each stage has its own two CodeBuild projects and roles, whose
permissions name only that stage's resources (devtools/infra/delivery_roles.py), and
the project sets STAGE: no action can point a build at another stage.

AWS documentation that shapes it (docs.aws.amazon.com):
- CodePipeline's action references, codepipeline/latest/userguide/
  action-reference-CodestarConnectionSource.html and action-reference-CodeCommit.html:
  the configuration keys; `OutputArtifactFormat: CODEBUILD_CLONE_REF` ("full clone")
  hands CodeBuild a git clone, for which the build role needs
  `codestar-connections:UseConnection` or `codecommit:GitPull`. The zip format drops
  symbolic links (the CDK's CodeStarConnectionsSourceAction `codeBuildCloneOutput`
  documents it), and `vendor/chalice_app` is one. CodeCommit's pushes reach the
  pipeline through an EventBridge rule, with `PollForSourceChanges: false` so that
  each push starts one execution, not two.
- action-reference-CodeBuild.html (ProjectName; the build's failure is the action's)
  and approvals-action-add.html (Category Approval, Provider Manual; an approval not
  given within 7 days fails).
- CodeBuild's codebuild/latest/userguide/build-spec-ref.html (runtime-versions,
  on-failure), available-runtimes.html (Amazon Linux 2023 standard 5.0 carries Python
  3.11, the runtime the Lambda package is built for: devtools/infra/layer.py RUNTIME)
  and sample-runtime-versions.html (Docker in a build needs privileged mode).
- IAM's quotas (IAM/latest/UserGuide/reference_iam-quotas.html): devtools/infra/
  delivery_roles.py.
"""

from __future__ import annotations

from typing import Any

from contract.resources import (
    APP_NAME,
    DELIVERY_PIPELINE,
    DELIVERY_STACK,
    SHIPPED_STAGES,
    StageNames,
)
from devtools.infra import buckets, delivery_roles
from devtools.infra.cfn import Template, checkov_skips, get_att, ref, sub

SOURCE = "devtools/infra/pipeline_stack.py"
DEPLOY_BUILDSPEC = "buildspec.yml"
SMOKE_BUILDSPEC = "buildspec-smoke.yml"
# The stage the manual approval guards.
APPROVED_STAGE = "prd"
# CodeBuild's Amazon Linux 2023 standard image, with Python 3.11 among its runtimes (the
# identifier AWS uses since 2024-11; `amazonlinux2-...:5.0` names the same image).
BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
# make test (under 10 minutes on a fresh clone), the model image's build and push, and
# the stacks' updates; then the smoke test (dev waits for a first model: SMOKE_WAIT).
DEPLOY_MINUTES = 90
SMOKE_MINUTES = {"dev": 45}
SMOKE_WAIT = {"dev": 1800}  # seconds: a fresh dev's first training run deploys a model
BUILD_LOG_DAYS = 90
ARTIFACT_DAYS = 30
CONNECTION = "CodeStarSourceConnection"
CODECOMMIT = "CodeCommit"
FROM_CONNECTION = "FromConnection"
FROM_CODECOMMIT = "FromCodeCommit"
SOURCE_ARTIFACT = "Source"


def _logical(stage: str, what: str) -> str:
    return f"{stage.capitalize()}{what}"


def _parameters() -> dict[str, Any]:
    return {
        "SourceProvider": {
            "Type": "String",
            "AllowedValues": [CONNECTION, CODECOMMIT],
            "Default": CONNECTION,
            "Description": "GitHub through a CodeStar connection, or a CodeCommit repository",
        },
        "ConnectionArn": {
            "Type": "String",
            "Default": "",
            "Description": "The CodeStar connection to GitHub (CodeStarSourceConnection only)",
        },
        "FullRepositoryId": {
            "Type": "String",
            "Default": "",
            "Description": "owner/name of the GitHub repository (CodeStarSourceConnection only)",
        },
        "CodeCommitRepository": {
            "Type": "String",
            "Default": "",
            "Description": "The CodeCommit repository's name (CodeCommit only)",
        },
        "BranchName": {"Type": "String", "Default": "main"},
    }


def _rules() -> dict[str, Any]:
    """The chosen source's parameters must be given: a clear error before any change."""

    def given(provider: str, parameters: list[str]) -> dict[str, Any]:
        return {
            "RuleCondition": {"Fn::Equals": [ref("SourceProvider"), provider]},
            "Assertions": [
                {
                    "Assert": {"Fn::Not": [{"Fn::Equals": [ref(name), ""]}]},
                    "AssertDescription": f"{provider} needs {name}",
                }
                for name in parameters
            ],
        }

    return {
        "ConnectionSource": given(CONNECTION, ["ConnectionArn", "FullRepositoryId"]),
        "CodeCommitSource": given(CODECOMMIT, ["CodeCommitRepository"]),
    }


def _conditions() -> dict[str, Any]:
    return {
        FROM_CONNECTION: {"Fn::Equals": [ref("SourceProvider"), CONNECTION]},
        FROM_CODECOMMIT: {"Fn::Equals": [ref("SourceProvider"), CODECOMMIT]},
    }


def _repository_arn() -> dict[str, str]:
    return sub(
        "arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:${CodeCommitRepository}"
    )


def _source_statements(*, pipeline: bool) -> list[Any]:
    """Reading the source: the pipeline's source action, or a build's git clone."""
    reads = [
        "codecommit:GetBranch",
        "codecommit:GetCommit",
        "codecommit:GetRepository",
        "codecommit:UploadArchive",
        "codecommit:GetUploadArchiveStatus",
        "codecommit:CancelUploadArchive",
    ]
    codecommit = reads if pipeline else ["codecommit:GitPull"]
    return [
        {
            "Fn::If": [
                FROM_CONNECTION,
                delivery_roles.allow(
                    "UseConnection",
                    ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                    # A Sub, so cfn-lint's finding is the role's (SOURCE_ARN_IGNORES).
                    [sub("${ConnectionArn}")],
                ),
                ref("AWS::NoValue"),
            ]
        },
        {
            "Fn::If": [
                FROM_CODECOMMIT,
                delivery_roles.allow("ReadRepository", codecommit, [_repository_arn()]),
                ref("AWS::NoValue"),
            ]
        },
    ]


def _artifacts(actions: list[str]) -> dict[str, Any]:
    return delivery_roles.allow("Artifacts", actions, [sub("${ArtifactBucket.Arn}/*")])


# cfn-lint reads an ARN parameter at its empty default, even in the statement of the
# source not chosen; CloudFormation refuses the chosen source's empty parameter first
# (the template's Rules), so no role is ever made with an empty ARN.
SOURCE_ARN_IGNORES = {
    "cfn-lint": {"config": {"ignore_checks": ["W1030", "W1031"]}},
    "cfn-lint-why": "the source's ARN parameters are checked non-empty by the template's "
    "Rules before any resource is made; cfn-lint reads their empty defaults",
}


def _role(service: str, statements: list[Any], description: str) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Metadata": SOURCE_ARN_IGNORES,
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "least-privilege",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
            "Tags": [{"Key": "app", "Value": APP_NAME}],
        },
    }


def _build_role(
    project: str, statements: list[Any], what: str, managed: list[str] | None = None
) -> dict[str, Any]:
    """A CodeBuild role: its logs, the artifacts and the source inline, with `statements`;
    `managed` names the managed policies (logical ids) it also holds."""
    group = f"/aws/codebuild/{project}"
    own = [
        delivery_roles.allow(
            "BuildLogs",
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [
                delivery_roles.arn("logs", f"log-group:{group}"),
                delivery_roles.arn("logs", f"log-group:{group}:log-stream:*"),
            ],
        ),
        _artifacts(["s3:GetObject", "s3:GetObjectVersion"]),
        _artifact_bucket_reads(),
        *_source_statements(pipeline=False),
    ]
    role = _role("codebuild.amazonaws.com", own + statements, what)
    if managed:
        role["Properties"]["ManagedPolicyArns"] = [ref(name) for name in managed]
    return role


def _managed_policies(logical: str, statements: list[Any], what: str) -> dict[str, Any]:
    """`statements` as managed policies `<logical>Policy<n>`, each within IAM's size."""
    packed = delivery_roles.packed(statements)
    return {
        f"{logical}Policy{number}": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": f"{what} ({number} of {len(packed)})",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": part},
            },
        }
        for number, part in enumerate(packed, start=1)
    }


def _artifact_bucket_reads() -> dict[str, Any]:
    return delivery_roles.allow(
        "ArtifactBucket",
        ["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:GetBucketAcl"],
        [get_att("ArtifactBucket", "Arn")],
    )


def _project(
    name: str, logical: str, buildspec: str, stage: str, minutes: int, *, docker: bool
) -> dict[str, Any]:
    """A CodeBuild project `name`; `logical` names its role (`<logical>Role`) and log
    group (`<logical>Logs`)."""
    variables = [{"Name": "STAGE", "Value": stage, "Type": "PLAINTEXT"}]
    if buildspec == SMOKE_BUILDSPEC:
        wait = str(SMOKE_WAIT.get(stage, 0))
        variables.append({"Name": "SMOKE_WAIT", "Value": wait, "Type": "PLAINTEXT"})
    return {
        "Type": "AWS::CodeBuild::Project",
        "DependsOn": [f"{logical}Logs"],
        "Properties": {
            "Name": name,
            "ServiceRole": get_att(f"{logical}Role", "Arn"),
            "Source": {"Type": "CODEPIPELINE", "BuildSpec": buildspec},
            "Artifacts": {"Type": "CODEPIPELINE"},
            "Environment": {
                "Type": "LINUX_CONTAINER",
                "ComputeType": "BUILD_GENERAL1_MEDIUM" if docker else "BUILD_GENERAL1_SMALL",
                "Image": BUILD_IMAGE,
                # make deploy builds and pushes the model image: Docker in CodeBuild
                # runs only in privileged mode, so only the deploy projects have it.
                "PrivilegedMode": docker,
                "EnvironmentVariables": variables,
            },
            "TimeoutInMinutes": minutes,
            "LogsConfig": {
                "CloudWatchLogs": {"Status": "ENABLED", "GroupName": f"/aws/codebuild/{name}"}
            },
            "Tags": [{"Key": "app", "Value": APP_NAME}, {"Key": "stage", "Value": stage}],
        },
    }


def _log_group(project: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Logs::LogGroup",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_158",
                "CloudWatch Logs encrypts every group; a customer key adds a monthly "
                "charge, and build logs carry no key (the smoke test prints none)",
            )
        ),
        "Properties": {
            "LogGroupName": f"/aws/codebuild/{project}",
            "RetentionInDays": BUILD_LOG_DAYS,
        },
    }


def stage_resources(stage: str) -> dict[str, Any]:
    """The stage's two CodeBuild projects, their roles and their log groups."""
    names = StageNames(stage)
    deploy, smoke = _logical(stage, "Deploy"), _logical(stage, "Smoke")
    # Too large for a role's inline policies (IAM's quota): managed policies hold it.
    policies = _managed_policies(
        deploy, delivery_roles.deploy_statements(names), f"What make deploy needs for {stage}"
    )
    return {
        f"{deploy}Logs": _log_group(names.deploy_project),
        **policies,
        f"{deploy}Role": _build_role(
            names.deploy_project,
            [],
            f"Runs make test, make package and make deploy for {stage}",
            managed=list(policies),
        ),
        f"{deploy}Project": _project(
            names.deploy_project, deploy, DEPLOY_BUILDSPEC, stage, DEPLOY_MINUTES, docker=True
        ),
        f"{smoke}Logs": _log_group(names.smoke_project),
        f"{smoke}Role": _build_role(
            names.smoke_project,
            delivery_roles.smoke_statements(names),
            f"Runs make smoke for {stage}: its key, its test invoker",
        ),
        f"{smoke}Project": _project(
            names.smoke_project,
            smoke,
            SMOKE_BUILDSPEC,
            stage,
            SMOKE_MINUTES.get(stage, 15),
            docker=False,
        ),
    }


def _build_action(name: str, project: str, order: int) -> dict[str, Any]:
    """Runs the CodeBuild project of logical id `project` (a Ref: the pipeline is made
    after it); a later RunOrder starts only when every earlier action succeeded."""
    return {
        "Name": name,
        "ActionTypeId": {
            "Category": "Build",
            "Owner": "AWS",
            "Provider": "CodeBuild",
            "Version": "1",
        },
        "Configuration": {"ProjectName": ref(project)},
        "InputArtifacts": [{"Name": SOURCE_ARTIFACT}],
        "RunOrder": order,
    }


def _deploy_stage(stage: str) -> dict[str, Any]:
    return {
        "Name": stage,
        "Actions": [
            _build_action("Deploy", f"{_logical(stage, 'Deploy')}Project", 1),
            _build_action("Smoke", f"{_logical(stage, 'Smoke')}Project", 2),
        ],
    }


def _approval() -> dict[str, Any]:
    return {
        "Name": f"Approve-{APPROVED_STAGE}",
        "Actions": [
            {
                "Name": "Approve",
                "ActionTypeId": {
                    "Category": "Approval",
                    "Owner": "AWS",
                    "Provider": "Manual",
                    "Version": "1",
                },
                "Configuration": {
                    "CustomData": f"stg passed its smoke test: deploy this revision to "
                    f"{APPROVED_STAGE}?"
                },
                "RunOrder": 1,
            }
        ],
    }


def _source_stage() -> dict[str, Any]:
    artifact = [{"Name": SOURCE_ARTIFACT}]
    connection = {
        "Name": "Source",
        "ActionTypeId": {
            "Category": "Source",
            "Owner": "AWS",
            "Provider": CONNECTION,
            "Version": "1",
        },
        # CodePipeline's action configuration is a map of strings.
        "Configuration": {
            "ConnectionArn": ref("ConnectionArn"),
            "FullRepositoryId": ref("FullRepositoryId"),
            "BranchName": ref("BranchName"),
            "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
            "DetectChanges": "true",
        },
        "OutputArtifacts": artifact,
        "RunOrder": 1,
    }
    codecommit = {
        "Name": "Source",
        "ActionTypeId": {
            "Category": "Source",
            "Owner": "AWS",
            "Provider": CODECOMMIT,
            "Version": "1",
        },
        "Configuration": {
            "RepositoryName": ref("CodeCommitRepository"),
            "BranchName": ref("BranchName"),
            "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
            "PollForSourceChanges": "false",
        },
        "OutputArtifacts": artifact,
        "RunOrder": 1,
    }
    return {"Name": "Source", "Actions": [{"Fn::If": [FROM_CONNECTION, connection, codecommit]}]}


def stages() -> list[dict[str, Any]]:
    """Source, then each shipped stage in order, the approval before APPROVED_STAGE."""
    found = [_source_stage()]
    for stage in SHIPPED_STAGES:
        if stage == APPROVED_STAGE:
            found.append(_approval())
        found.append(_deploy_stage(stage))
    return found


def _projects() -> list[dict[str, str]]:
    return [
        delivery_roles.arn("codebuild", f"project/{project}")
        for stage in SHIPPED_STAGES
        for project in (StageNames(stage).deploy_project, StageNames(stage).smoke_project)
    ]


def _pipeline_role() -> dict[str, Any]:
    builds = delivery_roles.allow(
        "StageBuilds", ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], _projects()
    )
    statements = [
        _artifact_bucket_reads(),
        _artifacts(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]),
        builds,
        *_source_statements(pipeline=True),
    ]
    return _role("codepipeline.amazonaws.com", statements, "Runs the delivery pipeline")


def _artifact_bucket() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_18",
                "access logs need a second bucket; the pipeline's own history says "
                "which execution wrote each artifact",
            ),
        ),
        "Properties": {
            **buckets.private_bucket(),
            # An artifact is read by the execution that wrote it, and by a retry.
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "artifacts-expire",
                        "Status": "Enabled",
                        "ExpirationInDays": ARTIFACT_DAYS,
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
            "Tags": [{"Key": "app", "Value": APP_NAME}],
        },
    }


def _codecommit_trigger() -> dict[str, Any]:
    pipeline = delivery_roles.arn("codepipeline", DELIVERY_PIPELINE)
    return {
        "SourceEventRole": {
            **_role(
                "events.amazonaws.com",
                [
                    delivery_roles.allow(
                        "StartPipeline", ["codepipeline:StartPipelineExecution"], [pipeline]
                    )
                ],
                "Starts the delivery pipeline on a push to the branch",
            ),
            "Condition": FROM_CODECOMMIT,
        },
        "SourceEventRule": {
            "Type": "AWS::Events::Rule",
            "Condition": FROM_CODECOMMIT,
            "Properties": {
                "Description": "A push to the branch starts the delivery pipeline",
                "EventPattern": {
                    "source": ["aws.codecommit"],
                    "detail-type": ["CodeCommit Repository State Change"],
                    "resources": [_repository_arn()],
                    "detail": {
                        "event": ["referenceCreated", "referenceUpdated"],
                        "referenceType": ["branch"],
                        "referenceName": [ref("BranchName")],
                    },
                },
                "Targets": [
                    {
                        "Id": "pipeline",
                        "Arn": pipeline,
                        "RoleArn": get_att("SourceEventRole", "Arn"),
                    }
                ],
            },
        },
    }


def template() -> Template:
    resources: dict[str, Any] = {
        "ArtifactBucket": _artifact_bucket(),
        "ArtifactBucketPolicy": buckets.tls_only(
            "ArtifactBucket", [get_att("ArtifactBucket", "Arn"), sub("${ArtifactBucket.Arn}/*")]
        ),
        "PipelineRole": _pipeline_role(),
    }
    for stage in SHIPPED_STAGES:
        resources |= stage_resources(stage)
    resources["Pipeline"] = {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {
            "Name": DELIVERY_PIPELINE,
            "PipelineType": "V2",
            "RoleArn": get_att("PipelineRole", "Arn"),
            "ArtifactStore": {"Type": "S3", "Location": ref("ArtifactBucket")},
            "Stages": stages(),
            "Tags": [{"Key": "app", "Value": APP_NAME}],
        },
    }
    resources |= _codecommit_trigger()
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: the delivery pipeline dev -> stg -> approval -> prd "
        f"({DELIVERY_STACK})",
        "Parameters": _parameters(),
        "Rules": _rules(),
        "Conditions": _conditions(),
        "Resources": resources,
        "Outputs": {
            "PipelineName": {"Value": ref("Pipeline")},
            "ArtifactBucket": {"Value": ref("ArtifactBucket")},
        },
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)
