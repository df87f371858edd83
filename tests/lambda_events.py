"""The Lambda test events in tests/events/, loaded by name (one copy of each shape)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent / "events"


def load_event(name: str, **detail: Any) -> dict[str, Any]:
    """tests/events/<name>.json, its `detail` updated with `detail`."""
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    event["detail"] = {**event.get("detail", {}), **detail}
    return event
