"""`chalice package` builds a small zip whose app answers in a bare interpreter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CHALICE = Path(sys.executable).with_name("chalice")

# Runs in `python -I -S`: no site-packages, no PYTHONPATH; only the unzipped package.
PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import app

def event(method, path, body=None, headers=None):
    return {"resource": path, "path": path, "httpMethod": method,
            "headers": headers or {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None,
            "pathParameters": None, "stageVariables": None,
            "requestContext": {"resourcePath": path, "httpMethod": method, "path": path,
                               "stage": "dev"},
            "body": body, "isBase64Encoded": False}

from chalice_app import contracts
from chalice_app.errors import UnprocessableError
try:
    contracts.validate(contracts.PredictionRequest, {"Type": 1})
    invalid = None
except UnprocessableError as exc:
    invalid = exc.body()
out = {
    "ping": app.app(event("GET", "/ping"), None),
    "openapi": app.app(event("GET", "/openapi.json"), None),
    "invalid": invalid,
    "modules": sorted({m.split(".")[0] for m in sys.modules}),
}
print(json.dumps(out))
"""


@pytest.mark.slow
def test_package_has_the_handler_and_no_model_code(tmp_path: Path) -> None:
    shutil.rmtree(REPO_ROOT / ".chalice" / "deployments", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", PYTHONDONTWRITEBYTECODE="1")
    out = tmp_path / "out"
    built = subprocess.run(
        [str(CHALICE), "package", "--stage", "dev", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "pkg")
    tops = {name.split("/")[0] for name in names}
    assert {"app.py", "chalice_app", "pydantic", "pydantic_core"} <= tops
    assert "chalice_app/local/predictor.py" in names
    assert not {t for t in tops if t.startswith(("pandas", "sklearn", "scikit", "numpy"))}
    assert "training_pipeline" not in tops
    size = sum(p.stat().st_size for p in (tmp_path / "pkg").rglob("*") if p.is_file())
    assert size < 20 * 1024 * 1024

    home = tmp_path / "home"
    home.mkdir()
    (home / "api-keys.json").write_text(json.dumps({"k": "secret-key"}))
    probe_env = {"PATH": os.environ["PATH"], "PVP_HOME": str(home)}
    ran = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(tmp_path / "pkg"), "secret-key"],
        cwd=tmp_path,
        env=probe_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    # The local backend cannot run without model code: a plain 503, no traceback.
    assert result["ping"]["statusCode"] == 503
    assert json.loads(result["ping"]["body"])["error"].startswith("the service is misconfigured")
    # The committed OpenAPI document travels in the zip and is served from it.
    assert result["openapi"]["statusCode"] == 200
    assert json.loads(result["openapi"]["body"])["openapi"].startswith("3.1")
    # The invalid body went through pydantic from the package's own wheels.
    assert "Sector" in result["invalid"]["fields"]
    assert "pandas" not in result["modules"] and "training_pipeline" not in result["modules"]
