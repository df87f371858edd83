"""The model's HTTP server: gunicorn over the serving functions (training_pipeline/steps/serve.py).

    python -m training_pipeline.model_server --port P --model-dir D [--host 127.0.0.1]
        [--endpoint-name NAME] [--workers N]

It speaks two contracts:
- SageMaker's bring-your-own-container one: `GET /ping`, `POST /invocations` (the
  project's image runs this module on 0.0.0.0:8080, as the `serve` program's exec);
- the sagemaker-runtime API's `POST /endpoints/{name}/invocations`, with its headers
  and error shapes, so botocore's InvokeEndpoint can be pointed at it
  (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) and raise the same exceptions as on AWS:
  ValidationError for an unknown endpoint, ModelError when the model refuses the body.

gunicorn manages the processes (one per CPU, as SageMaker's own model servers do; a
stuck or dead one is replaced; SIGTERM stops them gracefully) with its threaded worker
and one thread per process: keep-alive connections wait in its poller, and each process
scores one request at a time. The only client is SageMaker's front, not the internet,
so the request is read in that thread (the ECS proxy, which faces clients, reads on an
event loop instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from contract.resources import ENDPOINT_VARIANT
from training_pipeline.steps import serve

log = logging.getLogger("model_server")

RUNTIME_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
# SageMaker's own limit for a real-time invocation payload.
MAX_BODY_BYTES = 6 * 1024 * 1024
ACCOUNT = "123456789012"
# SageMaker's invocation timeout is 60 s: a worker silent for longer is stuck.
WORKER_TIMEOUT_SECONDS = 60
# Longer than any idle wait of SageMaker's front between two invocations would matter.
KEEPALIVE_SECONDS = 75

StartResponse = Callable[..., Any]
Answer = tuple[int, bytes, dict[str, str]]


class _TooLarge(Exception):
    pass


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    raw = environ.get("CONTENT_LENGTH") or ""
    if raw:
        length = int(raw)
        if length > MAX_BODY_BYTES:
            raise _TooLarge
        return bytes(stream.read(length))
    body = bytes(stream.read(MAX_BODY_BYTES + 1))  # chunked: one byte past the limit tells
    if len(body) > MAX_BODY_BYTES:
        raise _TooLarge
    return body


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return status, json.dumps(body).encode(), headers or {}


class ModelApp:
    """The WSGI app: both contracts over one loaded model."""

    def __init__(self, model: serve.LoadedModel, endpoint_name: str | None) -> None:
        self.model = model
        self.endpoint_name = endpoint_name

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        status, body, headers = self._route(environ, method, path)
        media_type = headers.pop("Content-Type", serve.JSON)
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", media_type),
                ("Content-Length", str(len(body))),
                *headers.items(),
            ],
        )
        if method == "POST":
            log.info("POST %s %s %.1f ms", path, status, (time.perf_counter() - started) * 1000)
        return [body]

    def _route(self, environ: dict[str, Any], method: str, path: str) -> Answer:
        if method == "GET" and path == "/ping":
            return _json(200, {"status": "ok", "model_version": self.model.version})
        found = RUNTIME_PATH.match(path)
        if path != "/invocations" and not found:
            return _json(404, {"error": f"no route for {path}"})
        if method != "POST":
            return _json(
                405, {"error": f"method {method} not allowed; use POST"}, {"Allow": "POST"}
            )
        try:
            body = _read_body(environ)
        except _TooLarge:
            return _json(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
        except ValueError:
            return _json(400, {"error": "invalid Content-Length"})
        if found is None:
            return self._invoke(environ, body, runtime=False)
        wanted = self.endpoint_name
        if wanted is not None and found.group(1) != wanted:
            message = f"Endpoint {found.group(1)} of account {ACCOUNT} not found."
            return _aws_error(400, "ValidationError", {"Message": message})
        return self._invoke(environ, body, runtime=True)

    def _invoke(self, environ: dict[str, Any], body: bytes, runtime: bool) -> Answer:
        try:
            data = serve.input_fn(body, environ.get("CONTENT_TYPE") or "")
            answer = serve.predict_fn(data, self.model)
            payload = serve.output_fn(answer, environ.get("HTTP_ACCEPT"))
        except (serve.ServeInputError, ValueError) as exc:
            return _model_refused(getattr(exc, "status", 400), str(exc), runtime)
        except Exception:
            log.exception("prediction failed")
            return _model_refused(500, "internal error", runtime)
        headers = {"Content-Type": serve.media_type(answer)}  # CSV lines for Batch Transform
        if runtime:
            headers["x-Amzn-Invoked-Production-Variant"] = ENDPOINT_VARIANT
        return 200, payload, headers


def _model_refused(status: int, message: str, runtime: bool) -> Answer:
    original = json.dumps({"error": message})
    if not runtime:
        return status, original.encode(), {}
    # What SageMaker answers when the container answers an error: ModelError (424)
    # carrying the container's status and body.
    return _aws_error(
        424,
        "ModelError",
        {
            "Message": f'Received client error ({status}) from primary with message "{original}".',
            "OriginalStatusCode": status,
            "OriginalMessage": original,
            "LogStreamArn": f"arn:aws:logs:local:{ACCOUNT}:log-group:/aws/sagemaker/local",
        },
    )


def _aws_error(status: int, code: str, body: dict[str, Any]) -> Answer:
    # rest-json: botocore reads the error code from this header.
    return _json(status, body, {"x-amzn-ErrorType": code})


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    424: "Failed Dependency",
    500: "Internal Server Error",
}


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def server_options(args: argparse.Namespace) -> dict[str, Any]:
    host = args.host
    return {
        "bind": [f"[{host}]:{args.port}" if ":" in host else f"{host}:{args.port}"],
        "workers": args.workers,
        "worker_class": "gthread",
        "threads": 1,  # one request at a time per process: the model is scored serially
        "keepalive": KEEPALIVE_SECONDS,
        "timeout": WORKER_TIMEOUT_SECONDS,
        "graceful_timeout": 10,
        # gunicorn would put a control socket in the home directory: nothing to control.
        "control_socket_disable": True,
        "accesslog": None,  # one line per invocation is logged by the app
        "errorlog": "-",
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/model"))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--endpoint-name", help="answer only this name on /endpoints/...")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Before any worker imports numpy: one OpenMP thread each.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in server_options(args).items():
                self.cfg.set(name, value)

        def load(self) -> ModelApp:
            # In each worker: the model is loaded before its first request.
            model = serve.model_fn(str(args.model_dir))
            log.info("serving %s on %s:%s", model.version, args.host, args.port)
            return ModelApp(model, args.endpoint_name)

    Server().run()


if __name__ == "__main__":
    main()
