"""`python -m devtools.generate [--check]` (make generate): rewrite every generated file.

Each file is rendered from the code that owns what it says; `--check` only compares
and exits 1 naming the stale files, which is what the drift tests do.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _openapi() -> str:
    from chalice_app.openapi import render

    return render()


def _configuration() -> str:
    from devtools.configuration_doc import render

    return render()


def _analytics_template() -> str:
    from devtools.analytics_template import render

    return render()


def _policies() -> dict[str, Callable[[], str]]:
    """Each deployable stage's policy files, one per function, from infra/policies/."""
    from contract.resources import LAMBDA_FUNCTIONS
    from devtools.infra.policies import API, chalice_file, render_chalice
    from devtools.infra.stages import aws_stages

    return {
        f".chalice/{chalice_file(stage, function)}": functools.partial(
            render_chalice, function, stage
        )
        for stage in aws_stages()
        for function in (API, *LAMBDA_FUNCTIONS)
    }


def _templates() -> dict[str, Callable[[], str]]:
    from devtools.infra import (
        account_stack,
        alarms_stack,
        data_stack,
        ecs_stack,
        functions_stack,
        network_stack,
        pipeline_stack,
    )

    return {
        "infra/account.yaml": account_stack.render,
        "infra/data.yaml": data_stack.render,
        "infra/functions-merge.yaml": functions_stack.render,
        "infra/pipeline.yaml": pipeline_stack.render,
        "infra/network.yaml": network_stack.render,
        "infra/ecs.yaml": ecs_stack.render,
        "infra/alarms.yaml": alarms_stack.render,
    }


GENERATED: dict[str, Callable[[], str]] = {
    "chalice_app/openapi.json": _openapi,
    "docs/configuration.md": _configuration,
    "infra/analytics.yaml": _analytics_template,
    **_policies(),
    **_templates(),
}


def stale(root: Path = REPO_ROOT) -> list[str]:
    """The generated files whose content is not what the code renders now."""
    found = []
    for path, render in GENERATED.items():
        target = root / path
        if not target.is_file() or target.read_text(encoding="utf-8") != render():
            found.append(path)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for path in found:
            print(f"stale: {path} (run make generate)")
        return 1 if found else 0
    for path, render in GENERATED.items():
        target = REPO_ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
