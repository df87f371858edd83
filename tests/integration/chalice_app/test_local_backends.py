"""The local adapters against real files, SQLite, processes and a trained model."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from chalice_app.auth import KeyChecker
from chalice_app.errors import (
    ForbiddenError,
    KeyStoreUnavailableError,
    ModelUnavailableError,
    PredictionLogError,
    TrainingInputError,
    UnknownCategoryError,
)
from chalice_app.local.keys import JsonKeyFileStore, ensure_key_file
from chalice_app.local.prediction_log import SqlitePredictionLog
from chalice_app.local.predictor import LocalPredictor
from chalice_app.local.run_status import LocalRunStatus
from chalice_app.local.training import LocalTrainingLauncher, local_file
from chalice_app.ports import PredictionEntry
from tests.conftest import EXAMPLE_RECORD

RECORD = EXAMPLE_RECORD


def test_key_file_is_created_once_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "api-keys.json"
    key = ensure_key_file(path)
    assert key and len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_key_file(path) is None
    assert list(json.loads(path.read_text()).values()) == [key]


def test_bad_keys_do_not_reread_the_key_file_each_time(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"a": "first"}))
    store = JsonKeyFileStore(path, ttl=300)
    checker = KeyChecker(store, refresh_interval=60)
    checker.check("first")
    for _ in range(20):
        with pytest.raises(ForbiddenError):
            checker.check("wrong")
    assert store.reads == 2  # the first load, then one refresh for the whole burst


def test_a_rotated_key_is_accepted_without_restart(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"a": "first"}))
    checker = KeyChecker(JsonKeyFileStore(path, ttl=300), refresh_interval=0)
    checker.check("first")
    path.write_text(json.dumps({"a": "first", "b": "second"}))
    checker.check("second")  # raises ForbiddenError unless the new key was picked up
    with pytest.raises(ForbiddenError):
        checker.check("third")


@pytest.mark.parametrize("content", [None, "[1, 2]", "{not json", "{}", '{"a": 1}'])
def test_unusable_key_file_is_reported(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "api-keys.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(KeyStoreUnavailableError):
        JsonKeyFileStore(path, ttl=300).accepted_keys()


def _write_rows(path: str, worker: int, count: int) -> None:
    log = SqlitePredictionLog(Path(path))
    for i in range(count):
        log.record(PredictionEntry(f"{worker}-{i}", "t", RECORD, 1.0, "v1", 0.1))


def test_concurrent_processes_lose_no_log_row(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_rows, args=(str(path), w, 300)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM predictions").fetchone() == (1200,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_predictor_serves_the_deployed_model(trained_home: Path) -> None:
    predictor = LocalPredictor(trained_home)
    prediction = predictor.predict(RECORD)
    assert prediction.value > 0 and prediction.model_version == predictor.model_version()
    accented = predictor.predict({**RECORD, "type": "DEPARTAMENTO", "sector": "Providéncia"})
    assert accented.value == prediction.value


def test_predictor_unknown_category_carries_the_known_list(trained_home: Path) -> None:
    with pytest.raises(UnknownCategoryError) as caught:
        LocalPredictor(trained_home).predict({**RECORD, "sector": "Atlantis"})
    assert caught.value.column == "sector" and "providencia" in caught.value.known


def test_a_batch_is_priced_in_one_call_as_each_row_alone(trained_home: Path) -> None:
    predictor = LocalPredictor(trained_home)
    records = [RECORD, {**RECORD, "sector": "Atlantis"}, {**RECORD, "type": "casa"}]
    batch = predictor.predict_many(records)
    assert batch.model_version == predictor.model_version()
    first, unknown, house = batch.results
    assert first == predictor.predict(RECORD)
    assert house == predictor.predict({**RECORD, "type": "casa"})
    assert isinstance(unknown, UnknownCategoryError) and unknown.value == "Atlantis"
    assert "providencia" in unknown.known


def _entries(count: int) -> list[PredictionEntry]:
    stamp = "2026-11-30T12:00:00.000000+00:00"
    return [PredictionEntry(f"p{i:04d}", stamp, RECORD, 1.0, "v1", 0.1) for i in range(count)]


def test_a_batch_is_logged_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "predictions.sqlite"
    log = SqlitePredictionLog(path)
    log.record_many(_entries(3))
    log.record_many(_entries(3))  # a replay of the same batch: no copies
    # GIVEN a database that refuses the 7th row of the next batch (a real SQLite error)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON predictions WHEN NEW.prediction_id = 'p0006'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    # WHEN a batch of ten is logged, THEN it fails, naming the cause, and none of it stays
    with pytest.raises(PredictionLogError, match="refused"):
        log.record_many(_entries(10))
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT prediction_id FROM predictions")]
        conn.execute("DROP TRIGGER refuse")
    assert sorted(ids) == ["p0000", "p0001", "p0002"]
    # AND the log works again once the cause is gone
    log.record_many(_entries(10))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM predictions").fetchone() == (10,)


def test_predictor_without_a_model_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError):
        LocalPredictor(tmp_path).model_version()


def test_local_file_accepts_paths_and_file_uris(tmp_path: Path) -> None:
    data = tmp_path / "a b.csv"
    data.write_text("x")
    assert local_file(str(data), "train") == data
    assert local_file(data.as_uri(), "train") == data
    for bad in [str(tmp_path / "missing.csv"), "s3://bucket/key.csv", str(tmp_path)]:
        with pytest.raises(TrainingInputError) as caught:
            local_file(bad, "validation")
        assert caught.value.field == "validation"


def _zombie_children() -> list[int]:
    zombies = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == os.getpid():
                zombies.append(int(entry.name))
    return zombies


def _launcher(
    home: Path, sample_dir: Path, python: str | None = None, max_running: int = 1
) -> LocalTrainingLauncher:
    defaults = (str(sample_dir / "train.csv"), str(sample_dir / "test.csv"))
    return LocalTrainingLauncher(
        home, *defaults, **({"python": python} if python else {}), max_running=max_running
    )


def test_a_retried_start_with_the_same_idempotency_key_starts_one_run(
    tmp_path: Path, sample_dir: Path
) -> None:
    from training_pipeline.run_log import RunLog

    launcher = _launcher(tmp_path, sample_dir, python="/bin/false", max_running=5)
    first = launcher.start(None, None, idempotency_key="client-retry-1")
    again = launcher.start(None, None, idempotency_key="client-retry-1")
    other = launcher.start(None, None, idempotency_key="client-retry-2")
    assert again == first and other != first
    assert sorted(r.run_id for r in RunLog(tmp_path).list()) == sorted(
        {first.execution_id, other.execution_id}
    )


@pytest.mark.slow
def test_launcher_runs_in_background_and_leaves_no_zombie(
    tmp_path: Path, trained_home: Path, sample_dir: Path
) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    launcher, runs = _launcher(home, sample_dir), LocalRunStatus(home)
    execution = launcher.start(None, None)
    first = runs.get(execution.execution_id)
    assert first is not None and first["status"] in ("pending", "running")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = runs.get(execution.execution_id)
        assert state is not None
        if state["status"] not in ("pending", "running"):
            break
        time.sleep(0.2)
    assert state["status"] == "accepted", (home / "run-logs").iterdir().__next__().read_text()
    time.sleep(0.5)  # the reaper thread's wait() returns right after the exit
    assert _zombie_children() == []
    assert runs.get("../../etc/passwd") is None and runs.get("run-unknown") is None


def test_a_run_whose_process_dies_is_marked_failed(tmp_path: Path, sample_dir: Path) -> None:
    from training_pipeline.run_log import RunLog

    # /bin/false stands for a training process that dies before recording anything.
    launcher = _launcher(tmp_path, sample_dir, python="/bin/false")
    execution = launcher.start(None, None)
    deadline = time.monotonic() + 10
    record = RunLog(tmp_path).get(execution.execution_id)
    while record is not None and record.status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
        record = RunLog(tmp_path).get(execution.execution_id)
    assert record is not None and record.status == "failed"
    assert record.reason and "exited with code 1" in record.reason


def test_a_run_that_cannot_start_is_failed_and_reported(tmp_path: Path, sample_dir: Path) -> None:
    from chalice_app.errors import TrainingUnavailableError
    from training_pipeline.run_log import RunLog

    launcher = _launcher(tmp_path, sample_dir, python=str(tmp_path / "no-python"))
    with pytest.raises(TrainingUnavailableError):
        launcher.start(None, None)
    (record,) = RunLog(tmp_path).list()
    assert record.status == "failed"


def test_a_log_from_before_the_price_range_gains_its_columns_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    from chalice_app.ports import PriceRange

    # GIVEN a prediction log written with the schema the first release created
    path = tmp_path / "predictions.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE predictions (prediction_id TEXT PRIMARY KEY, created_at TEXT NOT NULL,"
            " inputs TEXT NOT NULL, value REAL NOT NULL, model_version TEXT NOT NULL,"
            " latency_ms REAL NOT NULL)"
        )
        old.execute("INSERT INTO predictions VALUES ('old', 't', '{}', 1.0, 'v1', 0.1)")

    # WHEN today's log writes an entry with its range
    bounds = PriceRange(low=900.0, high=1100.0, level=0.8)
    SqlitePredictionLog(path).record(
        PredictionEntry("new", "t", RECORD, 1000.0, "v2", 0.2, range=bounds)
    )

    # THEN both rows are there, the old one without a range
    with sqlite3.connect(path) as conn:
        rows = dict(
            (row[0], row[1:])
            for row in conn.execute(
                "SELECT prediction_id, range_low, range_high, range_level FROM predictions"
            )
        )
    assert rows == {"old": (None, None, None), "new": (900.0, 1100.0, 0.8)}
