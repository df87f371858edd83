"""A small HTTP server over the serving functions (training_pipeline/steps/serve.py).

    python -m training_pipeline.model_server --port P --model-dir D [--host 127.0.0.1]
        [--endpoint-name NAME]

It speaks two contracts:
- SageMaker's bring-your-own-container one: `GET /ping`, `POST /invocations` (the
  project's image runs this module on 0.0.0.0:8080);
- the sagemaker-runtime API's `POST /endpoints/{name}/invocations`, with its headers
  and error shapes, so botocore's InvokeEndpoint can be pointed at it
  (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) and raise the same exceptions as on AWS:
  ValidationError for an unknown endpoint, ModelError when the model refuses the body.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from training_pipeline.steps import serve

log = logging.getLogger("model_server")

RUNTIME_PATH = re.compile(r"^/endpoints/([^/]+)/invocations$")
# SageMaker's own limit for a real-time invocation payload.
MAX_BODY_BYTES = 6 * 1024 * 1024
VARIANT = "AllTraffic"
ACCOUNT = "123456789012"


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK hold the body back ~40 ms on every keep-alive request.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if self.path == "/ping":
            body = {"status": "ok", "model_version": self.server.model.version}
            self._send(200, json.dumps(body).encode())
        else:
            self._send(404, json.dumps({"error": f"no route for {self.path}"}).encode())

    def do_POST(self) -> None:
        started = time.perf_counter()
        found = RUNTIME_PATH.match(self.path)
        # Read the whole body first, whatever the answer: a keep-alive connection must
        # not see its leftovers as the next request.
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            message = f"body larger than {MAX_BODY_BYTES} bytes"
            status = self._send(413, json.dumps({"error": message}).encode())
        elif self.path == "/invocations":
            status = self._invoke(self.rfile.read(length), runtime=False)
        elif found:
            status = self._runtime(found.group(1), self.rfile.read(length))
        else:
            self.rfile.read(length)
            status = self._send(404, json.dumps({"error": f"no route for {self.path}"}).encode())
        log.info("POST %s %s %.1f ms", self.path, status, (time.perf_counter() - started) * 1000)

    def _runtime(self, endpoint: str, body: bytes) -> int:
        wanted = self.server.endpoint_name
        if wanted is not None and endpoint != wanted:
            message = f"Endpoint {endpoint} of account {ACCOUNT} not found."
            return self._aws_error(400, "ValidationError", {"Message": message})
        return self._invoke(body, runtime=True)

    def _invoke(self, body: bytes, runtime: bool) -> int:
        try:
            data = serve.input_fn(body, self.headers.get("Content-Type") or "")
            answer = serve.predict_fn(data, self.server.model)
            payload = serve.output_fn(answer, self.headers.get("Accept"))
        except (serve.ServeInputError, ValueError) as exc:
            status = getattr(exc, "status", 400)
            return self._model_refused(status, str(exc), runtime)
        except Exception:
            log.exception("prediction failed")
            return self._model_refused(500, "internal error", runtime)
        extra = {"x-Amzn-Invoked-Production-Variant": VARIANT} if runtime else {}
        return self._send(200, payload, extra, serve.media_type(answer))

    def _model_refused(self, status: int, message: str, runtime: bool) -> int:
        original = json.dumps({"error": message})
        if not runtime:
            return self._send(status, original.encode())
        # What SageMaker answers when the container answers an error: ModelError (424)
        # carrying the container's status and body.
        return self._aws_error(
            424,
            "ModelError",
            {
                "Message": f"Received client error ({status}) from primary with message "
                f'"{original}".',
                "OriginalStatusCode": status,
                "OriginalMessage": original,
                "LogStreamArn": f"arn:aws:logs:local:{ACCOUNT}:log-group:/aws/sagemaker/local",
            },
        )

    def _aws_error(self, status: int, code: str, body: dict[str, Any]) -> int:
        # rest-json: botocore reads the error code from this header.
        return self._send(status, json.dumps(body).encode(), {"x-amzn-ErrorType": code})

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        media_type: str = serve.JSON,
    ) -> int:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        return status

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per invocation is logged by do_POST


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], model: serve.LoadedModel, endpoint_name: str | None
    ) -> None:
        super().__init__(address, _Handler)
        self.model = model
        self.endpoint_name = endpoint_name


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=Path("/opt/ml/model"))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--endpoint-name", help="answer only this name on /endpoints/...")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    model = serve.model_fn(str(args.model_dir))
    server = ModelServer((args.host, args.port), model, args.endpoint_name)
    log.info("serving %s on %s:%s", model.version, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
