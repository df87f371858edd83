"""The local model registry: versions, their status, and which one is deployed.

Model files live in $PVP_HOME/models/<version>/ and never change once written. What
is deployed is one small pointer file replaced atomically (os.replace), so a reader
sees the old version or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from contract.vocabulary import MODEL_STATUSES, model_version, utc_now
from training_pipeline.deployed import POINTER_NAME, load_version, read_pointer
from training_pipeline.errors import RegistryError
from training_pipeline.model import PriceModel
from training_pipeline.store import connect


@dataclass(frozen=True)
class ModelVersion:
    version: str
    run_id: str
    status: str
    created_at: str
    metrics: dict[str, Any]
    params: dict[str, Any]
    fingerprints: dict[str, str]
    path: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LocalRegistry:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.pointer = home / POINTER_NAME

    def register(
        self,
        model_dir: Path | None,
        *,
        run_id: str,
        status: str,
        metrics: dict[str, Any],
        params: dict[str, Any],
        fingerprints: dict[str, str],
    ) -> ModelVersion:
        """Give the model a version, copying its files into the registry first."""
        if status not in MODEL_STATUSES:
            raise RegistryError(f"unknown model status {status!r}")
        with connect(self.home) as db:
            db.execute("BEGIN IMMEDIATE")  # one writer numbers versions at a time
            count = db.execute("SELECT COUNT(*) FROM models").fetchone()[0]
            version = model_version(count + 1)
            relative = None
            if model_dir is not None:
                relative = f"models/{version}"
                _copy_atomically(model_dir, self.home / relative)
            db.execute(
                "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    version,
                    run_id,
                    status,
                    utc_now(),
                    json.dumps(metrics),
                    json.dumps(params),
                    json.dumps(fingerprints),
                    relative,
                ),
            )
            db.execute("COMMIT")
        return self.get(version)

    def get(self, version: str) -> ModelVersion:
        with connect(self.home) as db:
            row = db.execute("SELECT * FROM models WHERE version = ?", (version,)).fetchone()
        if row is None:
            raise RegistryError(f"no model version {version!r}")
        return _version(row)

    def list(self) -> list[ModelVersion]:
        with connect(self.home) as db:
            rows = db.execute("SELECT * FROM models ORDER BY version").fetchall()
        return [_version(row) for row in rows]

    def deployed_version(self) -> str | None:
        pointer = read_pointer(self.pointer)
        return None if pointer is None else pointer.version

    def deploy(self, version: str, *, action: str = "deploy") -> ModelVersion:
        """Point serving at an accepted version, atomically."""
        model = self.get(version)
        if model.status != "accepted" or model.path is None:
            raise RegistryError(f"{version} is {model.status}; only accepted versions deploy")
        _write_atomically(self.pointer, json.dumps({"version": version, "path": model.path}))
        with connect(self.home) as db:
            db.execute(
                "INSERT INTO deployments (version, action, at) VALUES (?, ?, ?)",
                (version, action, utc_now()),
            )
        return model

    def rollback(self, version: str) -> ModelVersion:
        return self.deploy(version, action="rollback")

    def deployed_location(self) -> tuple[str, Path] | None:
        """The deployed version and its directory (which never changes once written)."""
        pointer = read_pointer(self.pointer)
        if pointer is None:
            return None
        return pointer.version, self.home / pointer.path

    def deployed_model(self) -> tuple[str, PriceModel] | None:
        """The deployed version and its model; ModelLoadError when it cannot be loaded."""
        pointer = read_pointer(self.pointer)
        if pointer is None:
            return None
        return pointer.version, load_version(self.home, pointer)


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    shutil.copytree(source, staging, dirs_exist_ok=True)
    os.replace(staging, target)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _version(row: Any) -> ModelVersion:
    data = dict(row)
    for name in ("metrics", "params", "fingerprints"):
        data[name] = json.loads(data[name])
    return ModelVersion(**data)
