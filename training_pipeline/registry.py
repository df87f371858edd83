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
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from training_pipeline.errors import NoDeployedModelError, RegistryError
from training_pipeline.model import PriceModel
from training_pipeline.runs import utc_now
from training_pipeline.store import connect

POINTER_NAME = "deployed.json"
MODEL_STATUSES = ("accepted", "rejected", "failed")


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
            version = f"v{count + 1:04d}"
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
        pointer = _read_pointer(self.pointer)
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
        pointer = _read_pointer(self.pointer)
        if pointer is None:
            return None
        return pointer.version, self.home / pointer.path

    def deployed_model(self) -> tuple[str, PriceModel] | None:
        location = self.deployed_location()
        if location is None:
            return None
        return location[0], PriceModel.load(location[1])


class DeployedModelReader:
    """What a serving process holds: the deployed model, reloaded when the pointer moves.

    One os.stat per call decides whether to reload, so a deploy or a rollback is
    picked up by the next request without a restart.
    """

    def __init__(self, home: Path) -> None:
        self._pointer = home / POINTER_NAME
        self._home = home
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._current: tuple[str, PriceModel] | None = None

    def current(self) -> tuple[str, PriceModel]:
        try:
            stat = os.stat(self._pointer)
        except FileNotFoundError:
            raise NoDeployedModelError("no model is deployed yet") from None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key != self._seen or self._current is None:
            with self._lock:
                if key != self._seen or self._current is None:
                    pointer = _read_pointer(self._pointer)
                    if pointer is None:  # undeployed between the stat and the read
                        raise NoDeployedModelError("no model is deployed yet")
                    if self._current is None or self._current[0] != pointer.version:
                        model = PriceModel.load(self._home / pointer.path)
                        self._current = (pointer.version, model)
                    self._seen = key
        return self._current


@dataclass(frozen=True)
class _Pointer:
    version: str
    path: str  # the model's directory, relative to the home


def _read_pointer(pointer: Path) -> _Pointer | None:
    try:
        data = json.loads(pointer.read_text())
    except FileNotFoundError:
        return None
    return _Pointer(str(data["version"]), str(data["path"]))


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
