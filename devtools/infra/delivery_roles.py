"""What the delivery pipeline's CodeBuild roles may do, per stage: IAM statements built
from the contract's names of that stage, so the dev build cannot touch stg or prd.

The deploy role runs `make deploy`, which calls CloudFormation without a service role:
CloudFormation then creates each resource with the caller's permissions, so the role
needs every resource type the stage's stacks hold (GRANTS, one entry per IAM service;
tests/unit/devtools/infra/test_pipeline_stack.py fails on a type none covers), plus the
deploy's own calls (ECR push, the layer, the data upload, the pipeline upsert and the
first run). The smoke role reads the stage's key and invokes its test invoker: nothing
else. Where an action takes no resource ARN the statement says why it is `*`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from contract.resources import ACCOUNT_STACK, TEST_INVOKER, StageNames
from devtools.infra.cfn import sub

Statement = dict[str, Any]
# The only statements on every resource (`*`), each because its actions take no
# resource ARN (the Service Authorization Reference lists none for them).
UNSCOPED = {
    "ListLayerVersions": "the deploy asks for its own stage's layer; the call names no ARN",
    "RandomKey": "GetRandomPassword (the first key) belongs to no secret",
    "RegistryLogin": "docker login's token is the registry's, not a repository's",
    "DescribeLogGroups": "it lists groups by prefix and names no group",
    "DescribeNetwork": "EC2's Describe calls take no resource ARN (Lambda's VPC check too)",
    "TaskDefinitions": "ECS registers and describes a task definition by family, no ARN",
    "NewKey": "CreateKey names no key: the call makes the key and its ARN",
    "DescribeAlarms": "CloudWatch lists alarms by name prefix and names no alarm",
}
# Resources whose ids or names AWS generates (a VPC's pieces, the load balancer and its
# target group, a KMS key) or AWS's own (service-linked roles): their ARNs cannot name
# the stage before they exist, so a grant on them reaches the account's and region's own.
GENERATED_IDS = (
    ":ec2:",
    ":elasticloadbalancing:",
    ":key/*",
    ":role/aws-service-role/*",
)
_ARN = "arn:${AWS::Partition}"
_HERE = "${AWS::Region}:${AWS::AccountId}"


def arn(service: str, resource: str, *, region: bool = True) -> dict[str, str]:
    where = _HERE if region else ":${AWS::AccountId}"
    return sub(f"{_ARN}:{service}:{where}:{resource}")


def allow(sid: str, actions: list[str], resources: list[Any], **extra: Any) -> Statement:
    if resources == ["*"] and sid not in UNSCOPED:
        raise ValueError(f"{sid}: a statement on every resource needs its reason in UNSCOPED")
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _stack(name: str) -> dict[str, str]:
    return arn("cloudformation", f"stack/{name}/*")


def cloudformation(names: StageNames) -> list[Statement]:
    # The stage's stacks: `<app>-<stage>` and `<app>-<stage>-<part>` (data, network,
    # ecs, alarms...), and the account's, which every stage's deploy updates (step 1).
    stacks = [
        _stack(ACCOUNT_STACK),
        _stack(names.functions_stack),
        _stack(f"{names.stage_prefix}*"),
    ]
    return [
        allow(
            "StageStacks",
            [
                "cloudformation:CreateChangeSet",
                "cloudformation:DescribeChangeSet",
                "cloudformation:ExecuteChangeSet",
                "cloudformation:DeleteChangeSet",
                "cloudformation:DescribeStacks",
                "cloudformation:DescribeStackEvents",
                "cloudformation:GetTemplateSummary",
            ],
            stacks,
        ),
        # Chalice's template is SAM: its change set runs AWS's transform.
        allow(
            "SamTransform",
            ["cloudformation:CreateChangeSet"],
            [sub(f"{_ARN}:cloudformation:${{AWS::Region}}:aws:transform/Serverless-2016-10-31")],
        ),
    ]


def _roles(names: StageNames) -> list[dict[str, str]]:
    # CloudFormation names a role it names itself `<stack>-<logical id>-<suffix>`.
    return [
        arn("iam", f"role/{names.stage_prefix}*", region=False),
        arn("iam", f"role/{ACCOUNT_STACK}-*", region=False),
        arn("iam", f"role/{names.sagemaker_role}", region=False),
    ]


def iam(names: StageNames) -> list[Statement]:
    return [
        allow(
            "StageRoles",
            [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            _roles(names),
        ),
        # Only to the services the stage's roles are for.
        allow(
            "PassStageRoles",
            ["iam:PassRole"],
            _roles(names),
            Condition={
                "StringEquals": {
                    "iam:PassedToService": [
                        "lambda.amazonaws.com",
                        "sagemaker.amazonaws.com",
                        "apigateway.amazonaws.com",
                        "ecs-tasks.amazonaws.com",
                    ]
                }
            },
        ),
    ]


def lambda_(names: StageNames) -> list[Statement]:
    functions = [
        arn("lambda", f"function:{names.api_function}"),
        arn("lambda", f"function:{names.stage_prefix}*"),
    ]
    layer = [arn("lambda", f"layer:{names.layer}"), arn("lambda", f"layer:{names.layer}:*")]
    return [
        allow(
            "StageFunctions",
            [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:ListVersionsByFunction",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
            ],
            functions,
        ),
        allow(
            "StageLayer",
            ["lambda:PublishLayerVersion", "lambda:GetLayerVersion"],
            layer,
        ),
        allow("ListLayerVersions", ["lambda:ListLayerVersions"], ["*"]),
    ]


def storage(names: StageNames) -> list[Statement]:
    bucket = f"{_ARN}:s3:::{names.bucket}"
    tables = [
        arn("dynamodb", f"table/{names.prediction_table}"),
        arn("dynamodb", f"table/{names.run_table}"),
    ]
    return [
        allow(
            "StageBucket",
            [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:PutEncryptionConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:PutBucketVersioning",
                "s3:GetBucketVersioning",
                "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketOwnershipControls",
                "s3:GetBucketOwnershipControls",
                "s3:PutLifecycleConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:PutBucketTagging",
                "s3:GetBucketTagging",
                "s3:PutBucketPolicy",
                "s3:GetBucketPolicy",
                "s3:DeleteBucketPolicy",
            ],
            [sub(bucket)],
        ),
        # The function zip (`cloudformation package`), the data, a run's inputs.
        allow("StageObjects", ["s3:GetObject", "s3:PutObject"], [sub(f"{bucket}/*")]),
        allow(
            "StageTables",
            [
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DescribeContributorInsights",
                "dynamodb:DescribeKinesisStreamingDestination",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
                # The first run's record (`python -m ops start`).
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:Query",
            ],
            tables,
        ),
    ]


def secrets(names: StageNames) -> list[Statement]:
    # A secret's ARN ends in a random 6-character suffix.
    secret = arn("secretsmanager", f"secret:{names.secret}-??????")
    return [
        allow(
            "StageSecret",
            [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:UpdateSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:RotateSecret",
                "secretsmanager:CancelRotateSecret",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
            ],
            [secret],
        ),
        allow("RandomKey", ["secretsmanager:GetRandomPassword"], ["*"]),
    ]


def sagemaker(names: StageNames) -> list[Statement]:
    return [
        allow(
            "StageSageMaker",
            [
                "sagemaker:CreateModelPackageGroup",
                "sagemaker:DescribeModelPackageGroup",
                "sagemaker:DeleteModelPackageGroup",
                "sagemaker:CreatePipeline",
                "sagemaker:UpdatePipeline",
                "sagemaker:DescribePipeline",
                "sagemaker:StartPipelineExecution",
                "sagemaker:DescribeEndpoint",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
                "sagemaker:DeleteTags",
            ],
            [
                arn("sagemaker", f"model-package-group/{names.model_package_group}"),
                arn("sagemaker", f"pipeline/{names.pipeline}"),
                arn("sagemaker", f"endpoint/{names.endpoint}"),
            ],
        )
    ]


def images(names: StageNames) -> list[Statement]:
    repositories = [
        arn("ecr", f"repository/{names.model_image_repository}"),
        arn("ecr", f"repository/{names.proxy_image_repository}"),
        arn("ecr", f"repository/{names.log_router_image_repository}"),
    ]
    return [
        allow(
            "ImageRepositories",
            [
                # The account stack's repositories.
                "ecr:CreateRepository",
                "ecr:DeleteRepository",
                "ecr:DescribeRepositories",
                "ecr:PutLifecyclePolicy",
                "ecr:GetLifecyclePolicy",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:ListTagsForResource",
                "ecr:TagResource",
                "ecr:UntagResource",
                # docker push, and `sagemaker upsert` pinning the image by digest.
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:DescribeImages",
            ],
            repositories,
        ),
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
    ]


def api_and_logs(names: StageNames) -> list[Statement]:
    groups = [
        arn("logs", f"log-group:/aws/lambda/{names.api_function}"),
        arn("logs", f"log-group:/aws/lambda/{names.stage_prefix}*"),
        arn("logs", f"log-group:/aws/apigateway/{names.api_function}/*"),
        arn("logs", f"log-group:{names.ecs_log_group}"),
    ]
    return [
        # A REST API's ARN carries its generated id, not a name: the stage's API cannot
        # be told apart by ARN before it exists. /account is the account stack's setting.
        allow(
            "RestApis",
            [f"apigateway:{verb}" for verb in ("GET", "POST", "PUT", "PATCH", "DELETE")],
            [
                sub(f"{_ARN}:apigateway:${{AWS::Region}}::/restapis"),
                sub(f"{_ARN}:apigateway:${{AWS::Region}}::/restapis/*"),
                sub(f"{_ARN}:apigateway:${{AWS::Region}}::/account"),
                sub(f"{_ARN}:apigateway:${{AWS::Region}}::/tags/*"),
            ],
        ),
        allow(
            "StageLogGroups",
            [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
            ],
            groups,
        ),
        allow("DescribeLogGroups", ["logs:DescribeLogGroups"], ["*"]),
        allow(
            "StageSchedules",
            [
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:EnableRule",
                "events:DisableRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
            ],
            [arn("events", f"rule/{names.stage_prefix}*")],
        ),
    ]


def network(names: StageNames) -> list[Statement]:
    # A VPC's pieces and the load balancer get generated ids and names: their ARNs cannot
    # name the stage before they exist, so these reach the account's and region's own.
    ec2 = [
        arn("ec2", kind)
        for kind in (
            "vpc/*",
            "subnet/*",
            "route-table/*",
            "security-group/*",
            "security-group-rule/*",
            "vpc-endpoint/*",
        )
    ]
    balancers = [
        arn("elasticloadbalancing", kind)
        for kind in ("loadbalancer/app/*", "targetgroup/*", "listener/app/*", "listener-rule/app/*")
    ]
    return [
        allow(
            "StageNetwork",
            [
                "ec2:CreateVpc",
                "ec2:DeleteVpc",
                "ec2:ModifyVpcAttribute",
                "ec2:CreateSubnet",
                "ec2:DeleteSubnet",
                "ec2:ModifySubnetAttribute",
                "ec2:CreateRouteTable",
                "ec2:DeleteRouteTable",
                "ec2:AssociateRouteTable",
                "ec2:DisassociateRouteTable",
                "ec2:CreateSecurityGroup",
                "ec2:DeleteSecurityGroup",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:CreateVpcEndpoint",
                "ec2:ModifyVpcEndpoint",
                "ec2:DeleteVpcEndpoints",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            ec2,
        ),
        allow(
            "DescribeNetwork",
            [
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcAttribute",
                "ec2:DescribeSubnets",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribePrefixLists",
                "ec2:DescribeNetworkInterfaces",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeTags",
            ],
            ["*"],
        ),
        allow(
            "StageLoadBalancer",
            [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            balancers,
        ),
    ]


def containers(names: StageNames) -> list[Statement]:
    cluster = arn("ecs", f"cluster/{names.ecs_cluster}")
    service = arn("ecs", f"service/{names.ecs_cluster}/{names.ecs_service}")
    definitions = arn("ecs", f"task-definition/{names.ecs_service}:*")
    return [
        allow(
            "StageCluster",
            [
                "ecs:CreateCluster",
                "ecs:DeleteCluster",
                "ecs:DescribeClusters",
                "ecs:PutClusterCapacityProviders",
                "ecs:CreateService",
                "ecs:UpdateService",
                "ecs:DeleteService",
                "ecs:DescribeServices",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            [cluster, service, definitions],
        ),
        allow(
            "TaskDefinitions",
            [
                "ecs:RegisterTaskDefinition",
                "ecs:DeregisterTaskDefinition",
                "ecs:DescribeTaskDefinition",
            ],
            ["*"],
        ),
        # ECS and Elastic Load Balancing act through their service-linked roles, made once
        # per account on first use.
        allow(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            [arn("iam", "role/aws-service-role/*", region=False)],
            Condition={
                "StringEquals": {
                    "iam:AWSServiceName": [
                        "ecs.amazonaws.com",
                        "elasticloadbalancing.amazonaws.com",
                    ]
                }
            },
        ),
    ]


def alarms(names: StageNames) -> list[Statement]:
    topic = arn("sns", names.alarm_topic)
    return [
        allow(
            "StageAlarms",
            [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:PutDashboard",
                "cloudwatch:GetDashboard",
                "cloudwatch:DeleteDashboards",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
                "cloudwatch:ListTagsForResource",
            ],
            [
                arn("cloudwatch", f"alarm:{names.stage_prefix}*"),
                arn("cloudwatch", f"dashboard/{names.dashboard}", region=False),
            ],
        ),
        allow("DescribeAlarms", ["cloudwatch:DescribeAlarms"], ["*"]),
        allow(
            "StageAlarmTopic",
            [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
            ],
            [topic, sub(f"{_ARN}:sns:{_HERE}:{names.alarm_topic}:*")],
        ),
        allow("NewKey", ["kms:CreateKey"], ["*"]),
        # The topic's key: its id is generated, so the account's and region's keys.
        allow(
            "AlarmTopicKey",
            [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:GetKeyRotationStatus",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:ListResourceTags",
            ],
            [arn("kms", "key/*")],
        ),
    ]


def analytics(names: StageNames) -> list[Statement]:
    database = names.analytics_database
    return [
        # Glue checks every database and table call against the account's catalog too.
        allow(
            "StageGlueTables",
            [
                "glue:CreateDatabase",
                "glue:GetDatabase",
                "glue:UpdateDatabase",
                "glue:DeleteDatabase",
                "glue:CreateTable",
                "glue:GetTable",
                "glue:UpdateTable",
                "glue:DeleteTable",
            ],
            [
                arn("glue", "catalog"),
                arn("glue", f"database/{database}"),
                arn("glue", f"table/{database}/*"),
            ],
        ),
        allow(
            "StageWorkGroup",
            [
                "athena:CreateWorkGroup",
                "athena:GetWorkGroup",
                "athena:UpdateWorkGroup",
                "athena:DeleteWorkGroup",
                "athena:TagResource",
                "athena:UntagResource",
                "athena:ListTagsForResource",
            ],
            [arn("athena", f"workgroup/{names.analytics_workgroup}")],
        ),
    ]


# Each IAM service the stage's stacks create resources in, and its statements.
GRANTS = {
    "cloudformation": cloudformation,
    "iam": iam,
    "lambda": lambda_,
    "s3": storage,
    "dynamodb": storage,
    "secretsmanager": secrets,
    "sagemaker": sagemaker,
    "ecr": images,
    "apigateway": api_and_logs,
    "logs": api_and_logs,
    "events": api_and_logs,
    "ec2": network,
    "elasticloadbalancing": network,
    "ecs": containers,
    "cloudwatch": alarms,
    "sns": alarms,
    "kms": alarms,
    "glue": analytics,
    "athena": analytics,
}


def deploy_statements(names: StageNames) -> list[Statement]:
    """What `make deploy STAGE=<stage>` needs, on that stage's names."""
    seen: list[Statement] = []
    for grant in dict.fromkeys(GRANTS.values()):
        seen += grant(names)
    return seen


def smoke_statements(names: StageNames) -> list[Statement]:
    """What `make smoke STAGE=<stage>` needs: the stage's key, its test invoker."""
    return [
        allow(
            "ReadStageKey",
            ["secretsmanager:GetSecretValue"],
            [arn("secretsmanager", f"secret:{names.secret}-??????")],
        ),
        allow(
            "InvokeTestInvoker",
            ["lambda:InvokeFunction"],
            [arn("lambda", f"function:{names.function(TEST_INVOKER)}")],
        ),
    ]


# IAM's quotas (IAM and AWS STS quotas, "IAM object quotas"): a managed policy holds at
# most 6,144 characters and a role's inline policies 10,240 in all, white space not
# counted; a role takes 10 managed policies unless the account's quota is raised.
MANAGED_POLICY_CHARS = 6144
INLINE_POLICY_CHARS = 10240
MANAGED_POLICIES_PER_ROLE = 10
# The longest values the template's pseudo parameters take (`aws-us-gov`, a region such
# as `ap-southeast-5`, an account id), and what an ARN from another resource may take.
_WORST = {"${AWS::Partition}": "aws-us-gov", "${AWS::Region}": "ap-southeast-5"}
_WORST_ACCOUNT = "123456789012"
_OTHER_ARN = 200


def policy_chars(statements: list[Any]) -> int:
    """A policy's size as IAM counts it, each value at its longest once deployed."""

    def resolved(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
            text = value["Fn::Sub"]
            for name, longest in _WORST.items():
                text = text.replace(name, longest)
            text = text.replace("${AWS::AccountId}", _WORST_ACCOUNT)
            # A parameter or another resource's ARN, at the longest it may be.
            return re.sub(r"\$\{[^}]+\}", "x" * _OTHER_ARN, text)
        if isinstance(value, dict) and set(value) & {"Ref", "Fn::GetAtt"}:
            return "x" * _OTHER_ARN
        if isinstance(value, dict):
            return {k: resolved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolved(v) for v in value]
        return value

    document = {"Version": "2012-10-17", "Statement": resolved(statements)}
    return len(json.dumps(document, separators=(",", ":")))


def packed(statements: list[Statement], limit: int = MANAGED_POLICY_CHARS) -> list[list[Statement]]:
    """The statements in order, in as few policies of at most `limit` characters as fit."""
    policies: list[list[Statement]] = [[]]
    for statement in statements:
        if policies[-1] and policy_chars([*policies[-1], statement]) > limit:
            policies.append([])
        policies[-1].append(statement)
    return policies
