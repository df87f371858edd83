"""Settings read from the environment once; argument, then variable, then default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalice_app import constants as c
from chalice_app.errors import ConfigurationError


@dataclass(frozen=True)
class Settings:
    """What every backend and front shares."""

    backend: str
    key_refresh_seconds: float
    key_ttl_seconds: float
    max_body_bytes: int


@dataclass(frozen=True)
class LocalSettings:
    """Where the embedded backend keeps its state and finds its default data."""

    home: Path
    key_file: Path
    train_path: str
    validation_path: str
    data_dirs: tuple[Path, ...]
    max_training_runs: int

    @property
    def prediction_log_path(self) -> Path:
        return self.home / c.PREDICTION_LOG_FILENAME


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ConfigurationError(f"{name} must not be negative, got {raw!r}")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    backend = env.get(c.ENV_BACKEND) or c.DEFAULT_BACKEND
    if backend not in c.BACKENDS:
        raise ConfigurationError(f"{c.ENV_BACKEND} must be one of {c.BACKENDS}, got {backend!r}")
    return Settings(
        backend=backend,
        key_refresh_seconds=_number(env, c.ENV_KEY_REFRESH_SECONDS, c.DEFAULT_KEY_REFRESH_SECONDS),
        key_ttl_seconds=_number(env, c.ENV_KEY_TTL_SECONDS, c.DEFAULT_KEY_TTL_SECONDS),
        max_body_bytes=int(_number(env, c.ENV_MAX_BODY_BYTES, c.DEFAULT_MAX_BODY_BYTES)),
    )


def load_local_settings(env: Mapping[str, str] | None = None) -> LocalSettings:
    # The training pipeline owns $PVP_HOME (its CLI reads it too): one resolver for both.
    # Imported here so that the AWS backend and the Lambda package never need it.
    from training_pipeline.store import resolve_home

    env = os.environ if env is None else env
    home = resolve_home(env=env)
    sample = home / c.SAMPLE_DIRNAME
    key_file = env.get(c.ENV_KEY_FILE)
    data_dirs = env.get(c.ENV_DATA_DIRS)
    return LocalSettings(
        home=home,
        key_file=Path(key_file).expanduser().absolute() if key_file else home / c.KEY_FILENAME,
        train_path=env.get(c.ENV_TRAIN_PATH) or str(sample / c.TRAIN_FILENAME),
        validation_path=env.get(c.ENV_VALIDATION_PATH) or str(sample / c.VALIDATION_FILENAME),
        data_dirs=(
            tuple(Path(d).expanduser().absolute() for d in data_dirs.split(os.pathsep) if d)
            if data_dirs
            else (home / c.DATA_DIRNAME, sample)
        ),
        max_training_runs=int(_number(env, c.ENV_MAX_TRAINING_RUNS, c.DEFAULT_MAX_TRAINING_RUNS)),
    )
