"""Importing the Lambda handler does no work: no heavy modules, env reads or files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_importing_app_loads_no_model_code_and_touches_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, PVP_HOME=str(home), PVP_BACKEND="not-a-backend")
    script = (
        "import json, sys; import app; "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    # A bad backend name would fail here if configuration were read at import time.
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout))
    assert not modules & {"pandas", "sklearn", "numpy", "training_pipeline", "boto3"}
    assert not home.exists()
