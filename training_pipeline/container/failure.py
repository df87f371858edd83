"""How an entry point tells SageMaker why it failed: a short reason in a file, exit 1.

SageMaker shows the first 1 KiB of that file as the job's FailureReason (training)
or ExitMessage (processing); the traceback goes to stderr, which is the job's log.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path

REASON_LIMIT = 1024  # bytes SageMaker keeps


def write_reason(path: Path, reason: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoded = reason.encode("utf-8")[:REASON_LIMIT]
    path.write_text(encoded.decode("utf-8", errors="ignore"), encoding="utf-8")


def run_reporting_failure(main: Callable[[], object], reason_file: Path) -> int:
    """Run `main`; on any error log the traceback, write the reason, return exit code 1."""
    try:
        main()
    except Exception as exc:  # the job must end with a reason, whatever went wrong
        traceback.print_exc(file=sys.stderr)
        write_reason(reason_file, f"{type(exc).__name__}: {exc}")
        return 1
    return 0
