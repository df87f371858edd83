"""`python -m devtools.infra.package --stage S` (make package): a stage's deployable files,
offline, under build/<stage>/.

- `sam.yaml`: Chalice's packaged template merged with infra/functions-merge.yaml;
- `deployment.zip`: the app's code only (app.py, chalice_app, contract, Chalice's
  runtime), compiled for the runtime's Python;
- `layer.zip`: the shared dependencies (devtools/infra/layer.py).

`chalice package` needs a region and no credentials; its cache in .chalice/deployments is
keyed on file contents, not paths, so it is wiped first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contract.resources import check_stage
from devtools.infra import layer

REPO_ROOT = Path(__file__).resolve().parents[2]
MERGE_TEMPLATE = REPO_ROOT / "infra" / "functions-merge.yaml"
CHALICE = Path(sys.executable).with_name("chalice")
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Package:
    template: Path
    function_zip: Path
    layer_zip: Path


def build_dir(stage: str) -> Path:
    return REPO_ROOT / "build" / check_stage(stage)


def chalice_package(stage: str, out: Path) -> None:
    shutil.rmtree(REPO_ROOT / ".chalice" / "deployments", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION),
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [str(CHALICE), "package", "--stage", stage, "--template-format", "yaml"]
    command += ["--merge-template", str(MERGE_TEMPLATE), str(out)]
    built = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if built.returncode != 0:
        raise SystemExit(f"chalice package failed:\n{built.stdout}{built.stderr}")


def compile_function_zip(zip_path: Path) -> None:
    """Rewrite the function zip with bytecode for the runtime, and nothing stale."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
        layer.compile_tree(root)  # drops any __pycache__ the vendor/ links carried
        layer.write_zip(root, zip_path)


def build(
    stage: str, out: Path | None = None, *, bytecode: bool = True, layer_zip: Path | None = None
) -> Package:
    """Package the stage; `layer_zip`, when given, is a layer already built (make layer)."""
    out = out or build_dir(stage)
    shutil.rmtree(out, ignore_errors=True)
    chalice_package(stage, out)
    function_zip = out / "deployment.zip"
    if bytecode:
        compile_function_zip(function_zip)
    if layer_zip is None:
        layer_zip = layer.build(out / "layer", bytecode=bytecode)
    shutil.copyfile(layer_zip, out / "layer.zip")
    shutil.copyfile(layer_zip.with_name("layer.zip.sha256"), out / "layer.zip.sha256")
    shutil.rmtree(out / "layer", ignore_errors=True)
    return Package(out / "sam.yaml", function_zip, out / "layer.zip")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.infra.package", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-bytecode", action="store_true", help="for the benchmark's A/B")
    parser.add_argument("--layer", type=Path, help="a layer zip already built (make layer)")
    args = parser.parse_args(argv)
    built = build(args.stage, args.out, bytecode=not args.no_bytecode, layer_zip=args.layer)
    for path in (built.template, built.function_zip, built.layer_zip):
        print(
            f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
            f"{path.stat().st_size / 2**20:.2f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
