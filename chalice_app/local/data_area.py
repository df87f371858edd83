"""Which local files a client may name for training: those inside the data area.

Paths are resolved with every link followed before the check, so a link inside the
area cannot lead out of it. The refusal is the same whether the file exists or not, and
nothing of its content is read: the answer tells a client nothing about the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chalice_app.errors import TrainingInputError

OUTSIDE = "must name a CSV file inside the training data area"


def data_file(value: str, field: str, roots: Sequence[Path]) -> Path:
    """The resolved file `value` names (a path, relative to the first root, or file://)."""
    from training_pipeline.locations import UnsupportedLocationError, as_local_path

    try:
        path = as_local_path(value)
    except UnsupportedLocationError as exc:
        raise TrainingInputError(field, str(exc)) from None
    if not roots:
        raise TrainingInputError(field, OUTSIDE)
    try:
        resolved = (roots[0] / path).resolve()  # an absolute `path` replaces the root
        inside = any(resolved.is_relative_to(root.resolve()) for root in roots)
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte, a long name
        inside = False
    if not inside:
        raise TrainingInputError(field, OUTSIDE)
    try:
        found = resolved.is_file()
    except OSError:  # a name longer than the filesystem takes (is_file lets that through)
        found = False
    if not found:
        # Inside the area existence is no secret: the operator put the files there.
        raise TrainingInputError(field, "no such file in the training data area")
    return resolved
