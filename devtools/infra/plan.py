"""What `make deploy` and `make destroy` run, as data: each step a command (the AWS CLI,
Docker, this project's commands) or a question whose answer later steps use. Nothing
here runs anything (devtools/infra/deploy.py does), so the plan is tested offline.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from contract.resources import (
    ACCOUNT_STACK,
    TRAIN_KEY,
    VALIDATION_KEY,
    StageNames,
    s3_uri,
)
from devtools.infra.layer import RUNTIME
from devtools.infra.stages import REPO_ROOT, settings_of

MODEL_DOCKERFILE = REPO_ROOT / "training_pipeline" / "Dockerfile"
PROXY_DOCKERFILE = REPO_ROOT / "ecs_proxy" / "Dockerfile"
LAYER_ZIP = "build/layer/layer.zip"
# Only dev gets the synthetic sample: another stage trains on data someone chose.
SAMPLE_STAGES = ("dev",)


@dataclass(frozen=True)
class Step:
    """One command, or a question whose answer later steps use (`query`)."""

    what: str
    command: list[str]
    query: bool = False
    stdin_from: list[str] | None = None  # a command whose output is piped in


@dataclass
class Context:
    stage: str
    account: str = "<account>"
    region: str = "<region>"
    answers: dict[str, str | None] = field(default_factory=dict)

    @property
    def names(self) -> StageNames:
        return StageNames(self.stage)

    @property
    def registry(self) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"

    @property
    def image(self) -> str:
        return self.tagged(self.names.model_image_repository)

    def tagged(self, repository: str) -> str:
        """The image in the account's `repository` with the stage's tag."""
        return f"{self.registry}/{repository}:{self.stage}"


def _aws(*args: str) -> list[str]:
    return ["aws", *args]


def _stack_deploy(name: str, template: str, parameters: dict[str, str], *extra: str) -> list[str]:
    command = _aws(
        "cloudformation",
        "deploy",
        "--stack-name",
        name,
        "--template-file",
        template,
        "--no-fail-on-empty-changeset",
        "--capabilities",
        "CAPABILITY_NAMED_IAM",
        "CAPABILITY_AUTO_EXPAND",
        *extra,
    )
    if parameters:
        command += ["--parameter-overrides", *(f"{k}={v}" for k, v in parameters.items())]
    return command


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def stacks_plan(context: Context) -> list[Step]:
    names, stage = context.names, context.stage
    settings = settings_of(stage).parameters()
    data = {"Stage": stage, "DeletionProtection": settings["DeletionProtection"]}
    tags = ["--tags", "app=property-value-predictor", f"stage={stage}"]
    return [
        Step("the account's stack", _stack_deploy(ACCOUNT_STACK, "infra/account.yaml", {})),
        Step("the stage's data", _stack_deploy(names.data_stack, "infra/data.yaml", data, *tags)),
    ]


def base_image(dockerfile: Path = MODEL_DOCKERFILE) -> str:
    """The image's BASE_IMAGE default (a tag), which the deploy resolves to a digest."""
    found = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile.read_text(), flags=re.MULTILINE)
    if found is None:
        raise ValueError(f"{dockerfile} declares no ARG BASE_IMAGE=<image>")
    return found.group(1)


def image_plan(
    context: Context, dockerfile: Path = MODEL_DOCKERFILE, repository: str | None = None
) -> list[Step]:
    """Pull the Dockerfile's base, ask its digest (answer `base_digest`), build on it, push
    with the stage's tag. Planned again once the digest is known."""
    base = base_image(dockerfile)
    digest = context.answers.get("base_digest") or f"{base.split(':')[0]}@sha256:<digest>"
    image = context.tagged(repository or context.names.model_image_repository)
    label = dockerfile.parent.name
    return [
        Step("pull the base image", ["docker", "pull", base]),
        Step(
            "the base image's digest",
            ["docker", "inspect", "--format", "{{index .RepoDigests 0}}", base],
            query=True,
        ),
        Step(
            "log in to the registry",
            ["docker", "login", "--username", "AWS", "--password-stdin", context.registry],
            stdin_from=_aws("ecr", "get-login-password", "--region", context.region),
        ),
        Step(
            f"build the {label} image on the pinned base",
            [
                "docker",
                "build",
                "-f",
                str(dockerfile.relative_to(REPO_ROOT)),
                "--build-arg",
                f"BASE_IMAGE={digest}",
                "-t",
                image,
                ".",
            ],
        ),
        Step("push it", ["docker", "push", image]),
    ]


def pushed_digest(context: Context, repository: str) -> Step:
    """The digest the stage's tag names in `repository` now (what the ECS stack runs: a
    task definition naming a digest changes, and so rolls out, when the image does)."""
    return ask(
        f"the digest of {repository}:{context.stage}",
        "ecr",
        "describe-images",
        "--repository-name",
        repository,
        "--image-ids",
        f"imageTag={context.stage}",
        "--query",
        "imageDetails[0].imageDigest",
    )


def log_router_plan(context: Context) -> list[Step]:
    """AWS's Fluent Bit, mirrored into the account (the tasks reach no public registry)."""
    from devtools.infra.ecs_stack import LOG_ROUTER_SOURCE

    mirrored = context.tagged(context.names.log_router_image_repository)
    return [
        Step("pull the log router", ["docker", "pull", LOG_ROUTER_SOURCE]),
        Step("tag it for the account", ["docker", "tag", LOG_ROUTER_SOURCE, mirrored]),
        Step("push it", ["docker", "push", mirrored]),
    ]


def network_plan(context: Context, certificate: str = "", host_name: str = "") -> list[Step]:
    """The stage's VPC and internal ALB (before the functions' stack: the invoker imports
    its subnets, callers' group and URL). HTTPS when a certificate is given."""
    parameters = {"Stage": context.stage}
    if certificate:
        parameters |= {"CertificateArn": certificate, "ApiHostName": host_name}
    return [
        Step(
            "the stage's network",
            _stack_deploy(context.names.network_stack, "infra/network.yaml", parameters),
        )
    ]


def ecs_plan(context: Context, images: dict[str, str]) -> list[Step]:
    """The ECS front, running `images` ({parameter: image by digest})."""
    parameters = {
        "Stage": context.stage,
        **images,
        **settings_of(context.stage).ecs_parameters(),
    }
    return [
        Step(
            "the ECS front",
            _stack_deploy(context.names.ecs_stack, "infra/ecs.yaml", parameters),
        )
    ]


def layer_plan(context: Context) -> list[Step]:
    names = context.names
    return [
        Step(
            "the layer's published versions",
            _aws(
                "lambda",
                "list-layer-versions",
                "--layer-name",
                names.layer,
                "--query",
                "LayerVersions[0].[Description,LayerVersionArn]",
                "--output",
                "json",
            ),
            query=True,
        ),
        Step(
            "publish the layer (only when its zip changed)",
            _aws(
                "lambda",
                "publish-layer-version",
                "--layer-name",
                names.layer,
                "--zip-file",
                f"fileb://{LAYER_ZIP}",
                "--compatible-runtimes",
                f"python{RUNTIME[0]}.{RUNTIME[1]}",
                "--description",
                f"sha256:{layer_digest()}",
                "--query",
                "LayerVersionArn",
                "--output",
                "text",
            ),
            query=True,
        ),
    ]


def functions_plan(context: Context, layer_arn: str) -> list[Step]:
    names, stage = context.names, context.stage
    out = f"build/{stage}"
    parameters = {"Stage": stage, "DependenciesLayer": layer_arn, **settings_of(stage).parameters()}
    parameters.pop("DeletionProtection")
    return [
        Step("package", _python("devtools.infra.package", "--stage", stage, "--layer", LAYER_ZIP)),
        Step(
            "upload the function zip",
            _aws(
                "cloudformation",
                "package",
                "--template-file",
                f"{out}/sam.yaml",
                "--s3-bucket",
                names.bucket,
                "--s3-prefix",
                f"packages/{stage}",
                "--output-template-file",
                f"{out}/packaged.yaml",
            ),
        ),
        Step(
            "the functions' stack",
            _stack_deploy(names.functions_stack, f"{out}/packaged.yaml", parameters),
        ),
    ]


def after_plan(context: Context, train: str | None, validation: str | None) -> list[Step]:
    names, stage = context.names, context.stage
    steps = [
        Step("the pipeline", _python("training_pipeline", "sagemaker", "upsert", "--stage", stage))
    ]
    train_uri, validation_uri = (
        s3_uri(names.bucket, TRAIN_KEY),
        s3_uri(names.bucket, VALIDATION_KEY),
    )
    has_data = bool(context.answers.get("has_data"))
    if train and validation:
        steps += [
            Step("upload the training data", _aws("s3", "cp", train, train_uri)),
            Step("upload the validation data", _aws("s3", "cp", validation, validation_uri)),
        ]
        has_data = True
    elif stage in SAMPLE_STAGES and not has_data:
        sample = f"build/{stage}/sample"
        steps += [
            Step(
                "the synthetic sample", _python("training_pipeline", "sample-data", "--out", sample)
            ),
            Step("upload it", _aws("s3", "cp", f"{sample}/train.csv", train_uri)),
            Step("upload it", _aws("s3", "cp", f"{sample}/test.csv", validation_uri)),
        ]
        has_data = True
    # A first run only where nothing serves yet, and only on data: until a model is
    # deployed every prediction answers 503.
    if has_data and not context.answers.get("endpoint"):
        steps.append(Step("a first training run", _python("ops", "start", "--stage", stage)))
    return steps


def layer_digest() -> str:
    path = REPO_ROOT / f"{LAYER_ZIP}.sha256"
    return path.read_text().strip() if path.exists() else "<sha256 of the layer zip>"


def destroy_plan(context: Context, *, data: bool) -> list[Step]:
    names, stage = context.names, context.stage
    steps = [
        *alarms_destroy_plan(context),
        # Before the data stack: its policy sits on that stack's SageMaker role.
        Step("delete the analytics stack", _delete_stack(names.analytics_stack)),
        Step("wait for it", _wait_deleted(names.analytics_stack)),
        Step("delete the functions' stack", _delete_stack(names.functions_stack)),
        Step("wait for it", _wait_deleted(names.functions_stack)),
        Step("delete the layer's versions", _python("devtools.infra.teardown", "layers", stage)),
    ]
    if settings_of(stage).ecs_front:
        # The network last: the functions' and ECS stacks import its exports. Lambda frees
        # the invoker's network interfaces up to 20 minutes after the function is gone
        # (docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html); until then the
        # subnets and the callers' group cannot be deleted, and the wait fails: run
        # `make destroy` again later.
        steps += [
            Step("delete the ECS front", _delete_stack(names.ecs_stack)),
            Step("wait for it", _wait_deleted(names.ecs_stack)),
            Step("delete the stage's network", _delete_stack(names.network_stack)),
            Step("wait for it", _wait_deleted(names.network_stack)),
        ]
    if data:
        steps += [
            Step(
                "delete the endpoint, its models and configs, the pipeline, the model "
                "versions, and every version of every object in the bucket",
                _python("devtools.infra.teardown", "data", stage),
            ),
            Step("delete the data stack", _delete_stack(names.data_stack)),
            Step("wait for it", _wait_deleted(names.data_stack)),
            # Deleted without a recovery window its name is free at once for the next
            # deploy of this stage (a no-op when CloudFormation already did so).
            Step(
                "free the secret's name",
                _aws(
                    "secretsmanager",
                    "delete-secret",
                    "--secret-id",
                    names.secret,
                    "--force-delete-without-recovery",
                ),
            ),
        ]
    return steps


def _delete_stack(name: str) -> list[str]:
    return _aws("cloudformation", "delete-stack", "--stack-name", name)


def _wait_deleted(name: str) -> list[str]:
    return _aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", name)


def ask(what: str, *command: str) -> Step:
    return Step(what, _aws(*command, "--output", "text"), query=True)


def questions(context: Context) -> dict[str, Step]:
    """What the deploy asks AWS before deciding; each answer is None when "no such"."""
    names = context.names
    return {
        "has_data": ask(
            "is there training data",
            "s3api",
            "head-object",
            "--bucket",
            names.bucket,
            "--key",
            TRAIN_KEY,
            "--query",
            "ETag",
        ),
        "endpoint": ask(
            "is a model deployed",
            "sagemaker",
            "describe-endpoint",
            "--endpoint-name",
            names.endpoint,
            "--query",
            "EndpointStatus",
        ),
        "url": ask(
            "the API's URL",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            names.functions_stack,
            "--query",
            "Stacks[0].Outputs[?OutputKey=='EndpointURL'].OutputValue",
        ),
    }


def alarms_plan(context: Context, email: str | None = None) -> list[Step]:
    """The stage's alarms, their topic and dashboard (infra/alarms.yaml). Without `email`
    an update keeps the address a previous deploy subscribed (`cloudformation deploy`
    reuses a parameter it is not given)."""
    names, stage = context.names, context.stage
    parameters = {"Stage": stage, "EcsFront": settings_of(stage).parameters()["EcsFront"]}
    if email:
        parameters["AlarmEmail"] = email
    tags = ["--tags", "app=property-value-predictor", f"stage={stage}"]
    return [
        Step(
            "the stage's alarms and dashboard",
            _stack_deploy(names.alarms_stack, "infra/alarms.yaml", parameters, *tags),
        )
    ]


def analytics_plan(context: Context, alarm_topic: str | None) -> list[Step]:
    """The prediction log as a SQL table, the drift alarm and the analytics jobs' grants
    on the SageMaker role (infra/analytics.yaml): after the data stack, whose role it
    extends, and the alarms, whose topic its drift alarm notifies."""
    parameters = {"Stage": context.stage, "AlarmTopicArn": alarm_topic or ""}
    tags = ["--tags", "app=property-value-predictor", f"stage={context.stage}"]
    name = context.names.analytics_stack
    return [
        Step(
            "the prediction log's table, the drift alarm",
            _stack_deploy(name, "infra/analytics.yaml", parameters, *tags),
        )
    ]


def alarm_topic_question(context: Context) -> Step:
    return ask(
        "the alarms' topic",
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        context.names.alarms_stack,
        "--query",
        "Stacks[0].Outputs[?OutputKey=='AlarmTopicArn'].OutputValue",
    )


def alarms_destroy_plan(context: Context) -> list[Step]:
    """The alarms go first: nothing else names them (the key waits 7 days, then goes)."""
    name = context.names.alarms_stack
    return [
        Step("delete the alarms' stack", _delete_stack(name)),
        Step("wait for it", _wait_deleted(name)),
    ]
