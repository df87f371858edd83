"""infra/data.yaml: a stage's data, which outlives every deploy of its functions.

The bucket (encrypted, versioned, public access blocked, TLS only), the prediction log
and run tables (keys from their adapters' TABLE_SCHEMA), the API keys secret (a first
key generated under FIRST_CLIENT), the Model Package Group and the SageMaker execution
role (infra/policies/sagemaker.json). Names are the contract's, with the stage left as
the `Stage` parameter. The secret's rotation schedule needs the rotation function, so
it lives in the functions' stack (infra/functions-merge.yaml).

No resource is retained when the stack is deleted: `make destroy` keeps this stack
unless asked (DATA=1), and then empties what CloudFormation cannot delete (the bucket's
versions, the group's model versions) and deletes it all, so a later deploy of the
same stage never collides with a retained name. prd's tables refuse even that
(DeletionProtection).
"""

from __future__ import annotations

import json
from typing import Any

from chalice_app.aws import prediction_log, run_table
from contract.resources import (
    APP_NAME,
    FIRST_CLIENT,
    STAGE_PATTERN,
    TTL_ATTRIBUTE,
    StageNames,
)
from devtools.infra import buckets, policies
from devtools.infra.cfn import Template, checkov_skips, get_att, ref, sub

SOURCE = "devtools/infra/data_stack.py"
# token_urlsafe(32) is 43 characters: the first key as long as a rotated one.
KEY_LENGTH = 43
# Old object versions (overwritten data, models) are kept this long, then expire.
NONCURRENT_DAYS = 30
NAMES = StageNames.template()
PROTECTED = "Protected"


def _tags() -> list[dict[str, Any]]:
    return [{"Key": "app", "Value": APP_NAME}, {"Key": "stage", "Value": ref("Stage")}]


def _bucket() -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_18",
                "access logs need a second bucket; CloudTrail data events "
                "audit reads where a stage needs it",
            ),
            (
                "CKV_AWS_145",
                "SSE-S3 encrypts at no cost per request; a KMS key adds a "
                "monthly charge and nothing another account must decrypt",
            ),
        ),
        "Properties": {
            "BucketName": sub(NAMES.bucket),
            **buckets.private_bucket(),
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "old-versions-expire",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_DAYS},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    }
                ]
            },
            "Tags": _tags(),
        },
    }


def _tls_only() -> dict[str, Any]:
    bucket = "arn:${AWS::Partition}:s3:::" + NAMES.bucket
    return buckets.tls_only("Bucket", [sub(bucket), sub(bucket + "/*")])


def _table(name: str, schema: dict[str, Any], *, ttl: bool) -> dict[str, Any]:
    return {
        "Type": "AWS::DynamoDB::Table",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_119",
                "encrypted with DynamoDB's AWS-owned key; a customer key adds "
                "a monthly charge and nothing another account must decrypt",
            ),
        ),
        "Properties": {
            "TableName": sub(name),
            **schema,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": {"Fn::If": [PROTECTED, True, False]},
            "SSESpecification": {"SSEEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": ttl},
            "Tags": _tags(),
        },
    }


def _secret() -> dict[str, Any]:
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Metadata": checkov_skips(
            ("CKV_AWS_149", "Secrets Manager's AWS-managed key: no other account reads it"),
            (
                "CKV2_AWS_57",
                "rotated: its RotationSchedule is in the functions' stack, "
                "beside the rotation function (infra/functions-merge.yaml)",
            ),
        ),
        "Properties": {
            "Name": sub(NAMES.secret),
            "Description": "API keys of the stage: {client name: key}",
            "GenerateSecretString": {
                "SecretStringTemplate": "{}",
                "GenerateStringKey": FIRST_CLIENT,
                "PasswordLength": KEY_LENGTH,
                "ExcludePunctuation": True,
            },
            "Tags": _tags(),
        },
    }


def _model_package_group() -> dict[str, Any]:
    return {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {
            "ModelPackageGroupName": sub(NAMES.model_package_group),
            "ModelPackageGroupDescription": sub(f"Price models trained by {NAMES.pipeline}"),
            "Tags": _tags(),
        },
    }


def _sagemaker_role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": sub(NAMES.sagemaker_role),
            "Description": "What the pipeline, its jobs and the served model run as",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        # Only SageMaker acting for this account (the confused deputy).
                        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "pipeline-jobs-and-endpoint",
                    "PolicyDocument": policies.for_cloudformation(policies.SAGEMAKER),
                }
            ],
            "Tags": _tags(),
        },
    }


def template() -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{APP_NAME}: a stage's data, keys, model registry and SageMaker role",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "AllowedPattern": STAGE_PATTERN.pattern,
                "Description": "The stage every name ends with",
            },
            "DeletionProtection": {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "Protect the tables from deletion (prd)",
            },
        },
        "Conditions": {PROTECTED: {"Fn::Equals": [ref("DeletionProtection"), "true"]}},
        "Resources": {
            "Bucket": _bucket(),
            "BucketTlsOnly": _tls_only(),
            "PredictionTable": _table(
                NAMES.prediction_table, prediction_log.TABLE_SCHEMA, ttl=False
            ),
            "RunTable": _table(NAMES.run_table, run_table.TABLE_SCHEMA, ttl=True),
            "ApiKeys": _secret(),
            "ModelPackageGroup": _model_package_group(),
            "SageMakerRole": _sagemaker_role(),
        },
        "Outputs": {
            "BucketName": {"Value": ref("Bucket")},
            "PredictionTableName": {"Value": ref("PredictionTable")},
            "RunTableName": {"Value": ref("RunTable")},
            "ApiKeysSecretArn": {"Value": ref("ApiKeys")},
            "SageMakerRoleArn": {"Value": get_att("SageMakerRole", "Arn")},
        },
    }


def render() -> str:
    from devtools.infra.cfn import dump

    return dump(template(), SOURCE)


if __name__ == "__main__":
    print(json.dumps(template(), indent=2))
