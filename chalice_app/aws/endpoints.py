"""The serverless endpoint and what it serves: SageMaker Models, endpoint configs, endpoint.

Every model and config the deploy makes is named `property-value-regressor-{stage}-{version}`
(one name for both, `contract.resources.StageNames.served`): the stage's IAM policies
grant the deploy exactly that prefix, and a name says which version a config serves.
Creating what exists already is a no-op, so a retried callback finds its model and
config where it left them.

botocore's standard retries repeat a call whose answer was lost (a read timeout, a 5xx).
When the first try of CreateEndpoint or UpdateEndpoint landed, its retry is refused
("Cannot create already existing endpoint", "Cannot update in-progress endpoint"); the
endpoint is then described again, and a refusal it shows heading to the config asked for
(EndpointConfigName, or PendingDeploymentSummary while it updates:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html) is
that call's success, not a failed run while the endpoint rolls forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalice_app.aws.clients import ClientSource
from chalice_app.callbacks.ports import EndpointState
from contract.environment import MODEL_VERSION
from contract.resources import ENDPOINT_VARIANT

# What "no such thing" looks like on describe/delete (AWS says ...Exception, moto ...Error).
_MISSING_CODES = {"ValidationException", "ValidationError", "ResourceNotFound"}
_MISSING_WORDS = ("could not find", "does not exist", "not found")
_EXISTS_WORDS = ("already existing", "already exists")
_BUSY_WORDS = ("in-progress", "in progress")


@dataclass(frozen=True)
class ServedModel:
    config: str
    model: str
    model_data_url: str | None
    version: str | None


def _says(exc: Exception, codes: set[str], words: tuple[str, ...]) -> bool:
    error = getattr(exc, "response", {}).get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") in codes and any(word in message for word in words)


def is_missing(exc: Exception) -> bool:
    return _says(exc, _MISSING_CODES, _MISSING_WORDS)


class SageMakerEndpoints:
    """One endpoint's SageMaker calls; botocore errors pass through to the caller."""

    def __init__(self, sagemaker: ClientSource, endpoint: str) -> None:
        self._sagemaker = sagemaker
        self.endpoint = endpoint

    def state(self) -> EndpointState | None:
        from botocore.exceptions import ClientError

        try:
            found = self._sagemaker().describe_endpoint(EndpointName=self.endpoint)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        return EndpointState(
            str(found["EndpointStatus"]),
            str(found["EndpointConfigName"]),
            found.get("FailureReason"),
        )

    def served(self, config: str) -> ServedModel:
        """The model a config serves: its model.tar.gz and the version the deploy set."""
        sagemaker = self._sagemaker()
        variants = sagemaker.describe_endpoint_config(EndpointConfigName=config)
        model_name = str(variants["ProductionVariants"][0]["ModelName"])
        model = sagemaker.describe_model(ModelName=model_name)
        container = model.get("PrimaryContainer", {})
        version = container.get("Environment", {}).get(MODEL_VERSION.name)
        return ServedModel(config, model_name, container.get("ModelDataUrl"), version)

    def create_model(
        self, name: str, *, image: str, model_data_url: str, version: str, role_arn: str
    ) -> None:
        self._create(
            lambda client: client.create_model(
                ModelName=name,
                PrimaryContainer={
                    "Image": image,
                    "ModelDataUrl": model_data_url,
                    "Environment": {MODEL_VERSION.name: version},
                },
                ExecutionRoleArn=role_arn,
                # No EnableNetworkIsolation (nor VpcConfig): serverless inference supports
                # neither, and CreateEndpoint would fail on a Model asking for it. The
                # training and evaluation jobs keep their isolation. Feature exclusions:
                # https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html
            )
        )

    def create_config(self, name: str, *, model: str, memory_mb: int, max_concurrency: int) -> None:
        # One variant, serverless, no DataCaptureConfig: serverless endpoints take no
        # data capture (so no Model Monitor) and no second production variant (same page).
        serverless = {"MemorySizeInMB": memory_mb, "MaxConcurrency": max_concurrency}
        variant = {
            "VariantName": ENDPOINT_VARIANT,
            "ModelName": model,
            "ServerlessConfig": serverless,
        }
        self._create(
            lambda client: client.create_endpoint_config(
                EndpointConfigName=name, ProductionVariants=[variant]
            )
        )

    def create_endpoint(self, config: str) -> None:
        self._landing(
            lambda c: c.create_endpoint(EndpointName=self.endpoint, EndpointConfigName=config),
            config,
            _EXISTS_WORDS,
        )

    def update_endpoint(self, config: str) -> None:
        self._landing(
            lambda c: c.update_endpoint(EndpointName=self.endpoint, EndpointConfigName=config),
            config,
            _BUSY_WORDS,
        )

    def _landing(self, call: Any, config: str, refusal: tuple[str, ...]) -> None:
        """Make the call; a refusal with these words is success when the endpoint is
        heading to `config` (an earlier try of this same call landed)."""
        from botocore.exceptions import ClientError

        try:
            call(self._sagemaker())
        except ClientError as exc:
            if not _says(exc, _MISSING_CODES, refusal) or self._heading_to() != config:
                raise

    def _heading_to(self) -> str | None:
        """The config the endpoint serves, or is being created or updated on."""
        found = self._sagemaker().describe_endpoint(EndpointName=self.endpoint)
        pending = found.get("PendingDeploymentSummary") or {}
        return pending.get("EndpointConfigName") or found.get("EndpointConfigName")

    def delete_endpoint(self) -> None:
        self._ignoring_missing(lambda c: c.delete_endpoint(EndpointName=self.endpoint))

    def delete_served(self, name: str) -> None:
        """Delete a config and its model of that name (what `StageNames.served` names)."""
        self._ignoring_missing(lambda c: c.delete_endpoint_config(EndpointConfigName=name))
        self._ignoring_missing(lambda c: c.delete_model(ModelName=name))

    def _create(self, call: Any) -> None:
        from botocore.exceptions import ClientError

        try:
            call(self._sagemaker())
        except ClientError as exc:
            if not _says(exc, _MISSING_CODES, _EXISTS_WORDS):
                raise

    def _ignoring_missing(self, call: Any) -> None:
        from botocore.exceptions import ClientError

        try:
            call(self._sagemaker())
        except ClientError as exc:
            if not is_missing(exc):
                raise
