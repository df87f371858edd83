"""`make deploy`'s plan, offline: what runs, in which order, and what each answer from
AWS changes. The runner records each step and answers the questions as scripted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract.resources import ACCOUNT_STACK, StageNames
from devtools.infra import deploy, plan
from devtools.infra.plan import Context, Step


class Account:
    """Answers the deploy's questions as one state of an account would."""

    def __init__(self, **answers: str | None) -> None:
        self.answers = answers
        self.ran: list[Step] = []

    def __call__(self, step: Step) -> str | None:
        self.ran.append(step)
        if not step.query:
            return ""
        return self.answers.get(step.what)

    def commands(self) -> list[str]:
        return [" ".join(step.command) for step in self.ran]

    def index(self, fragment: str) -> int:
        (found,) = [i for i, c in enumerate(self.commands()) if fragment in c]
        return found


def _deploy(stage: str, account: Account, **kwargs: str) -> dict[str, str]:
    recorded: dict[str, str] = {}
    context = Context(stage, account="111122223333", region="eu-west-1")
    deploy.deploy(context, account, record=recorded.__setitem__, **kwargs)
    return recorded


FRESH_DIGEST = "python@sha256:" + "a" * 64
PUBLISHED = (
    "arn:aws:lambda:eu-west-1:111122223333:layer:property-value-predictor-dev-dependencies:1"
)


def test_a_first_deploy_runs_every_step_in_order() -> None:
    account = Account(
        **{
            "the base image's digest": FRESH_DIGEST,
            "publish the layer (only when its zip changed)": PUBLISHED,
        }
    )

    recorded = _deploy("dev", account)

    names = StageNames("dev")
    order = [
        f"--stack-name {ACCOUNT_STACK}",
        f"--stack-name {names.data_stack} --template-file infra/data.yaml",
        "docker build",
        "docker push",
        "lambda publish-layer-version",
        "devtools.infra.package --stage dev",
        "cloudformation package",
        f"--stack-name {names.functions_stack} --template-file build/dev/packaged.yaml",
        "sagemaker upsert --stage dev",
        "sample-data",
        "ops start --stage dev",
    ]
    positions = [account.index(fragment) for fragment in order]
    assert positions == sorted(positions)
    # The image is built on the base image's digest, and pushed with the stage's tag.
    build = account.commands()[account.index("docker build")]
    assert f"BASE_IMAGE={FRESH_DIGEST}" in build
    assert build.split(" -t ")[1].startswith(
        f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/{names.model_image_repository}:dev "
    )
    # The layer's ARN reaches the functions' stack and the Chalice config alike.
    functions = account.commands()[account.index("packaged.yaml --no-fail")]
    assert f"DependenciesLayer={PUBLISHED}" in functions
    assert "ThrottleRate=10" in functions
    assert recorded == {"dev": PUBLISHED}


def test_an_unchanged_layer_is_not_published_again() -> None:
    listed = json.dumps([f"sha256:{plan.layer_digest()}", PUBLISHED])
    account = Account(**{"the layer's published versions": listed})

    recorded = _deploy("dev", account)

    assert not [c for c in account.commands() if "publish-layer-version" in c]
    assert recorded == {"dev": PUBLISHED}


def test_a_stage_with_a_model_and_data_starts_no_run_and_uploads_nothing() -> None:
    account = Account(**{"is a model deployed": "InService", "is there training data": '"etag"'})

    _deploy("dev", account)

    assert not [c for c in account.commands() if "ops start" in c or "s3 cp" in c]


def test_only_dev_gets_the_synthetic_sample_and_given_data_is_uploaded() -> None:
    stg = Account()
    _deploy("stg", stg)
    # stg has no data and gets no sample: no run starts until data is given
    assert not [c for c in stg.commands() if "sample-data" in c or "ops start" in c]

    given = Account()
    _deploy("prd", given, train="train.csv", validation="s3://mine/test.csv")
    uploads = [c for c in given.commands() if c.startswith("aws s3 cp")]
    bucket = StageNames("prd").bucket
    assert uploads == [
        f"aws s3 cp train.csv s3://{bucket}/data/training_data/train.csv",
        f"aws s3 cp s3://mine/test.csv s3://{bucket}/data/validation_data/test.csv",
    ]
    protected = given.commands()[given.index("infra/data.yaml")]
    assert "DeletionProtection=true" in protected
    assert [c for c in given.commands() if "ops start --stage prd" in c]


def test_destroy_keeps_the_data_unless_asked() -> None:
    names = StageNames("dev")
    kept = [" ".join(s.command) for s in plan.destroy_plan(Context("dev"), data=False)]
    assert not [c for c in kept if names.data_stack in c]
    assert any(f"delete-stack --stack-name {names.functions_stack}" in c for c in kept)

    everything = [" ".join(s.command) for s in plan.destroy_plan(Context("dev"), data=True)]
    assert everything.index(next(c for c in everything if "teardown data" in c)) < everything.index(
        f"aws cloudformation delete-stack --stack-name {names.data_stack}"
    )
    assert not [c for c in everything if ACCOUNT_STACK in c]  # stages share it


def test_the_layer_arn_goes_into_the_stage_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"stages": {"dev": {"lambda_timeout": 28}}}))

    deploy.record_layer("dev", PUBLISHED, config)

    assert json.loads(config.read_text())["stages"]["dev"] == {
        "lambda_timeout": 28,
        "layers": [PUBLISHED],
    }


def test_the_dry_run_prints_the_plan_and_touches_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = deploy.CHALICE_CONFIG.read_text()

    assert deploy.main(["deploy", "--stage", "dev", "--dry-run"]) == 0

    printed = capsys.readouterr().out
    assert "aws cloudformation deploy --stack-name property-value-predictor-dev-data" in printed
    assert "-m ops start --stage dev" in printed  # a fresh account: no model yet
    assert deploy.CHALICE_CONFIG.read_text() == before
    with pytest.raises(SystemExit):
        deploy.main(["deploy", "--stage", "dev", "--train", "x.csv", "--dry-run"])


@pytest.mark.parametrize(("stage", "front"), [("dev", "false"), ("prd", "true")])
def test_the_alarms_come_last_with_the_stages_front_and_an_address_only_when_given(
    stage: str, front: str
) -> None:
    names = StageNames(stage)
    account = Account()

    _deploy(stage, account, alarm_email="ops@example.com")

    alarms_deploy = f"--stack-name {names.alarms_stack} --template-file"
    alarms = account.commands()[account.index(alarms_deploy)]
    assert "--template-file infra/alarms.yaml" in alarms
    assert f"Stage={stage}" in alarms and f"EcsFront={front}" in alarms
    assert "AlarmEmail=ops@example.com" in alarms
    functions = account.index(f"--stack-name {names.functions_stack} --template-file")
    assert account.index(alarms_deploy) > functions
    if front == "true":  # the ALB's alarm imports the network stack's names of it
        network = account.index(f"--stack-name {names.network_stack} --template-file")
        assert account.index(alarms_deploy) > network
    # Without an address the stack keeps the one a previous deploy subscribed.
    again = Account()
    _deploy(stage, again)
    assert "AlarmEmail" not in again.commands()[again.index(alarms_deploy)]


def test_the_analytics_stack_follows_the_alarms_and_takes_their_topic() -> None:
    names = StageNames("dev")
    topic = "arn:aws:sns:eu-west-1:111122223333:property-value-predictor-dev-alarms"
    account = Account(**{"the alarms' topic": topic})

    _deploy("dev", account)

    analytics = account.index(f"--stack-name {names.analytics_stack} --template-file")
    command = account.commands()[analytics]
    assert "infra/analytics.yaml" in command and f"AlarmTopicArn={topic}" in command
    # After the data stack (its policy extends that stack's SageMaker role) and the alarms.
    assert analytics > account.index(f"--stack-name {names.data_stack} --template-file")
    assert analytics > account.index(f"--stack-name {names.alarms_stack} --template-file")


def test_destroy_deletes_the_alarms_first_and_waits() -> None:
    names = StageNames("dev")
    steps = [" ".join(s.command) for s in plan.destroy_plan(Context("dev"), data=False)]
    assert steps[:2] == [
        f"aws cloudformation delete-stack --stack-name {names.alarms_stack}",
        f"aws cloudformation wait stack-delete-complete --stack-name {names.alarms_stack}",
    ]


def test_a_stage_with_the_ecs_front_gets_its_network_first_and_its_tasks_by_digest() -> None:
    proxy_digest = "sha256:" + "b" * 64
    router_digest = "sha256:" + "c" * 64
    names = StageNames("prd")
    registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
    account = Account(
        **{
            "the base image's digest": FRESH_DIGEST,
            f"the digest of {names.proxy_image_repository}:prd": proxy_digest,
            f"the digest of {names.log_router_image_repository}:prd": router_digest,
        }
    )

    _deploy("prd", account)

    order = [
        f"--stack-name {names.network_stack} --template-file infra/network.yaml",
        "docker build -f ecs_proxy/Dockerfile",
        f"docker push {registry}/{names.proxy_image_repository}:prd",
        f"docker push {registry}/{names.log_router_image_repository}:prd",
        # The invoker imports the network's outputs; the tasks run the pushed digests.
        f"--stack-name {names.functions_stack} --template-file build/prd/packaged.yaml",
        f"--stack-name {names.ecs_stack} --template-file infra/ecs.yaml",
    ]
    positions = [account.index(fragment) for fragment in order]
    assert positions == sorted(positions)
    proxy_build = account.commands()[account.index("docker build -f ecs_proxy/Dockerfile")]
    assert f"BASE_IMAGE={FRESH_DIGEST}" in proxy_build
    ecs = account.commands()[account.index("infra/ecs.yaml")]
    assert f"ProxyImage={registry}/{names.proxy_image_repository}@{proxy_digest}" in ecs
    assert f"LogRouterImage={registry}/{names.log_router_image_repository}@{router_digest}" in ecs
    assert "DesiredCount=2" in ecs
    functions = account.commands()[account.index("packaged.yaml --no-fail")]
    assert "EcsFront=true" in functions
    # HTTP unless a certificate is given.
    assert "CertificateArn" not in account.commands()[account.index("infra/network.yaml")]


def test_a_lambda_only_stage_builds_no_proxy_and_tells_the_invoker_so() -> None:
    account = Account()
    _deploy("dev", account)
    assert not [c for c in account.commands() if "ecs_proxy" in c or "infra/network" in c]
    functions = account.commands()[account.index("packaged.yaml --no-fail")]
    assert "EcsFront=false" in functions


def test_a_certificate_puts_the_alb_on_https() -> None:
    account = Account()
    context = Context("stg", account="111122223333", region="eu-west-1")
    certificate = "arn:aws:acm:eu-west-1:111122223333:certificate/abc"
    deploy.deploy(
        context,
        account,
        record=lambda stage, arn: None,
        certificate=certificate,
        host_name="api.internal.example",
    )
    network = account.commands()[account.index("infra/network.yaml")]
    assert f"CertificateArn={certificate}" in network
    assert "ApiHostName=api.internal.example" in network


def test_destroy_removes_the_front_after_what_imports_it() -> None:
    names = StageNames("prd")
    steps = [" ".join(s.command) for s in plan.destroy_plan(Context("prd"), data=False)]
    deleted = [c.split("--stack-name ")[1] for c in steps if "delete-stack" in c]
    # The alarms first: they import the network's names of the ALB.
    assert deleted == [
        names.alarms_stack,
        names.analytics_stack,
        names.functions_stack,
        names.ecs_stack,
        names.network_stack,
    ]
    dev = [" ".join(s.command) for s in plan.destroy_plan(Context("dev"), data=False)]
    assert not [c for c in dev if names.network_stack.replace("prd", "dev") in c]
