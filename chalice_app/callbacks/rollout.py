"""Rolling a model out to the endpoint, and back when SageMaker fails it.

A rollout is a small state machine kept in the run table (ports.Deployment), so any
Lambda can take it one step further: `advance` looks at the endpoint once and acts at
most once. SageMaker's rules shape it: an InService endpoint is updated in place and,
when an update fails, usually keeps serving the previous config (InService with a
FailureReason); a Failed endpoint allows only DeleteEndpoint, so rolling back means
deleting it and creating it again on the previous config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from chalice_app.callbacks.ports import (
    CONVERGING,
    REMOVING,
    Deployment,
    Deployments,
    Endpoints,
    EndpointState,
    Runs,
)
from chalice_app.callbacks.step_event import CallbackError
from contract.vocabulary import utc_now

log = logging.getLogger(__name__)

# The endpoint is on its way somewhere: look again later.
TRANSITIONAL = {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}


class Rollout:
    def __init__(
        self,
        endpoints: Endpoints,
        deployments: Deployments,
        runs: Runs,
        *,
        owned_prefix: str,
        keep: int,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoints = endpoints
        self._deployments = deployments
        self._runs = runs
        self._owned = owned_prefix
        self._keep = keep
        self._clock = clock
        self._sleep = sleep

    def label(self, name: str | None) -> str:
        """How a reason names a config: its version when it is one of ours."""
        if name and name.startswith(self._owned):
            return name[len(self._owned) :]
        return str(name)

    def current(self) -> Deployment:
        return self._deployments.load(self._endpoints.endpoint)

    def start(self, run_id: str, name: str, *, lease_until: float) -> Deployment:
        """Point the endpoint at config `name`; CallbackError when it cannot start now."""
        current = self.current()
        if current.active:
            if current.run == run_id:  # a retried callback resumes its own rollout
                return current
            raise CallbackError(f"another rollout (run {current.run}) is in progress")
        state = self._endpoints.state()
        planned = replace(
            current, run=run_id, goal=name, phase=CONVERGING, started_at=self._clock()
        )
        planned = planned.leased(lease_until)
        if state is not None and state.status == "Failed":
            planned = replace(planned, phase=REMOVING)  # only DeleteEndpoint is allowed
        elif state is not None and state.status != "InService":
            raise CallbackError(f"endpoint {state.config} is {state.status}; deploy again later")
        elif state is not None:
            planned = replace(planned, previous=state.config)
        saved = self._deployments.save(planned)
        if saved is None:
            raise CallbackError("another rollout started at the same time")
        if state is None:
            self._endpoints.create_endpoint(name)
        elif state.status == "Failed":
            self._endpoints.delete_endpoint()
        elif state.config != name:
            self._endpoints.update_endpoint(name)
        return saved

    def claim(self, now: float, until: float, seen: Deployment | None = None) -> Deployment | None:
        """The active rollout, leased until `until`, if nobody holds it now (`seen`: the
        state just read, if it was)."""
        current = seen or self.current()
        if not current.active or now < current.lease_until:
            return None
        return self._save(current.leased(until))

    def release(self, deployment: Deployment) -> None:
        """Let the watcher take the rollout from here."""
        self._save(deployment.leased(0.0))

    def discard(self, name: str) -> None:
        """Delete a config and model made for a rollout that never started."""
        current = self.current()
        if name not in (current.goal, current.previous, *current.history):
            self._endpoints.delete_served(name)

    def settle(self, deployment: Deployment, deadline: float, poll: float) -> Deployment | None:
        """Advance until the rollout ends or the deadline; the state then (None: lost it)."""
        current: Deployment | None = deployment
        while current is not None and current.active:
            current = self.advance(current)
            if current is None or not current.active or self._clock() >= deadline:
                break
            self._sleep(min(poll, max(0.0, deadline - self._clock())))
        return current

    def advance(self, d: Deployment) -> Deployment | None:
        """One look at the endpoint, at most one action: the next state."""
        state = self._endpoints.state()
        if d.phase == REMOVING:
            if state is not None:
                if state.status != "Deleting":
                    self._endpoints.delete_endpoint()
                return d
            if d.goal is None:  # nothing served before: the endpoint stays away
                return self._save(self._ended(d, d.history))
            self._endpoints.create_endpoint(d.goal)
            return self._save(replace(d, phase=CONVERGING))
        assert d.goal is not None
        if state is None:  # removed under us: bring the goal up anyway
            self._endpoints.create_endpoint(d.goal)
            return d
        if state.status in TRANSITIONAL:
            return d
        if state.status == "InService" and state.config == d.goal:
            return self._save(self._reached(d))
        return self._save(self._failed(d, state))

    def _reached(self, d: Deployment) -> Deployment:
        assert d.goal is not None and d.run is not None
        if d.restoring:
            self._runs.update(d.run, reason=f"{d.reason}; rolled back to {self.label(d.goal)}")
            return self._ended(d, d.history)
        self._runs.update(
            d.run, status="accepted", step="record", reason=None, finished_at=utc_now()
        )
        served = [d.goal, *([d.previous] if d.previous else []), *d.history]
        history = list(dict.fromkeys(name for name in served if name.startswith(self._owned)))
        return self._ended(d, history)

    def _failed(self, d: Deployment, state: EndpointState) -> Deployment:
        assert d.run is not None
        why = state.failure or f"the endpoint is {state.status} on {self.label(state.config)}"
        if d.restoring:
            reason = f"{d.reason}; restoring {self.label(d.goal)} failed too: {why}"
            self._runs.update(d.run, reason=reason)
            return self._ended(d, d.history)
        reason = f"deploy failed: endpoint update to {self.label(d.goal)} failed: {why}"
        failed = replace(d, failed=d.goal)
        if state.status == "InService":  # SageMaker kept the previous config serving
            self._record_failure(d.run, f"{reason}; {self.label(state.config)} kept serving")
            return self._ended(failed, d.history)
        self._endpoints.delete_endpoint()  # Failed: the only call SageMaker allows
        if d.previous is None:
            reason += "; nothing served before, so the endpoint is removed"
            self._record_failure(d.run, reason)
            return replace(failed, phase=REMOVING, goal=None, reason=reason)
        self._record_failure(d.run, f"{reason}; rolling back to {self.label(d.previous)}")
        return replace(failed, phase=REMOVING, goal=d.previous, restoring=True, reason=reason)

    def _record_failure(self, run_id: str, reason: str) -> None:
        self._runs.update(
            run_id, status="failed", step="deploy", reason=reason, finished_at=utc_now()
        )

    def _ended(self, d: Deployment, history: list[str]) -> Deployment:
        """Back to idle, deleting what failed and what is older than the last `keep`."""
        doomed = [*history[self._keep :], *([d.failed] if d.failed else [])]
        for name in doomed:
            if name in history[: self._keep] or not name.startswith(self._owned):
                continue
            try:
                self._endpoints.delete_served(name)
            except Exception as exc:  # cleanup must never undo a finished rollout
                log.warning("could not delete %s: %s", name, exc)
        return d.idle(history[: self._keep])

    def _save(self, d: Deployment) -> Deployment | None:
        saved = self._deployments.save(d)
        if saved is None:
            log.warning("rollout of %s moved on elsewhere; leaving it", d.endpoint)
        return saved
