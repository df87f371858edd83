"""The end-of-run key scan finds a key in the forms code might print it."""

from __future__ import annotations

import base64

from tests.secrets_watch import leaks, new_key


def test_a_key_is_found_whole_masked_or_encoded_and_not_otherwise() -> None:
    key = new_key()
    other = "x" * len(key)
    assert leaks(f'{{"headers": {{"API-key": "{key}"}}}}', [key])
    assert leaks(f"key={key[:12]}...", [key]) and leaks(f"key=...{key[-12:]}", [key])
    assert leaks(base64.b64encode(key.encode()).decode(), [key])
    assert leaks(f"a request with key {other}", [key]) == []
    # The report names the key by its first characters only.
    assert key not in " ".join(leaks(key, [key]))
