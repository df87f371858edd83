"""How much of a worker one client may hold, and for how long (contract.environment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from contract import environment as env_vars


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = env_vars.HEADER_TIMEOUT_SECONDS.default
    body_timeout: float = env_vars.BODY_TIMEOUT_SECONDS.default
    keepalive_timeout: float = env_vars.KEEPALIVE_SECONDS.default
    max_connections: int = env_vars.MAX_CONNECTIONS.default
    max_header_bytes: int = env_vars.MAX_HEADER_BYTES.default
    # The largest any route takes (the batch route's); each route holds its own.
    max_body_bytes: int = env_vars.server_body_limit({})


def load_limits(env: Mapping[str, str] | None = None) -> ServerLimits:
    """The limits; ConfigurationError (naming the variable) when one is wrong."""
    env = os.environ if env is None else env
    return ServerLimits(
        header_timeout=env_vars.HEADER_TIMEOUT_SECONDS.read(env),
        body_timeout=env_vars.BODY_TIMEOUT_SECONDS.read(env),
        keepalive_timeout=env_vars.KEEPALIVE_SECONDS.read(env),
        max_connections=env_vars.MAX_CONNECTIONS.read(env),
        max_header_bytes=env_vars.MAX_HEADER_BYTES.read(env),
        max_body_bytes=env_vars.server_body_limit(env),
    )
