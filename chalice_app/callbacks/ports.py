"""What the callbacks need from AWS, one small interface each, and the values they pass.

The adapters are chalice_app/aws/{runs,endpoints,deployments,artifacts}.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

IDLE, CONVERGING, REMOVING = "idle", "converging", "removing"


@dataclass(frozen=True)
class EndpointState:
    status: str  # SageMaker's EndpointStatus: Creating, Updating, InService, Failed, ...
    config: str
    failure: str | None  # set when Failed, or InService after an update that failed


@dataclass(frozen=True)
class Deployment:
    """The endpoint's rollout, kept between Lambdas (`deployment#<endpoint>`)."""

    endpoint: str
    revision: int = 0
    phase: str = IDLE  # idle; converging on `goal`; removing a Failed endpoint first
    run: str | None = None  # the run (execution id) whose outcome this rollout decides
    goal: str | None = None  # the config (and model) name the endpoint must end on
    previous: str | None = None  # what served before: the rollback target
    restoring: bool = False  # the goal is `previous`, after the new model failed
    failed: str | None = None  # the name that failed to serve (deleted when done)
    reason: str | None = None  # why it failed, as the run's reason says it
    lease_until: float = 0.0  # epoch seconds: whoever holds it advances; others wait
    started_at: float = 0.0  # epoch seconds the rollout started (0: idle, or not known)
    history: list[str] = field(default_factory=list)  # names that served, newest first

    @property
    def active(self) -> bool:
        return self.phase != IDLE

    def idle(self, history: list[str]) -> Deployment:
        return Deployment(self.endpoint, self.revision, history=history)

    def leased(self, until: float) -> Deployment:
        return replace(self, lease_until=until)


class Runs(Protocol):
    def update(self, run_id: str, **fields: Any) -> None: ...

    def get(self, run_id: str) -> dict[str, Any] | None: ...


class Endpoints(Protocol):
    endpoint: str

    def state(self) -> EndpointState | None: ...

    def create_model(
        self, name: str, *, image: str, model_data_url: str, version: str, role_arn: str
    ) -> None: ...

    def create_config(
        self, name: str, *, model: str, memory_mb: int, max_concurrency: int
    ) -> None: ...

    def create_endpoint(self, config: str) -> None: ...

    def update_endpoint(self, config: str) -> None: ...

    def delete_endpoint(self) -> None: ...

    def delete_served(self, name: str) -> None: ...


class Deployments(Protocol):
    def load(self, endpoint: str) -> Deployment: ...

    def save(self, deployment: Deployment) -> Deployment | None:
        """The saved next revision; None when another writer got there first."""
        ...


class ArtifactError(Exception):
    """An artifact is missing, unreadable or not what it should be."""


class Artifacts(Protocol):
    def read_json(self, uri: str) -> dict[str, Any]:
        """A JSON object stored at an s3:// URI; ArtifactError otherwise."""
        ...
