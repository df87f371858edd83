"""`python -m devtools.infra.deploy deploy|destroy --stage S` (make deploy, make destroy).

The only commands that need an AWS account: they run the AWS CLI, Docker, `chalice
package` and this project's own commands, in order, and stop at the first failure.
`--dry-run` prints what would run (queries answered as on a fresh account), which is
how this is tested offline: the plan is plain data (`deploy_plan`, `destroy_plan`).

deploy:
 1. the account stack (image repositories, API Gateway's logging role), once per account;
 2. the stage's data stack (infra/data.yaml);
 3. the model image: the base image resolved to its digest, built, pushed with the
    stage's tag; where the stage has the ECS front, the network stack, the proxy's image
    the same way, and AWS's Fluent Bit mirrored into the account (the log router);
 4. the layer, published when its zip changed (its sha256 is the version's
    description), its ARN written into .chalice/config.json for `chalice deploy`;
    then `make package` and the functions' stack (`aws cloudformation package|deploy`);
    with the ECS front, then the ECS stack, on both images by digest;
 5. the pipeline (`sagemaker upsert`);
 6. the training data given, or on dev the synthetic sample when the bucket has none;
 7. a first training run, only when no model is deployed;
 8. the stage's alarms, their topic and dashboard (infra/alarms.yaml; --alarm-email
    subscribes an address), after every stack whose ALB they read;
 9. the API's URL and how to read the first key.
destroy: the alarms' stack first, the functions' stack and its layer versions, the ECS
and network stacks where the stage has them; with --data also the endpoint,
its models and configs, the pipeline, the model versions, the bucket's objects, the
data stack and the secret. The account stack is never destroyed (stages share it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from contract.environment import REGION_VARIABLES
from contract.resources import DEFAULT_STAGE, FIRST_CLIENT, check_stage
from devtools.infra.plan import (
    MODEL_DOCKERFILE,
    PROXY_DOCKERFILE,
    Context,
    Step,
    after_plan,
    alarm_topic_question,
    alarms_plan,
    analytics_plan,
    ask,
    destroy_plan,
    ecs_plan,
    functions_plan,
    image_plan,
    layer_digest,
    layer_plan,
    log_router_plan,
    network_plan,
    pushed_digest,
    questions,
    stacks_plan,
)
from devtools.infra.stages import CHALICE_CONFIG, REPO_ROOT, settings_of


def record_layer(stage: str, arn: str, config_path: Path = CHALICE_CONFIG) -> None:
    """Put the layer's ARN in the stage's Chalice config, so `chalice deploy` uses it."""
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["stages"].setdefault(stage, {})["layers"] = [arn]
    config_path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


Runner = Callable[[Step], str | None]


def run_step(step: Step) -> str | None:
    print(f"==> {step.what}: {' '.join(step.command)}", flush=True)
    source = None
    if step.stdin_from:
        source = subprocess.run(step.stdin_from, check=True, capture_output=True, text=True).stdout
    done = subprocess.run(
        step.command, cwd=REPO_ROOT, input=source, text=True, capture_output=step.query
    )
    if done.returncode != 0:
        if step.query:
            return None  # "no such thing": the caller decides
        raise SystemExit(f"{step.what} failed ({done.returncode})")
    return done.stdout.strip() if step.query else ""


def dry_run(step: Step) -> str | None:
    pipe = f"{' '.join(step.stdin_from)} | " if step.stdin_from else ""
    print(f"==> {step.what}: {pipe}{' '.join(step.command)}")
    return None  # every question answered as on a fresh account: nothing there yet


def build_and_push(context: Context, run: Runner, dockerfile: Path, repository: str) -> None:
    """The image on its base's digest, pushed with the stage's tag."""
    pull, inspect = image_plan(context, dockerfile, repository)[:2]
    run(pull)
    context.answers["base_digest"] = run(inspect)
    for step in image_plan(context, dockerfile, repository)[2:]:  # the build names the digest
        run(step)


def by_digest(context: Context, run: Runner, repository: str) -> str:
    digest = run(pushed_digest(context, repository)) or "sha256:<digest>"
    return f"{context.registry}/{repository}@{digest}"


def deploy(
    context: Context,
    run: Runner,
    train: str | None = None,
    validation: str | None = None,
    *,
    record: Callable[[str, str], None] = record_layer,
    certificate: str = "",
    host_name: str = "",
    alarm_email: str | None = None,
) -> None:
    """Every step in order; `record` writes the layer's ARN into the Chalice config."""
    names = context.names
    for step in stacks_plan(context):
        run(step)
    build_and_push(context, run, MODEL_DOCKERFILE, names.model_image_repository)
    front = settings_of(context.stage).ecs_front
    if front:
        for step in network_plan(context, certificate, host_name):
            run(step)
        build_and_push(context, run, PROXY_DOCKERFILE, names.proxy_image_repository)
        for step in log_router_plan(context):
            run(step)
    listed, publish = layer_plan(context)
    newest = json.loads(run(listed) or "null") or [None, None]
    if newest[0] == f"sha256:{layer_digest()}":
        arn = str(newest[1])  # the same dependencies: no new version
    else:
        arn = run(publish) or f"<the ARN {context.names.layer} gets>"
    record(context.stage, arn)
    for step in functions_plan(context, arn):
        run(step)
    if front:
        images = {
            "ProxyImage": by_digest(context, run, names.proxy_image_repository),
            "LogRouterImage": by_digest(context, run, names.log_router_image_repository),
        }
        for step in ecs_plan(context, images):
            run(step)
    asked = questions(context)
    context.answers.update(has_data=run(asked["has_data"]), endpoint=run(asked["endpoint"]))
    for step in after_plan(context, train, validation):
        run(step)
    for step in alarms_plan(context, alarm_email):
        run(step)
    for step in analytics_plan(context, run(alarm_topic_question(context))):
        run(step)
    url = run(asked["url"]) or "<the functions' stack output EndpointURL>"
    print(f"\nAPI: {url}")
    print(
        f"The first key (client {FIRST_CLIENT!r}): aws secretsmanager get-secret-value "
        f"--secret-id {context.names.secret} --query SecretString --output text"
    )


def _account_and_region(run: Runner) -> tuple[str, str]:
    account = run(ask("who am I", "sts", "get-caller-identity", "--query", "Account"))
    region = next((os.environ[v] for v in REGION_VARIABLES if os.environ.get(v)), None)
    region = region or run(Step("which region", ["aws", "configure", "get", "region"], query=True))
    if not account or not region:
        raise SystemExit("no AWS credentials or region: configure the AWS CLI first")
    return account, region


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra.deploy", description=__doc__)
    parser.add_argument("action", choices=["deploy", "destroy"])
    parser.add_argument("--stage", default=DEFAULT_STAGE)
    parser.add_argument("--train", help="a local CSV or s3:// URI uploaded as the training data")
    parser.add_argument("--validation", help="... and as the validation data")
    parser.add_argument("--data", action="store_true", help="destroy: the data stack too")
    parser.add_argument(
        "--certificate", default="", help="an ACM certificate's ARN: the internal ALB on HTTPS"
    )
    parser.add_argument("--host-name", default="", help="the certificate's name (with it)")
    parser.add_argument("--alarm-email", help="deploy: who gets the stage's alarms")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    if bool(args.train) != bool(args.validation):
        parser.error("give both TRAIN and VALIDATION, or neither")
    if bool(args.certificate) != bool(args.host_name):
        parser.error("give both CERTIFICATE and API_HOST, or neither")
    context = Context(check_stage(args.stage))
    run: Runner = dry_run if args.dry_run else run_step
    if not args.dry_run:
        context.account, context.region = _account_and_region(run)
    if args.action == "deploy":
        record = (lambda stage, arn: None) if args.dry_run else record_layer
        deploy(
            context,
            run,
            args.train,
            args.validation,
            record=record,
            certificate=args.certificate,
            host_name=args.host_name,
            alarm_email=args.alarm_email,
        )
    else:
        for step in destroy_plan(context, data=args.data):
            run(step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
