"""`python -m benchmarks.server_candidates`: the proxy on a maintained HTTP server, as the
API benchmark's `--servers` choices run it (PVP_BENCH_SERVER names which).

Each candidate is configured as its documentation recommends for this app: the same
bind address, port, worker count and limits (ecs_proxy.limits) as the proxy, one
request at a time per process (Chalice's app object is not thread-safe), the same
warm-up before the first request, and TCP_NODELAY on every connection (the benchmark
checks it on the server's own sockets):

- granian-wsgi: granian's WSGI interface, one blocking thread per worker. The body is
  streamed into that thread (`wsgi.input.read` blocks in the Rust runtime), so a client
  that sends a short body holds the process until it disconnects: there is no body
  deadline to set.
- granian-asgi: granian's ASGI interface over benchmarks.asgi_proxy, which reads the body on
  the loop with a deadline and calls the app inline. hyper has one timer for the head
  and for the idle wait between requests (header_read_timeout): it is set to the longer
  of the two, the keep-alive, which must outlast the ALB's 60 s idle timeout.
- uvicorn: gunicorn's process management with uvicorn's worker class
  (uvicorn-worker), httptools and uvloop, over benchmarks.asgi_proxy. uvicorn has no deadline
  for a request head (its keep-alive timer restarts on every byte).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from contract import environment as env_vars
from ecs_proxy.limits import ServerLimits, load_limits

SERVER_ENV = "PVP_BENCH_SERVER"
CANDIDATES = ("granian-wsgi", "granian-asgi", "uvicorn")
# hyper's smallest buffer: a head limit below it is raised to it.
_HYPER_MIN_BUFFER = 8192


def _address(env: Mapping[str, str]) -> tuple[str, int]:
    return env_vars.BIND_HOST.read(env), env_vars.PORT.read(env)


def _workers(env: Mapping[str, str]) -> int:
    return env_vars.WORKERS.read(env)


def warmed_wsgi_app() -> Any:
    """granian-wsgi's factory, called in each worker: the proxy, warmed up."""
    from ecs_proxy.server import warm_up
    from ecs_proxy.wsgi import build_wsgi_app

    app = build_wsgi_app()
    warm_up(app)
    return app


def asgi_app() -> Any:
    """The ASGI candidates' factory; the lifespan warms each worker up."""
    from benchmarks.asgi_proxy import ProxyAsgi

    return ProxyAsgi()


def run_granian(interface: str, env: Mapping[str, str], limits: ServerLimits) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops, RuntimeModes
    from granian.http import HTTP1Settings

    host, port = _address(env)
    wsgi = interface == "wsgi"
    Granian(
        f"benchmarks.server_candidates:{'warmed_wsgi_app' if wsgi else 'asgi_app'}",
        address=host,
        port=port,
        interface=Interfaces.WSGI if wsgi else Interfaces.ASGI,
        factory=True,
        workers=_workers(env),
        blocking_threads=1,
        runtime_mode=RuntimeModes.st,
        loop=Loops.uvloop,
        http=HTTPModes.http1,  # what an ALB speaks to its targets
        websockets=False,
        backpressure=limits.max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(max(limits.header_timeout, limits.keepalive_timeout) * 1000),
            keep_alive=True,
            max_buffer_size=max(limits.max_header_bytes, _HYPER_MIN_BUFFER),
        ),
        log_access=env_vars.ACCESS_LOG.read(env),
        respawn_failed_workers=True,
        workers_kill_timeout=10,
    ).serve()


def run_uvicorn(env: Mapping[str, str], limits: ServerLimits) -> None:
    from ecs_proxy.server import ProxyServer

    class Gunicorn(ProxyServer):  # the proxy's gunicorn application, serving ASGI
        def load(self) -> Any:
            return asgi_app()

    host, port = _address(env)
    Gunicorn(
        {
            "bind": [f"{host}:{port}"],
            "worker_class": "benchmarks.server_candidates.UvicornWorker",
            "workers": _workers(env),
            "control_socket_disable": True,
            "keepalive": int(limits.keepalive_timeout),
            "limit_request_field_size": limits.max_header_bytes,
            "timeout": 60,
            "graceful_timeout": 10,
            "errorlog": "-",
            "accesslog": "-" if env_vars.ACCESS_LOG.read(env) else None,
        }
    ).run()


def _uvicorn_worker() -> type:
    from uvicorn_worker import UvicornWorker as Base

    limits = load_limits()

    class Worker(Base):  # type: ignore[misc,valid-type]
        CONFIG_KWARGS = {  # noqa: RUF012 - the base class's own attribute
            "loop": "uvloop",
            "http": "httptools",
            "lifespan": "on",
            "limit_concurrency": limits.max_connections,
            "h11_max_incomplete_event_size": limits.max_header_bytes,
        }

    return Worker


def __getattr__(name: str) -> Any:
    # gunicorn imports the worker class by name in the arbiter; built on first use so
    # that importing this module does not import uvicorn.
    if name == "UvicornWorker":
        return _uvicorn_worker()
    raise AttributeError(name)


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    env = os.environ
    limits = load_limits(env)
    choice = env.get(SERVER_ENV, "")
    if choice == "granian-wsgi":
        run_granian("wsgi", env, limits)
    elif choice == "granian-asgi":
        run_granian("asgi", env, limits)
    elif choice == "uvicorn":
        run_uvicorn(env, limits)
    else:
        raise SystemExit(f"{SERVER_ENV} must be one of {', '.join(CANDIDATES)}, got {choice!r}")


if __name__ == "__main__":
    main()
