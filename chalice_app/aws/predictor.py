"""Prices from the SageMaker endpoint (sagemaker-runtime:InvokeEndpoint).

Timeouts and retries live in the client's botocore config (clients.py). A missing,
cold, throttled or failing endpoint is ModelUnavailableError (503 with the reason);
a category the model never saw is UnknownCategoryError (422).

`model_version` (what /ping reports) never invokes the model: an invocation costs
money and can wake a serverless endpoint for seconds. It reads DescribeEndpoint at
most once per `status_seconds` per process (the status, and the config name), and
the version only when the config changes (a deploy): DescribeEndpointConfig and
DescribeModel give the PVP_MODEL_VERSION the deploy set on the model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from chalice_app.aws.clients import ClientSource
from chalice_app.aws.endpoints import SageMakerEndpoints
from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.ports import Prediction, PriceRange

JSON = "application/json"
# During an update the old variant keeps answering until the new one is in service.
SERVING = {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
_BUSY = {"ThrottlingException", "ServiceUnavailable", "InternalFailure"}


def unavailable_reason(endpoint: str, code: str, message: str) -> str:
    """Why an endpoint call failed, in words an operator can act on."""
    if code in ("ValidationError", "ValidationException") and "not found" in message.lower():
        return f"endpoint {endpoint} does not exist"
    if "could not find endpoint" in message.lower():
        return f"endpoint {endpoint} does not exist"
    if code == "ModelNotReadyException":
        return f"endpoint {endpoint} is not ready (cold start or scaling); retry shortly"
    if code in _BUSY or code == "InternalDependencyException":
        return f"endpoint {endpoint} is throttled or unavailable ({code}); retry shortly"
    if code == "ModelError":
        return f"the model on {endpoint} refused the request: {message}"
    return f"endpoint {endpoint} failed ({code}): {message}"


def _failure(endpoint: str, exc: Exception) -> ModelUnavailableError:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        reason = unavailable_reason(endpoint, str(error.get("Code")), str(error.get("Message")))
    else:  # botocore's own: timeouts, refused connections
        reason = f"endpoint {endpoint} did not answer: {type(exc).__name__}"
    return ModelUnavailableError(reason)


class EndpointPredictor:
    def __init__(
        self,
        runtime: ClientSource,
        sagemaker: ClientSource,
        endpoint: str,
        *,
        status_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime = runtime
        self._sagemaker = sagemaker
        self._endpoint = endpoint
        self._seconds = status_seconds
        self._clock = clock
        self._status: tuple[float, str | ModelUnavailableError] | None = None
        self._config: tuple[str, str] | None = None  # (config name, its model version)

    def predict(self, record: Mapping[str, Any]) -> Prediction:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._runtime().invoke_endpoint(
                EndpointName=self._endpoint,
                Body=json.dumps(dict(record)),
                ContentType=JSON,
                Accept=JSON,
            )
            body = json.loads(answer["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            raise _failure(self._endpoint, exc) from None
        except ValueError:
            raise ModelUnavailableError(f"endpoint {self._endpoint} answered non-JSON") from None
        try:
            version, (first,) = str(body["model_version"]), body["predictions"]
            value, error = first["value"], first.get("error")
        except (KeyError, TypeError, ValueError):
            raise ModelUnavailableError(f"unexpected answer from {self._endpoint}") from None
        if value is None:
            if isinstance(error, dict) and error.get("kind") == "unknown_category":
                raise UnknownCategoryError(error["column"], error["value"], error["known"])
            raise ModelUnavailableError(f"the model could not score the record: {error}")
        try:
            bounds = first["range"]
            price_range = PriceRange(
                float(bounds["low"]), float(bounds["high"]), float(bounds["level"])
            )
        except (KeyError, TypeError, ValueError):
            # Every model this code deploys gives one; an endpoint without it serves
            # something else, and a price without its range is not our answer.
            raise ModelUnavailableError(
                f"{self._endpoint} answered without a price range"
            ) from None
        return Prediction(value=float(value), model_version=version, range=price_range)

    def model_version(self) -> str:
        now = self._clock()
        if self._status is None or now - self._status[0] >= self._seconds:
            # Failures are cached too: a flood of pings during an outage stays cheap.
            self._status = (now, self._read_status())
        state = self._status[1]
        if isinstance(state, ModelUnavailableError):
            raise state
        return state

    def _read_status(self) -> str | ModelUnavailableError:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            endpoint = self._sagemaker().describe_endpoint(EndpointName=self._endpoint)
            status = endpoint["EndpointStatus"]
            if status not in SERVING:
                return ModelUnavailableError(f"endpoint {self._endpoint} is {status}")
            return self._version_of(str(endpoint["EndpointConfigName"]))
        except (ClientError, BotoCoreError) as exc:
            return _failure(self._endpoint, exc)

    def _version_of(self, config_name: str) -> str:
        if self._config is None or self._config[0] != config_name:
            served = SageMakerEndpoints(self._sagemaker, self._endpoint).served(config_name)
            self._config = (config_name, served.version or served.model)
        return self._config[1]
