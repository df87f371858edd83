"""The ECS task's image, as far as can be checked without a Docker engine: its
Dockerfile lints clean, its build context holds what it copies and no model code, and
what it runs (the proxy on the AWS backend) never imports model code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conftest import REPO_ROOT
from tests.dockerfiles import hadolint_output, ignore_rules

DOCKERFILE = REPO_ROOT / "ecs_proxy" / "Dockerfile"
MODEL_CODE = ("training_pipeline", "pandas", "numpy", "sklearn", "catboost", "scipy")

# Runs in a fresh interpreter that refuses to import model code, as the image would.
PROBE = """
import importlib.abc, json, sys

class NoModelCode(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked}:
            raise ImportError(f"{{name}} is not in the image")
        return None

sys.meta_path.insert(0, NoModelCode())
from ecs_proxy.wsgi import build_wsgi_app
from chalice_app.wiring import build_backends

build_wsgi_app()
backends = build_backends()
print(json.dumps({{"predictor": type(backends.predictor).__name__,
                  "modules": sorted({{m.split(".")[0] for m in sys.modules}})}}))
"""


def test_hadolint_finds_nothing() -> None:
    code, findings = hadolint_output(DOCKERFILE)
    assert code == 0, findings


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_model_code() -> None:
    rules = ignore_rules(DOCKERFILE)
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = re.findall(r"^COPY (.+) \S+$", DOCKERFILE.read_text(), flags=re.MULTILINE)
    sources = [source.rstrip("/") for line in copied for source in line.split()]
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert source in allowed or source.split("/")[0] in allowed, source
    assert "training_pipeline" not in allowed
    installs = [line for line in DOCKERFILE.read_text().splitlines() if "pip install" in line]
    assert installs == ["RUN pip install --no-cache-dir -r ecs_proxy/requirements.txt"]


def test_what_ships_in_the_image_needs_no_deny_list() -> None:
    # The context is an allow-list of whole packages; what it holds imports neither model
    # code nor dev tooling at module level (the local backend's lazy imports of the model
    # code never run on the AWS backend), so no rule picks files out of a shipped folder.
    rules = ignore_rules(DOCKERFILE)
    denied = [rule for rule in rules if not rule.startswith(("!", "**"))]
    assert denied == ["ecs_proxy/Dockerfile*"]
    shipped = [rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    for top in shipped:
        path = REPO_ROOT / top
        for module in [path] if path.is_file() else sorted(path.rglob("*.py")):
            text = module.read_text()
            for forbidden in ("training_pipeline", "devtools", "moto"):
                assert not re.search(rf"^(from|import) {forbidden}\b", text, re.M), (
                    module,
                    forbidden,
                )


def test_the_proxys_requirements_carry_no_model_library() -> None:
    def pins(path: str) -> list[str]:
        found = []
        for line in (REPO_ROOT / path).read_text().splitlines():
            if line.startswith("-r "):
                found += pins(os.path.normpath(os.path.join(os.path.dirname(path), line[3:])))
            elif line and not line.startswith("#"):
                found.append(line.split("==")[0].lower())
        return found

    names = pins("ecs_proxy/requirements.txt")
    assert {"chalice", "gunicorn", "h11", "boto3", "pydantic"} <= set(names)
    assert not {"pandas", "numpy", "scikit-learn", "catboost", "scipy"} & set(names)


def test_the_proxy_on_the_aws_backend_runs_without_model_code() -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PVP_BACKEND": "aws",
        "PVP_BUCKET": "pvp-image-test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(blocked=repr(set(MODEL_CODE)))],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["predictor"] == "EndpointPredictor"
    assert not set(MODEL_CODE) & set(found["modules"])
