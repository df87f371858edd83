"""The training pipeline's error family: each names what was wrong and where."""

from __future__ import annotations

from collections.abc import Sequence


class PipelineError(Exception):
    """Base of every error this package raises on purpose."""


class DataValidationError(PipelineError):
    """A dataset breaks the schema; names the column and the first offending lines."""

    def __init__(self, column: str | None, problem: str, rows: Sequence[int] = ()) -> None:
        self.column = column
        self.problem = problem
        self.rows = list(rows)
        where = f"column '{column}': " if column else ""
        shown = f" (first bad lines: {', '.join(str(r) for r in self.rows)})" if self.rows else ""
        super().__init__(f"{where}{problem}{shown}")


class UnknownCategoryError(PipelineError):
    """A category the deployed model never saw in training."""

    def __init__(self, column: str, value: str, known: Sequence[str]) -> None:
        self.column = column
        self.value = value
        self.known = list(known)
        super().__init__(f"unknown {column} '{value}'; the model knows: {', '.join(self.known)}")


class RegistryError(PipelineError):
    """The model registry cannot do what was asked (unknown version, nothing deployed)."""


class NoDeployedModelError(RegistryError):
    """No model has been deployed yet."""


class ModelLoadError(RegistryError):
    """A deployed version that cannot be loaded; the message names no server path."""

    def __init__(self, version: str, reason: str) -> None:
        self.version = version
        self.reason = reason
        super().__init__(f"deployed model {version} cannot be loaded: {reason}")
