"""One way to read settings: a declared setting, read from a mapping of variables.

Argument, then environment variable, then default: a caller passes the mapping
(`os.environ` or its own), a setting parses and checks its value, and a wrong value
raises `ConfigurationError` naming the variable. Processes read their settings once, at
start (the wiring, the server, the CLI); nothing here caches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class ConfigurationError(Exception):
    """The service's own configuration is wrong (an operator's mistake, not a client's)."""


Parse = Callable[[str], T]


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its name, default, rule (`parse`) and why it exists."""

    name: str
    default: T
    parse: Parse[T]
    doc: str
    section: str
    # How the default reads in the documentation, when it is derived (e.g. from the stage).
    shown_default: str | None = None
    rule: str = ""

    def read(self, env: Mapping[str, str]) -> T:
        raw = env.get(self.name)
        if raw is None or raw.strip() == "":
            return self.default
        try:
            return self.parse(raw.strip())
        except ValueError as exc:
            raise ConfigurationError(f"{self.name} {exc}, got {raw!r}") from None

    def given(self, env: Mapping[str, str]) -> bool:
        raw = env.get(self.name)
        return raw is not None and raw.strip() != ""

    @property
    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None or self.default == "":
            return "(none)"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        if isinstance(self.default, float) and self.default.is_integer():
            return str(int(self.default))
        return str(self.default)


def number(*, minimum: float | None = None, above: float | None = None) -> Parse[float]:
    """A finite number, at least `minimum` or strictly above `above`."""

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum:g}")
        if above is not None and value <= above:
            raise ValueError(f"must be above {above:g}")
        return value

    return parse


def integer(
    *, minimum: int | None = None, maximum: int | None = None, choices: Sequence[int] = ()
) -> Parse[int]:
    """A whole number within the bounds (or one of `choices`)."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if choices and value not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}")
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be at most {maximum}")
        return value

    return parse


def text(pattern: str | None = None, what: str = "") -> Parse[str]:
    """Any text, or text matching `pattern` (described as `what` in the error)."""
    compiled = re.compile(pattern) if pattern else None

    def parse(raw: str) -> str:
        if compiled is not None and not compiled.fullmatch(raw):
            raise ValueError(f"must be {what or 'text matching ' + compiled.pattern}")
        return raw

    return parse


def optional_text(pattern: str | None = None, what: str = "") -> Parse[str | None]:
    parse_text = text(pattern, what)

    def parse(raw: str) -> str | None:
        return parse_text(raw)

    return parse


def one_of(*choices: str) -> Parse[str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw

    return parse


def flag(raw: str) -> bool:
    """On for 1/true/yes/on, off for 0/false/no/off (any case)."""
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be one of 1, true, yes, on, 0, false, no, off")
