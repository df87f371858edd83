"""infra/account.yaml: what every stage of an account shares, deployed once per account.

The image repositories (the model's, which the pipeline's jobs and the endpoint pull,
the ECS proxy's, and AWS's Fluent Bit mirrored for the ECS tasks' log router, which
reach no public registry), each tagged per stage; and API Gateway's account setting
that lets it write access logs (one per account and region, so not a stage's).
"""

from __future__ import annotations

import json
from typing import Any

from contract.resources import ACCOUNT_STACK, APP_NAME, StageNames
from devtools.infra.cfn import Template, checkov_skips, get_att, sub

SOURCE = "devtools/infra/account_stack.py"
NAMES = StageNames.template()
# Untagged images kept per repository. A stage's tag moves to each new image; the old
# one stays untagged while a model version still names it by digest (each stage keeps
# DEPLOY_KEEP endpoint configs, 3 by default, for rollback), so keep many more than
# stages x DEPLOY_KEEP.
UNTAGGED_KEPT = 30
LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": f"keep the {UNTAGGED_KEPT} newest untagged images",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": UNTAGGED_KEPT,
            },
            "action": {"type": "expire"},
        }
    ]
}


def _repository(name: str, what: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ECR::Repository",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_51",
                "the stage tag (:dev, :prd) moves to each new image by design; "
                "models are served by digest, which never moves",
            ),
            (
                "CKV_AWS_136",
                "AES256 at rest; a KMS key adds a monthly charge and nothing "
                "another account must decrypt",
            ),
        ),
        "Properties": {
            "RepositoryName": name,
            "ImageTagMutability": "MUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "AES256"},
            "LifecyclePolicy": {"LifecyclePolicyText": json.dumps(LIFECYCLE, indent=2)},
            "Tags": [{"Key": "app", "Value": APP_NAME}, {"Key": "image", "Value": what}],
        },
    }


def template() -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: image repositories and API Gateway logging ({ACCOUNT_STACK})",
        "Resources": {
            "ModelImageRepository": _repository(NAMES.model_image_repository, "model"),
            "ProxyImageRepository": _repository(NAMES.proxy_image_repository, "proxy"),
            "LogRouterImageRepository": _repository(
                NAMES.log_router_image_repository, "log-router"
            ),
            "ApiGatewayLoggingRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": "Lets API Gateway write the stages' access logs",
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "apigateway.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "ManagedPolicyArns": [
                        sub(
                            "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                            "AmazonAPIGatewayPushToCloudWatchLogs"
                        )
                    ],
                },
            },
            # API Gateway refuses a stage's access log until the account names this role.
            "ApiGatewayAccount": {
                "Type": "AWS::ApiGateway::Account",
                "Properties": {"CloudWatchRoleArn": get_att("ApiGatewayLoggingRole", "Arn")},
            },
        },
        "Outputs": {
            "ModelImageRepositoryUri": {"Value": get_att("ModelImageRepository", "RepositoryUri")},
            "ProxyImageRepositoryUri": {"Value": get_att("ProxyImageRepository", "RepositoryUri")},
            "LogRouterImageRepositoryUri": {
                "Value": get_att("LogRouterImageRepository", "RepositoryUri")
            },
        },
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)
