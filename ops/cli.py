"""`python -m ops ...`: a stage's training runs, batch jobs and prediction log, from a
shell: replayed, exported, compared with the training data (drift) and reported on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contract.settings import ConfigurationError
from ops import batch, drift, export, replay, report, stage_runs
from ops.errors import OperatorError

EXIT_FAILED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    stage_runs.add_commands(commands)
    replay.add_commands(commands)
    export.add_commands(commands)
    drift.add_commands(commands)
    report.add_commands(commands)
    batch.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (OperatorError, ConfigurationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
