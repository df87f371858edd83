"""How every bucket of the templates is hardened: one place, so the stage's data bucket
and the delivery pipeline's artifact bucket cannot drift apart.

SSE-S3 (no charge per request; a customer key adds a monthly charge and nothing another
account must decrypt), versioned, every public access blocked, the owner owning every
object (no ACLs), and a policy that refuses any request not over TLS.
"""

from __future__ import annotations

from typing import Any

from devtools.infra.cfn import ref


def private_bucket() -> dict[str, Any]:
    """A bucket's hardened properties; the caller adds its name, lifecycle and tags."""
    return {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    }


def tls_only(bucket: str, arns: list[Any]) -> dict[str, Any]:
    """The policy of the bucket of logical id `bucket`: refuse every request without TLS
    to `arns` (the bucket's ARN and its objects')."""
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(bucket),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": arns,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }
