"""`python -m devtools.serve_local` (make run): a working API on a fresh machine.

Trains and deploys a model on the synthetic sample if none is deployed, makes the key
file if missing (showing the key once), then replaces itself with the proxy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chalice_app.config import TRAIN_FILENAME, LocalSettings, load_local_settings
from chalice_app.local.keys import ensure_key_file, read_key_file
from contract.environment import BIND_HOST, HOME, PORT


def _cli(settings: LocalSettings, *args: str) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env[HOME.name] = str(settings.home)
    subprocess.run([sys.executable, "-m", "training_pipeline", *args], env=env, check=True)


def _has_deployed_model(home: Path) -> bool:
    from training_pipeline.deployed import DeployedModelReader
    from training_pipeline.errors import ModelLoadError, NoDeployedModelError

    try:
        DeployedModelReader(home).current()
    except NoDeployedModelError:
        return False
    except ModelLoadError as exc:
        # Not retrained over silently: the server starts, /ping says why it cannot answer,
        # and the next good deploy (a run, or a rollback) serves.
        print(f"warning: {exc}; /ping will answer 503 until a loadable version is deployed")
    return True


def ensure_sample(settings: LocalSettings) -> Path:
    """The synthetic sample's directory, generated when missing."""
    sample = settings.sample_dir
    if not (sample / TRAIN_FILENAME).is_file():
        print(f"generating the synthetic sample in {sample}")
        _cli(settings, "sample-data", "--out", str(sample))
    return sample


def deploy_first_model(settings: LocalSettings) -> None:
    """Train and deploy a model on the synthetic sample when none is deployed."""
    if not _has_deployed_model(settings.home):
        ensure_sample(settings)
        print("training and deploying a first model (a few seconds)")
        _cli(
            settings,
            "run",
            "--train",
            settings.train_path,
            "--validation",
            settings.validation_path,
        )
        if not _has_deployed_model(settings.home):
            print("warning: the first run was not deployed; /ping will answer 503")


def prepare(settings: LocalSettings) -> str | None:
    """Deploy a first model and create the key file when missing; the new key, if made."""
    deploy_first_model(settings)
    return ensure_key_file(settings.key_file)


def curl_example(key: str = "$KEY") -> str:
    """A /get_prediction request that works as printed against this proxy."""
    host = BIND_HOST.read(os.environ)
    port = PORT.read(os.environ)
    body = (
        '{"Type": "departamento", "Sector": "Vitacura", "NetUsableArea": 140, "NetArea": 170,'
        ' "NRooms": 4, "NBathroom": 3, "Latitude": -33.40, "Longitude": -70.58}'
    )
    return (
        f'curl -s http://{host}:{port}/get_prediction -H "API-key: {key}" '
        f"-H 'Content-Type: application/json' -d '{body}'"
    )


def _curl_example(settings: LocalSettings) -> str:
    read_key = "import json,sys; print(next(iter(json.load(open(sys.argv[1])).values())))"
    return f"KEY=$(python3 -c '{read_key}' {settings.key_file})\n  " + curl_example()


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    settings = load_local_settings()
    os.environ[HOME.name] = str(settings.home)
    key = prepare(settings)
    if key is not None:
        print(f"created the API key file {settings.key_file} (mode 0600)")
        print(f"your API key (shown once): {key}")
    else:
        print(f"API keys: {settings.key_file}")
    read_key_file(settings.key_file)  # fail here, not on the first request
    print("try:\n  " + _curl_example(settings), flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "ecs_proxy"])


if __name__ == "__main__":
    main()
