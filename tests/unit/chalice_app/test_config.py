from __future__ import annotations

from pathlib import Path

import pytest

from chalice_app.config import load_settings
from chalice_app.errors import ConfigurationError


def test_defaults_live_under_home(tmp_path: Path) -> None:
    settings = load_settings({"PVP_HOME": str(tmp_path)})
    assert settings.backend == "local"
    assert settings.key_file == tmp_path / "api-keys.json"
    assert settings.prediction_log_path == tmp_path / "predictions.sqlite"
    assert settings.train_path == str(tmp_path / "sample" / "train.csv")
    assert settings.max_body_bytes == 64 * 1024


def test_relative_home_becomes_absolute() -> None:
    assert load_settings({"PVP_HOME": "rel"}).home.is_absolute()


@pytest.mark.parametrize(
    "env",
    [{"PVP_BACKEND": "gcp"}, {"PVP_KEY_REFRESH_SECONDS": "soon"}, {"PVP_MAX_BODY_BYTES": "-1"}],
)
def test_bad_configuration_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        load_settings(env)
