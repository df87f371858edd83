"""Example events for every Lambda function, one JSON file each, in a folder named after
the function (Chalice's name: `api_handler` for the API, else `@app.lambda_function`'s).

The same files are the tests' request bodies and Lambda events, and what an operator
pastes into the Lambda console or pipes into `chalice invoke` (docs/test-events.md).
Where a key goes they hold `API_KEY_PLACEHOLDER`; `with_api_key` fills it in.
Folders named `malformed/` and `refused/` hold events written wrong on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

EVENTS_DIR: Final = Path(__file__).parent
API_KEY_PLACEHOLDER: Final = "<your API key>"
# The test invoker's /get_prediction event: its payload is the suite's request body.
PREDICTION_EVENT: Final = "test_invoker/get_prediction"
# Its /get_predictions event: two properties priced and one unknown sector.
BATCH_EVENT: Final = "test_invoker/get_predictions"


def load(name: str) -> Any:
    """The event `<name>.json` (e.g. "api_handler/ping"), parsed anew on every call."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def names(folder: str) -> list[str]:
    """Every event under `folder` (subfolders included), as `load` takes them."""
    found = (EVENTS_DIR / folder).rglob("*.json")
    return sorted(str(path.relative_to(EVENTS_DIR).with_suffix("")) for path in found)


def with_api_key(event: Any, key: str) -> Any:
    """The event with every placeholder of the API key replaced by `key`."""
    return json.loads(json.dumps(event).replace(json.dumps(API_KEY_PLACEHOLDER), json.dumps(key)))


def prediction_request() -> dict[str, Any]:
    """A valid /get_prediction body: one flat in Vitacura, in the API's field names."""
    body: dict[str, Any] = load(PREDICTION_EVENT)["payload"]
    return body


def prediction_batch() -> list[dict[str, Any]]:
    """A /get_predictions body: two properties, then one in a sector no model knows."""
    rows: list[dict[str, Any]] = load(BATCH_EVENT)["payload"]
    return rows
