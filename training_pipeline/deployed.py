"""What is deployed, and what a serving process holds of it.

The deploy pointer ($PVP_HOME/deployed.json) names one version's directory. A serving
process keeps the model it loaded; when the pointer moves to a version that cannot be
loaded (a truncated or foreign file, a pickle of another library version), it goes on
serving the one it has (or, holding none, the last deployed version that loads) and
says why the new one was refused.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from training_pipeline.errors import ModelLoadError, NoDeployedModelError
from training_pipeline.model import PriceModel
from training_pipeline.store import connect

POINTER_NAME = "deployed.json"
# A failed load is retried this often even if nothing is deployed again: the cause may
# have been passing (no file descriptor left, a disk hiccup). Model files never change.
RETRY_SECONDS = 30.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pointer:
    version: str
    path: str  # the model's directory, relative to the home


def read_pointer(pointer: Path) -> Pointer | None:
    """The deployed version, None when nothing is; ModelLoadError when unreadable."""
    try:
        data = json.loads(pointer.read_text())
        return Pointer(str(data["version"]), str(data["path"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("the deploy pointer %s is unreadable: %r", pointer, exc)
        raise ModelLoadError("(unknown)", "the deploy pointer is unreadable") from exc


def _why(exc: BaseException) -> str:
    """Why a model did not load, in words that name no path."""
    kind = type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        return "its files are missing"
    if isinstance(exc, ImportError) or "Can't get attribute" in str(exc):
        return f"it needs code this server lacks, e.g. another library version ({kind})"
    return f"its file is corrupt or not a model ({kind})"


def load_version(home: Path, pointer: Pointer) -> PriceModel:
    """The pointer's model; ModelLoadError with a reason when it cannot be loaded."""
    directory = home / pointer.path
    try:
        return PriceModel.load(directory)
    except Exception as exc:  # unpickling bad bytes raises any type: KeyError, struct.error...
        log.error("model %s in %s cannot be loaded: %r", pointer.version, directory, exc)
        raise ModelLoadError(pointer.version, _why(exc)) from exc


class DeployedModelReader:
    """The deployed model, reloaded when the pointer moves; the last good one otherwise.

    One os.stat per call decides whether to look again, so a deploy or a rollback is
    picked up by the next request without a restart.
    """

    def __init__(self, home: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self._pointer = home / POINTER_NAME
        self._home = home
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._current: tuple[str, PriceModel] | None = None
        self._failure: ModelLoadError | None = None
        self._failed_at = 0.0

    @property
    def failure(self) -> ModelLoadError | None:
        """Why the deployed version is not the one served (or nothing is), if it is not."""
        return self._failure

    def current(self) -> tuple[str, PriceModel]:
        try:
            stat = os.stat(self._pointer)
        except FileNotFoundError:
            raise NoDeployedModelError("no model is deployed yet") from None
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key != self._seen or self._retry_due():
            with self._lock:
                if key != self._seen or self._retry_due():
                    self._look(key)
        current = self._current
        if current is None:
            raise self._failure or NoDeployedModelError("no model is deployed yet")
        return current

    def _retry_due(self) -> bool:
        return self._failure is not None and self._clock() - self._failed_at >= RETRY_SECONDS

    def _look(self, key: tuple[int, int, int]) -> None:
        self._seen = key
        try:
            pointer = read_pointer(self._pointer)
            if pointer is None:  # undeployed between the stat and the read
                raise NoDeployedModelError("no model is deployed yet")
            if self._current is None or self._current[0] != pointer.version:
                self._current = (pointer.version, load_version(self._home, pointer))
        except ModelLoadError as exc:
            self._failure, self._failed_at = exc, self._clock()
            if self._current is None:
                # A process that never held the last good model (a fresh server, a
                # recycled worker) still serves it rather than nothing.
                self._current = self._earlier_good(exc.version)
            return
        self._failure = None

    def _earlier_good(self, refused: str) -> tuple[str, PriceModel] | None:
        """The most recently deployed other version that loads, if any."""
        try:
            with connect(self._home) as db:
                rows = db.execute(
                    "SELECT d.version, m.path FROM deployments d JOIN models m"
                    " ON m.version = d.version WHERE m.path IS NOT NULL ORDER BY d.id DESC"
                ).fetchall()
        except (sqlite3.Error, OSError) as exc:
            log.error("no deployment history to fall back on: %r", exc)
            return None
        tried = {refused}
        for version, path in rows:
            if version not in tried:
                tried.add(version)
                try:
                    return version, load_version(self._home, Pointer(version, path))
                except ModelLoadError:
                    continue
        return None
