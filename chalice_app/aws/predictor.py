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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chalice_app.aws.clients import ClientSource
from chalice_app.aws.endpoints import SageMakerEndpoints
from chalice_app.errors import ModelUnavailableError, UnknownCategoryError
from chalice_app.model_answers import read_answer
from chalice_app.ports import BatchPrediction, Prediction

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
        (result,) = self._invoke([record]).results
        if isinstance(result, UnknownCategoryError):
            raise result
        return result

    def predict_many(self, records: Sequence[Mapping[str, Any]]) -> BatchPrediction:
        # One InvokeEndpoint for the whole batch: the serving functions take a list. A
        # serverless endpoint takes at most 4 MB per request (1,000 rows are ~200 KB):
        # https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
        return self._invoke(records)

    def _invoke(self, records: Sequence[Mapping[str, Any]]) -> BatchPrediction:
        from botocore.exceptions import BotoCoreError, ClientError

        body = dict(records[0]) if len(records) == 1 else [dict(r) for r in records]
        try:
            answer = self._runtime().invoke_endpoint(
                EndpointName=self._endpoint, Body=json.dumps(body), ContentType=JSON, Accept=JSON
            )
            found = json.loads(answer["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            raise _failure(self._endpoint, exc) from None
        except ValueError:
            raise ModelUnavailableError(f"endpoint {self._endpoint} answered non-JSON") from None
        return read_answer(found, self._endpoint, len(records))

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
