"""`python -m devtools.infra.cost --stage S` (make cost): what a stage costs a month, offline.

Three figures, beside the same figures for the old topology (one always-on Fargate task
behind an internal ALB, the VPC's interface endpoints, the serverless endpoint, no
API Gateway or Lambda front):
- at rest: what the stage's resources cost with no request at all, counted from the
  templates (devtools/infra/inventory.py) and the functions' settings
  (.chalice/config.json);
- per 1,000 predictions: what each prediction adds, through each front the stage has;
- a month at the assumed load (`Assumptions`), and what that is per 1,000 predictions.

Prices are the dated table devtools/infra/prices.json (us-east-1, each with its page).
Not counted: training runs and analytics jobs (SageMaker jobs by the minute, run on
demand or nightly), the account stack's image storage, data transfer out of AWS,
free tiers, taxes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from contract.environment import ENDPOINT_MEMORY_MB
from contract.metrics import FRONT_ECS, FRONT_LAMBDA
from contract.resources import DEFAULT_STAGE, DEPLOY_WATCH, check_stage
from devtools.infra.inventory import Inventory, Stack, front_stacks, inventory, stacks
from devtools.infra.stages import REPO_ROOT, StageSettings, chalice_config, settings_of

PRICES = Path(__file__).with_name("prices.json")
INFRA = REPO_ROOT / "infra"
GB = 1024 * 1024  # KB in a GB
# An ALB's LCU is, among its dimensions, 25 new connections a second (its pricing page);
# every prediction is taken as a new connection, the dimension a small load uses most.
NEW_CONNECTIONS_PER_LCU_SECOND = 25
OLD = "old topology"


@dataclass(frozen=True)
class Assumptions:
    """What the templates cannot say: the load and how long things take. Each is stated
    in the printout; change them with the command's flags."""

    predictions_per_month: int = 100_000  # about 2.3 a minute
    api_ms: float = 120.0  # one /get_prediction's billed Lambda time (endpoint call, log write)
    model_ms: float = 30.0  # the endpoint's billed inference time for one prediction
    payload_kb: float = 1.0  # a prediction's request and answer through the endpoint
    log_kb: float = 2.0  # log a prediction writes (JSON lines, EMF, the platform's lines)
    log_write_units: int = 1  # the prediction log's item is under 1 KB: one write unit
    stored_gb: float = 1.0  # in each table, and in the bucket (models, data, exports)
    watch_ms: float = 300.0  # one run of the deploy watcher with no rollout
    traced_share: float = 1.0  # X-Ray's default rule (1 a second, then 5%) keeps ~all here
    # Metrics written every hour under load: the answers' 2xx and 4xx per front, and
    # the shared predictions and latency.
    metrics_per_front: int = 2
    shared_metrics: int = 2


@dataclass(frozen=True)
class Functions:
    """The functions' stack's priced settings, from .chalice/config.json."""

    api_memory_mb: int
    watch_memory_mb: int
    log_days: int
    xray: bool
    endpoint_memory_mb: int
    watches_per_month: float

    @classmethod
    def of(cls, stage: str, config: dict[str, Any] | None = None) -> Functions:
        config = config or chalice_config()
        settings = config["stages"][stage]
        environment = settings.get("environment_variables", {})
        from chalice_app.callbacks.functions import WATCH_SCHEDULE

        return cls(
            api_memory_mb=int(settings["lambda_memory_size"]),
            watch_memory_mb=int(settings["lambda_functions"][DEPLOY_WATCH]["lambda_memory_size"]),
            log_days=int(settings["log_retention_in_days"]),
            xray=bool(settings.get("xray", config.get("xray", False))),
            endpoint_memory_mb=int(
                environment.get(ENDPOINT_MEMORY_MB.name, ENDPOINT_MEMORY_MB.default)
            ),
            watches_per_month=runs_per_month(WATCH_SCHEDULE),
        )


def runs_per_month(schedule: str, hours: float = 730) -> float:
    """How often a `rate(N minute(s)|hour(s))` schedule runs in a month."""
    found = re.fullmatch(r"rate\((\d+) (minute|hour)s?\)", schedule)
    if found is None:
        raise ValueError(f"cannot count the runs of {schedule!r}")
    every = int(found.group(1)) * (1 if found.group(2) == "minute" else 60)
    return hours * 60 / every


class Prices:
    """devtools/infra/prices.json: each price in USD for its unit."""

    def __init__(self, path: Path = PRICES) -> None:
        table = json.loads(path.read_text(encoding="utf-8"))
        self.table = table
        self.hours = float(table["hours_per_month"])
        self._usd = {name: float(price["usd"]) for name, price in table["prices"].items()}

    def __getitem__(self, name: str) -> float:
        return self._usd[name]


@dataclass
class Topology:
    """A priced set of stacks: what runs at rest, and which fronts carry predictions."""

    name: str
    inventory: Inventory
    fronts: tuple[str, ...]
    functions: Functions | None  # None: no Lambda functions (the old topology)
    at_rest: dict[str, float] = field(default_factory=dict)
    per_1000: dict[str, dict[str, float]] = field(default_factory=dict)


def price_at_rest(topology: Topology, prices: Prices, assume: Assumptions) -> dict[str, float]:
    held, hours = topology.inventory, prices.hours
    items = {
        "interface endpoints": held.interface_endpoint_azs
        * hours
        * prices["interface_endpoint_az_hour"],
        "internal ALB": held.load_balancers * hours * prices["alb_hour"],
        "Fargate tasks": hours
        * (
            held.fargate_vcpus * prices["fargate_vcpu_hour"]
            + held.fargate_gb * prices["fargate_gb_hour"]
        ),
        "KMS keys": held.kms_keys * prices["kms_key_month"],
        "alarms": held.alarm_metrics * prices["cloudwatch_alarm_metric_month"],
        "dashboard": held.dashboards * prices["cloudwatch_dashboard_month"],
        "secret": held.secrets * prices["secret_month"],
        "DynamoDB storage and backups": assume.stored_gb
        * (
            held.tables * prices["dynamodb_gb_month"]
            + held.tables_with_pitr * prices["dynamodb_pitr_gb_month"]
        ),
        "S3 storage": held.buckets * assume.stored_gb * prices["s3_gb_month"],
    }
    if topology.functions is not None:
        functions = topology.functions
        seconds = functions.watches_per_month * assume.watch_ms / 1000
        items["deploy watcher (Lambda)"] = (
            functions.watches_per_month * prices["lambda_request"]
            + seconds * functions.watch_memory_mb / 1024 * prices["lambda_gb_second"]
        )
    return {name: usd for name, usd in items.items() if usd}


def _logs(assume: Assumptions, prices: Prices, days: int) -> float:
    """A prediction's log lines: ingested once, kept `days`."""
    gb = assume.log_kb / GB
    return gb * (
        prices["cloudwatch_logs_ingest_gb"] + prices["cloudwatch_logs_gb_month"] * days / 30
    )


def price_per_prediction(
    topology: Topology, front: str, prices: Prices, assume: Assumptions
) -> dict[str, float]:
    """What one prediction through `front` adds (every front shares the endpoint and log)."""
    endpoint_mb = (
        topology.functions.endpoint_memory_mb if topology.functions else ENDPOINT_MEMORY_MB.default
    )
    items = {
        "serverless endpoint": endpoint_mb
        / 1024
        * assume.model_ms
        / 1000
        * prices["sagemaker_serverless_gb_second"]
        + assume.payload_kb / GB * prices["sagemaker_serverless_data_gb"],
        "prediction log write": assume.log_write_units * prices["dynamodb_write_request"],
    }
    if front == FRONT_LAMBDA and topology.functions is not None:
        functions = topology.functions
        items["API Gateway"] = prices["api_gateway_rest_request"]
        items["Lambda"] = (
            prices["lambda_request"]
            + functions.api_memory_mb / 1024 * assume.api_ms / 1000 * prices["lambda_gb_second"]
        )
        if functions.xray:
            items["X-Ray"] = assume.traced_share * prices["xray_trace"]
        items["logs"] = _logs(assume, prices, functions.log_days)
    else:
        if topology.inventory.load_balancers:
            lcu_hours = 1 / (NEW_CONNECTIONS_PER_LCU_SECOND * 3600)
            items["ALB capacity units"] = lcu_hours * prices["alb_lcu_hour"]
        # The endpoint call and the log lines leave the VPC through interface endpoints.
        items["interface endpoint data"] = (
            (assume.payload_kb + assume.log_kb) / GB * prices["interface_endpoint_gb"]
        )
        items["logs"] = _logs(assume, prices, topology.inventory.ecs_log_days)
    return {name: usd * 1000 for name, usd in items.items()}


def metrics_at_load(topology: Topology, prices: Prices, assume: Assumptions) -> float:
    count = assume.shared_metrics + assume.metrics_per_front * len(topology.fronts)
    return count * prices["cloudwatch_metric_month"] if assume.predictions_per_month else 0.0


def priced(topology: Topology, prices: Prices, assume: Assumptions) -> Topology:
    topology.at_rest = price_at_rest(topology, prices, assume)
    topology.per_1000 = {
        f: price_per_prediction(topology, f, prices, assume) for f in topology.fronts
    }
    return topology


def stage_topology(
    stage: str, infra: Path = INFRA, settings: StageSettings | None = None
) -> Topology:
    settings = settings or settings_of(stage)
    fronts = (FRONT_LAMBDA, FRONT_ECS) if settings.ecs_front else (FRONT_LAMBDA,)
    held = inventory(infra, stacks(stage, settings))
    return Topology(stage, held, fronts, Functions.of(stage))


def old_topology(infra: Path = INFRA) -> Topology:
    """The old system: one always-on task (the ECS stack's default size) behind the
    internal ALB in the same VPC, the same data, no Lambda front, no alarms."""
    old = StageSettings(ecs_front=True, ecs_tasks=1)
    deployed = [Stack("data.yaml", {"Stage": DEFAULT_STAGE}), *front_stacks(DEFAULT_STAGE, old)]
    return Topology(OLD, inventory(infra, deployed), (FRONT_ECS,), None)


@dataclass(frozen=True)
class Summary:
    name: str
    at_rest: float
    per_1000: dict[str, float]  # by front
    month_at_load: float
    per_1000_at_load: float  # everything of the month, over its predictions


def summary(topology: Topology, prices: Prices, assume: Assumptions) -> Summary:
    rest = sum(topology.at_rest.values())
    per_front = {front: sum(items.values()) for front, items in topology.per_1000.items()}
    carried = per_front[topology.fronts[0]]  # the first front carries the load
    month = (
        rest
        + metrics_at_load(topology, prices, assume)
        + carried * assume.predictions_per_month / 1000
    )
    thousands = assume.predictions_per_month / 1000
    return Summary(topology.name, rest, per_front, month, month / thousands if thousands else 0.0)


def _usd(value: float | None) -> str:
    if not value:
        return "-"
    return f"${value:,.2f}" if value >= 0.995 else f"${value:.4f}"


def _row(label: str, ours: float | None, theirs: float | None) -> str:
    return f"{label:34}{_usd(ours):>14}{_usd(theirs):>16}"


def report(stage: Topology, old: Topology, prices: Prices, assume: Assumptions) -> str:
    ours, theirs = summary(stage, prices, assume), summary(old, prices, assume)
    names = sorted(set(stage.at_rest) | set(old.at_rest), key=lambda n: -stage.at_rest.get(n, 0))
    lines = [
        f"Monthly cost of stage {stage.name!r}, {prices.table['region']}, prices as of "
        f"{prices.table['read_on']} (devtools/infra/prices.json)",
        "",
        f"{'':34}{stage.name:>14}{OLD:>16}",
        *(_row(f"  {name}", stage.at_rest.get(name), old.at_rest.get(name)) for name in names),
        _row("at rest, a month", ours.at_rest, theirs.at_rest),
        *(
            _row(
                f"per 1,000 predictions via {front}",
                ours.per_1000.get(front),
                theirs.per_1000.get(front),
            )
            for front in (FRONT_LAMBDA, FRONT_ECS)
        ),
        _row("a month at the assumed load", ours.month_at_load, theirs.month_at_load),
        _row("  that is, per 1,000 predictions", ours.per_1000_at_load, theirs.per_1000_at_load),
        "",
        "Assumptions (flags change them): "
        + ", ".join(f"{k}={v:g}" for k, v in asdict(assume).items()),
        f"The load goes through the first front: {stage.fronts[0]} on {stage.name}, "
        f"{old.fronts[0]} on the old topology.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra.cost", description=__doc__)
    parser.add_argument("--stage", default=DEFAULT_STAGE)
    parser.add_argument("--infra", type=Path, default=INFRA, help="the templates' directory")
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    defaults = Assumptions()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    assume = Assumptions(**{name: getattr(args, name) for name in asdict(defaults)})
    prices = Prices(args.prices)
    stage = priced(stage_topology(check_stage(args.stage), args.infra), prices, assume)
    old = priced(old_topology(args.infra), prices, assume)
    if args.json:
        figures = {t.name: asdict(summary(t, prices, assume)) for t in (stage, old)}
        items = {t.name: {"at_rest": t.at_rest, "per_1000": t.per_1000} for t in (stage, old)}
        print(
            json.dumps(
                {"summary": figures, "items": items, "assumptions": asdict(assume)}, indent=2
            )
        )
    else:
        print(report(stage, old, prices, assume))
    return 0


if __name__ == "__main__":
    sys.exit(main())
