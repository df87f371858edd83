"""gunicorn, configured in code: loopback by default, event-loop workers, no control socket."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from chalice_app import observability
from contract import environment as env_vars
from contract.metrics import FRONT_ECS
from contract.settings import ConfigurationError
from ecs_proxy.limits import load_limits

if TYPE_CHECKING:
    from ecs_proxy.wsgi import ProxyApp

EVENT_LOOP_WORKER = "ecs_proxy.worker.EventLoopWorker"
# The configuration before the event-loop worker: kept as the benchmarks' reference.
SYNC_WORKER = "sync"
METRICS_FLUSH_SECONDS = 1.0


def server_options(
    env: Mapping[str, str] | None = None, worker_class: str = EVENT_LOOP_WORKER
) -> dict[str, Any]:
    env = os.environ if env is None else env
    try:
        load_limits(env)  # a bad setting stops the start here, not in every worker
        host = env_vars.BIND_HOST.read(env)
        port = env_vars.PORT.read(env)
        workers = env_vars.WORKERS.read(env)
        access_log = env_vars.ACCESS_LOG.read(env)
    except ConfigurationError as exc:
        raise SystemExit(str(exc)) from None
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        # Explicit: gunicorn binds 0.0.0.0 when PORT is set and no bind is given.
        "bind": [bind],
        # Chalice keeps app.current_request on the app object: one request per process at a
        # time, which the event-loop worker gives while it reads any number of clients.
        "worker_class": worker_class,
        "workers": workers,
        "control_socket_disable": True,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        "post_worker_init": _warm_up,
        "worker_exit": _flush_metrics,
    }


def warm_up(app: ProxyApp) -> int:
    """Ready a worker for its first request; the status /ping answered."""
    # Build the backends and load the model before the first request instead of during
    # it, by asking the app for /ping as a client would: the proxy stays a pure front.
    # Its answers are the ECS front's from here on.
    observability.serve_as(FRONT_ECS)
    status = app.ping()
    # The app, the model and the libraries are loaded now and live as long as the
    # process: move them out of the cyclic collector's sight, so that a full collection
    # (set off by, say, 200 slow connections opening at once) does not walk all of them
    # inside a request. Measured: p99 at 8 connections under 200 slow clients.
    gc.freeze()
    # A long-running process writes its metrics once a second, not once per request.
    observability.flush_every(METRICS_FLUSH_SECONDS)
    return status


def _warm_up(worker: Any) -> None:
    status = warm_up(worker.wsgi)
    if status != 200:
        worker.log.warning("not ready yet: /ping answered %s", status)


def _flush_metrics(server: Any, worker: Any) -> None:
    observability.flush()  # what the last second counted, before the worker is gone


class ProxyServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: Mapping[str, Any]) -> None:
        self._options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from ecs_proxy.wsgi import build_wsgi_app

        return build_wsgi_app()


def serve(env: Mapping[str, str] | None = None, worker_class: str = EVENT_LOOP_WORKER) -> None:
    ProxyServer(server_options(env, worker_class)).run()
