"""`make destroy DATA=1`'s deletions of what no stack owns: on moto where it plays them,
with botocore's Stubber holding the exact requests where it does not
(DeleteModelPackage)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from contract.resources import StageNames
from devtools.infra import moto_deploy, teardown
from devtools.launch import RunningServer
from devtools.moto_stack import FAKE_CREDENTIALS, REGION, environ

NAMES = StageNames("gone")


def _clients(moto: RunningServer) -> Any:
    env = {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": moto.base_url}
    with environ(env):
        session = boto3.session.Session()
        made = {
            n: session.client(n)
            for n in ("cloudformation", "s3", "lambda", "sagemaker", "secretsmanager")
        }
    return made.__getitem__


def test_a_stage_s_bucket_layers_and_served_models_are_emptied(
    moto_server: RunningServer,
) -> None:
    # GIVEN a stage's data stack with two versions of an object and a delete marker,
    # two layer versions, and a served model with its config
    clients = _clients(moto_server)
    moto_deploy.deploy_data(clients, NAMES.stage, "k" * 43)
    s3 = clients("s3")
    s3.put_bucket_versioning(Bucket=NAMES.bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=NAMES.bucket, Key="data/training_data/train.csv", Body=body)
    s3.delete_object(Bucket=NAMES.bucket, Key="data/training_data/train.csv")
    for _ in range(2):
        clients("lambda").publish_layer_version(
            LayerName=NAMES.layer, Content={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}
        )
    sagemaker = clients("sagemaker")
    served, other = NAMES.served("v0001"), StageNames("kept").served("v0001")
    for model in (served, other):
        sagemaker.create_model(
            ModelName=model,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
            PrimaryContainer={"Image": "img"},
        )
    sagemaker.create_endpoint_config(
        EndpointConfigName=served,
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": served,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=NAMES.endpoint, EndpointConfigName=served)

    # WHEN torn down
    deleted = teardown.empty_bucket(s3, NAMES)
    layers = teardown.delete_layers(clients("lambda"), NAMES)
    teardown.delete_served(sagemaker, NAMES)

    # THEN nothing is left that would stop the data stack's deletion or cost at rest
    assert (deleted, layers) == (3, 2)
    assert "Versions" not in s3.list_object_versions(Bucket=NAMES.bucket)
    assert not clients("lambda").list_layer_versions(LayerName=NAMES.layer)["LayerVersions"]
    assert not sagemaker.list_endpoints(NameContains=NAMES.endpoint)["Endpoints"]
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    assert served not in models and other in models  # another stage's are not its own
    # AND a second teardown finds nothing and fails on nothing
    teardown.delete_served(sagemaker, NAMES)
    assert teardown.empty_bucket(s3, NAMES) == 0


def test_the_pipeline_and_every_model_version_are_deleted() -> None:
    client = boto3.session.Session().client("sagemaker", region_name=REGION)
    group = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/{NAMES.model_package_group}"
    arns = [f"{group}/{n}" for n in (1, 2)]
    with Stubber(client) as stub:
        stub.add_response(
            "delete_pipeline",
            {"PipelineArn": "arn:p"},
            {"PipelineName": NAMES.pipeline, "ClientRequestToken": ANY},
        )
        stub.add_response(
            "list_model_packages",
            {
                "ModelPackageSummaryList": [
                    {
                        "ModelPackageArn": arn,
                        "ModelPackageName": NAMES.model_package_group,
                        "CreationTime": 0,
                        "ModelPackageStatus": "Completed",
                    }
                    for arn in arns
                ]
            },
            {"ModelPackageGroupName": NAMES.model_package_group},
        )
        for arn in arns:
            stub.add_response("delete_model_package", {}, {"ModelPackageName": arn})

        teardown.delete_registry(client, NAMES)

        stub.assert_no_pending_responses()
