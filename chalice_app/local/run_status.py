"""A local training run's status, as the API shows it: no server internals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contract.vocabulary import RUN_ID

# Server internals in a run's record: its process. Its directory is shown relative to
# $PVP_HOME, as its data paths are, like the S3 prefix the AWS backend shows.
_NOT_FOR_CLIENTS = ("pid",)


class LocalRunStatus:
    def __init__(self, home: Path) -> None:
        self._home = home

    def get(self, execution_id: str) -> dict[str, Any] | None:
        if not RUN_ID.match(execution_id):
            return None
        from training_pipeline.run_log import RunLog

        record = RunLog(self._home).get(execution_id)
        if record is None:
            return None
        # Clients see where their data was read from, not where the server keeps things.
        home = str(self._home)
        return {
            name: value.replace(home, "$PVP_HOME") if isinstance(value, str) else value
            for name, value in record.as_dict().items()
            if name not in _NOT_FOR_CLIENTS
        }
