from __future__ import annotations

import pytest

from chalice_app.auth import KeyChecker
from chalice_app.errors import ForbiddenError, KeyStoreUnavailableError, ServiceUnavailableError
from tests.unit.chalice_app.conftest import FakeKeyStore


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_accepts_any_accepted_key_without_refreshing_and_names_its_client() -> None:
    store = FakeKeyStore({"key-a": "alice", "key-b": "bob"})
    checker = KeyChecker(store, refresh_interval=5.0)
    assert checker.check("key-a") == "alice"
    assert checker.check("key-b") == "bob"
    assert store.reads == 0


def test_a_key_listed_under_two_names_answers_as_the_same_one_every_time() -> None:
    from chalice_app.auth import keys_in

    assert keys_in({"zoe": "k", "ana": "k", "bob": "", "eve": 7}, "store") == {"k": "ana"}


@pytest.mark.parametrize("key", [None, ""])
def test_missing_key_is_forbidden(key: str | None) -> None:
    with pytest.raises(ForbiddenError, match="missing"):
        KeyChecker(FakeKeyStore({"a"}), 5.0).check(key)


def test_a_flood_of_bad_keys_refreshes_at_most_once_per_interval() -> None:
    store, clock = FakeKeyStore({"a"}), Clock()
    checker = KeyChecker(store, refresh_interval=5.0, clock=clock)
    for _ in range(50):
        with pytest.raises(ForbiddenError, match="invalid"):
            checker.check("wrong")
    assert store.reads == 1
    clock.now += 5.0
    with pytest.raises(ForbiddenError):
        checker.check("wrong")
    assert store.reads == 2


def test_a_key_added_to_the_store_is_accepted_after_a_refresh() -> None:
    class RotatingStore(FakeKeyStore):
        def accepted_keys(self) -> dict[str, str]:
            return {"old": "alice"}  # a stale cache

    store = RotatingStore({"old": "alice", "new": "alice"})
    assert KeyChecker(store, refresh_interval=5.0).check("new") == "alice"
    assert store.reads == 1


def test_unreadable_store_is_a_503_not_a_403_and_only_the_log_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenStore(FakeKeyStore):
        def accepted_keys(self) -> dict[str, str]:
            raise KeyStoreUnavailableError("/secret/place/api-keys.json is gone")

    with pytest.raises(ServiceUnavailableError) as caught:
        KeyChecker(BrokenStore(set()), 5.0).check("a")
    assert "/secret/place" not in str(caught.value.body())
    assert "/secret/place/api-keys.json is gone" in caplog.text


def test_a_store_with_no_key_is_unavailable_not_a_reason_to_refuse_a_key() -> None:
    with pytest.raises(ServiceUnavailableError):
        KeyChecker(FakeKeyStore(set()), 5.0).check("a")
