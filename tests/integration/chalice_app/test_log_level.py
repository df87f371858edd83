"""POWERTOOLS_LOG_LEVEL decides what the app's JSON log shows, in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(("level", "shown"), [("WARNING", ["warned"]), ("", ["told", "warned"])])
def test_powertools_log_level_sets_what_is_logged(level: str, shown: list[str]) -> None:
    probe = (
        "from chalice_app import observability as o; o.setup(); "
        "o.logger.info('told'); o.logger.warning('warned')"
    )
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": level}
    ran = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert [json.loads(line)["message"] for line in ran.stdout.splitlines()] == shown
