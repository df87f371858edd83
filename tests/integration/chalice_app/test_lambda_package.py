"""`chalice package` builds a small zip whose app answers in a bare interpreter: on the
local backend (a plain 503: no model code in the zip) and on the AWS backend against
moto_server and the model server, with only the boto3 the Lambda runtime provides."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests import events
from tests.conftest import AwsStack, logged_predictions
from tests.secrets_watch import json_lines, metric_documents

REPO_ROOT = Path(__file__).resolve().parents[3]
CHALICE = Path(sys.executable).with_name("chalice")
# What the Lambda Python runtime ships beside the function's code.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

# Runs in `python -I -S`: no site-packages, no PYTHONPATH; only the given directories.
# Calls the app with each API Gateway event given on stdin, by name (tests/events).
PROBE = """
import json, sys
sys.path[:0] = sys.argv[1:]
import app

from chalice_app import contracts
from chalice_app.errors import UnprocessableError
try:
    contracts.validate(contracts.PredictionRequest, {"Type": 1})
    invalid = None
except UnprocessableError as exc:
    invalid = exc.body()
answers = {name: app.app(event, None) for name, event in json.loads(sys.stdin.read()).items()}
out = {**answers, "invalid": invalid,
       "modules": sorted({m.split(".")[0] for m in sys.modules})}
print("PROBE " + json.dumps(out))
"""
# Runs a Lambda function as Lambda does: its module imported by the handler string of the
# packaged template (without app.py), called with each event given on stdin.
FUNCTION_PROBE = """
import importlib, json, sys
sys.path[:0] = sys.argv[2:]
module, _, name = sys.argv[1].rpartition(".")
handler = getattr(importlib.import_module(module), name)

class Context:
    function_name = "probe"
    memory_limit_in_mb = 256
    invoked_function_arn = ""
    aws_request_id = "probe-request"

    def get_remaining_time_in_millis(self):
        return 5000

print("PROBE " + json.dumps([handler(event, Context()) for event in json.loads(sys.stdin.read())]))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shutil.rmtree(REPO_ROOT / ".chalice" / "deployments", ignore_errors=True)
    tmp = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", PYTHONDONTWRITEBYTECODE="1")
    built = subprocess.run(
        [str(CHALICE), "package", "--stage", "dev", str(tmp / "out")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    with zipfile.ZipFile(tmp / "out" / "deployment.zip") as archive:
        archive.extractall(tmp / "pkg")
    return tmp / "pkg"


def _runtime_boto3(target: Path) -> Path:
    """A directory holding only what Lambda's runtime adds: boto3 and its dependencies."""
    target.mkdir(exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = target / source.name
        if not link.exists():
            link.symlink_to(source)
    return target


def _probe(paths: list[Path], env: dict[str, str], sent: dict[str, Any] | None = None) -> Any:
    """The app's answers to /ping, /openapi.json and the `sent` events, by name."""
    every = {"ping": events.load("api_handler/ping"), "openapi": events.load("api_handler/openapi")}
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, *map(str, paths)],
        cwd=paths[0].parent,
        env={"PATH": os.environ["PATH"], **env},
        input=json.dumps({**every, **(sent or {})}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    (line,) = [line for line in ran.stdout.splitlines() if line.startswith("PROBE ")]
    return json.loads(line.removeprefix("PROBE ")), ran.stdout


def _handler(package: Path, function: str) -> str:
    """The handler string the packaged template gives a function (its logical id)."""
    template = json.loads((package.parent / "out" / "sam.json").read_text())
    logical = "".join(part.title() for part in function.split("_"))
    return str(template["Resources"][logical]["Properties"]["Handler"])


@pytest.mark.slow
def test_the_test_invoker_runs_from_the_zip_as_lambda_loads_it(
    package: Path, tmp_path: Path
) -> None:
    from contract.environment import API_URL
    from contract.resources import TEST_INVOKER
    from devtools.launch import free_port

    sent = events.load("test_invoker/ping")
    refused = events.load("test_invoker/refused/unknown_endpoint")
    paths = [package, _runtime_boto3(tmp_path / "runtime")]
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-c", FUNCTION_PROBE, _handler(package, TEST_INVOKER)]
        + [str(path) for path in paths],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], API_URL.name: f"http://127.0.0.1:{free_port()}"},
        input=json.dumps([sent, refused]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    (line,) = [line for line in ran.stdout.splitlines() if line.startswith("PROBE ")]
    # The route table came from the zip's app: /ping was sent (and refused), /predict not.
    first, second = json.loads(line.removeprefix("PROBE "))
    assert first["error"]["kind"] == "refused" and second["error"]["kind"] == "unknown_endpoint"


@pytest.mark.slow
def test_package_has_the_handler_and_no_model_code(package: Path, tmp_path: Path) -> None:
    names = {str(p.relative_to(package)) for p in package.rglob("*")}
    tops = {name.split("/")[0] for name in names}
    shipped = {"app.py", "chalice_app", "contract", "pydantic", "pydantic_core"}
    assert shipped | {"aws_lambda_powertools"} <= tops
    assert {"chalice_app/local/predictor.py", "chalice_app/aws/predictor.py"} <= names
    assert not {t for t in tops if t.startswith(("pandas", "sklearn", "scikit", "numpy"))}
    assert not {"training_pipeline", "boto3", "botocore"} & tops
    size = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
    assert size < 20 * 1024 * 1024

    home = tmp_path / "home"
    home.mkdir()
    result, _ = _probe([package], {"PVP_HOME": str(home)})
    # The local backend cannot run without model code: a plain 503, no traceback.
    assert result["ping"]["statusCode"] == 503
    assert json.loads(result["ping"]["body"])["error"].startswith("the service is misconfigured")
    # The committed OpenAPI document travels in the zip and is served from it.
    assert result["openapi"]["statusCode"] == 200
    assert json.loads(result["openapi"]["body"])["openapi"].startswith("3.1")
    # The invalid body went through pydantic from the package's own wheels.
    assert "Sector" in result["invalid"]["fields"]
    assert "pandas" not in result["modules"] and "training_pipeline" not in result["modules"]


@pytest.mark.slow
def test_packaged_app_serves_on_the_aws_backend(
    package: Path, tmp_path: Path, aws_stack: AwsStack
) -> None:
    predict = events.load("api_handler/get_prediction")
    sent = {
        "predict": events.with_api_key(predict, aws_stack.key),
        "bad_key": events.with_api_key(predict, "not-the-key"),
    }
    paths = [package, _runtime_boto3(tmp_path / "runtime")]
    result, output = _probe(paths, aws_stack.env, sent)
    assert result["ping"]["statusCode"] == 200, result["ping"]
    assert json.loads(result["ping"]["body"]) == {"status": "ok", "model_version": "v0001"}
    assert result["predict"]["statusCode"] == 200, result["predict"]
    answer = json.loads(result["predict"]["body"])
    assert answer["model_version"] == "v0001" and answer["value"] > 0
    item = logged_predictions(aws_stack)[answer["prediction_id"]]
    assert (
        item["value"] == answer["value"]
        and item["inputs"]["sector"] == events.prediction_request()["Sector"]
    )
    assert result["bad_key"]["statusCode"] == 403
    assert "pandas" not in result["modules"] and "boto3" in result["modules"]
    # Logs and metrics are JSON lines carrying the request's id.
    lines = json_lines(output)
    metrics = metric_documents(lines)
    assert any(m.get("predictions") == [1.0] or m.get("predictions") == 1.0 for m in metrics)
