"""Builds the backends once per process, on first use (never at import time)."""

from __future__ import annotations

import functools

from chalice_app import constants as c
from chalice_app.auth import KeyChecker
from chalice_app.config import Settings, load_settings
from chalice_app.errors import ConfigurationError
from chalice_app.ports import Services


def build_local_services(settings: Settings) -> Services:
    from chalice_app.local.keys import JsonKeyFileStore
    from chalice_app.local.prediction_log import SqlitePredictionLog
    from chalice_app.local.predictor import LocalPredictor
    from chalice_app.local.training import LocalRunStatus, LocalTrainingLauncher

    return Services(
        keys=KeyChecker(
            JsonKeyFileStore(settings.key_file, settings.key_ttl_seconds),
            settings.key_refresh_seconds,
        ),
        predictor=LocalPredictor(settings.home),
        prediction_log=SqlitePredictionLog(settings.prediction_log_path),
        launcher=LocalTrainingLauncher(settings.home),
        runs=LocalRunStatus(settings.home),
        max_body_bytes=settings.max_body_bytes,
        default_train_path=settings.train_path,
        default_validation_path=settings.validation_path,
    )


@functools.cache
def get_services() -> Services:
    settings = load_settings()
    if settings.backend == c.BACKEND_LOCAL:
        return build_local_services(settings)
    raise ConfigurationError(f"{c.ENV_BACKEND}={settings.backend} is not available yet")


def reset_services() -> None:
    """Forget the built backends (tests that change the environment call this)."""
    get_services.cache_clear()
