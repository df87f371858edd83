"""How much of a worker one client may hold, and for how long (PVP_* variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalice_app import constants as c


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = c.DEFAULT_HEADER_TIMEOUT_SECONDS
    body_timeout: float = c.DEFAULT_BODY_TIMEOUT_SECONDS
    keepalive_timeout: float = c.DEFAULT_KEEPALIVE_SECONDS
    max_connections: int = c.DEFAULT_MAX_CONNECTIONS
    max_header_bytes: int = c.DEFAULT_MAX_HEADER_BYTES
    max_body_bytes: int = c.DEFAULT_MAX_BODY_BYTES


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        # Read before the workers start: the server refuses to start, with the reason.
        raise SystemExit(f"{name} must be a positive number, got {raw!r}")
    return value


def load_limits(env: Mapping[str, str] | None = None) -> ServerLimits:
    env = os.environ if env is None else env
    return ServerLimits(
        header_timeout=_positive(
            env, c.ENV_HEADER_TIMEOUT_SECONDS, c.DEFAULT_HEADER_TIMEOUT_SECONDS
        ),
        body_timeout=_positive(env, c.ENV_BODY_TIMEOUT_SECONDS, c.DEFAULT_BODY_TIMEOUT_SECONDS),
        keepalive_timeout=_positive(env, c.ENV_KEEPALIVE_SECONDS, c.DEFAULT_KEEPALIVE_SECONDS),
        max_connections=int(_positive(env, c.ENV_MAX_CONNECTIONS, c.DEFAULT_MAX_CONNECTIONS)),
        max_header_bytes=int(_positive(env, c.ENV_MAX_HEADER_BYTES, c.DEFAULT_MAX_HEADER_BYTES)),
        max_body_bytes=int(_positive(env, c.ENV_MAX_BODY_BYTES, c.DEFAULT_MAX_BODY_BYTES)),
    )
