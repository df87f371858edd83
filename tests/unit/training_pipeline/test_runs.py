"""RunLog on a real SQLite file: create, update, get, list, JSON fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from training_pipeline.run_log import RunLog


def test_a_run_roundtrips_with_json_fields(tmp_path: Path) -> None:
    # GIVEN a new run
    runs = RunLog(tmp_path)
    created = runs.create("run-a", "/data/train.csv", "/data/test.csv")
    assert created.status == "pending"
    assert created.metrics is None
    assert created.started_at

    # WHEN it is updated as the runner does
    metrics = {"rmse": 1500.5, "mae": 1100.25, "n_rows": 400}
    gate = {"accepted": True, "reason": "ok", "champion": None}
    runs.update("run-a", status="running", step="train", artifacts_dir="/tmp/run-a")
    runs.update("run-a", metrics=metrics, gate=gate)
    runs.update("run-a", status="accepted", model_version="v0001", finished_at="later")

    # THEN every field reads back, the JSON ones as dicts
    record = runs.get("run-a")
    assert record is not None
    assert record.status == "accepted"
    assert record.step == "train"
    assert record.metrics == metrics
    assert record.gate == gate
    assert record.model_version == "v0001"
    assert record.train_path == "/data/train.csv"
    assert record.validation_path == "/data/test.csv"
    assert record.as_dict()["artifacts_dir"] == "/tmp/run-a"


def test_create_twice_keeps_the_first(tmp_path: Path) -> None:
    runs = RunLog(tmp_path)
    runs.create("run-a", "a.csv", "b.csv")
    runs.update("run-a", status="running")

    again = runs.create("run-a", "other.csv", "other.csv")

    assert again.status == "running"
    assert again.train_path == "a.csv"


def test_list_in_start_order_and_get_unknown(tmp_path: Path) -> None:
    runs = RunLog(tmp_path)
    for run_id in ("run-1", "run-2", "run-3"):
        runs.create(run_id, "t.csv", "v.csv")

    assert [r.run_id for r in runs.list()] == ["run-1", "run-2", "run-3"]
    assert runs.get("run-9") is None


def test_update_refuses_unknown_fields_and_statuses(tmp_path: Path) -> None:
    runs = RunLog(tmp_path)
    runs.create("run-a", "t.csv", "v.csv")

    with pytest.raises(ValueError, match="colour"):
        runs.update("run-a", colour="blue")
    with pytest.raises(ValueError, match="great"):
        runs.update("run-a", status="great")
    record = runs.get("run-a")
    assert record is not None
    assert record.status == "pending"


def test_a_run_table_from_before_pids_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    # GIVEN a state database written by the previous version (no runs.pid)
    with sqlite3.connect(tmp_path / "registry.sqlite") as old:
        old.execute(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, step TEXT,"
            " started_at TEXT NOT NULL, finished_at TEXT, train_path TEXT,"
            " validation_path TEXT, metrics TEXT, gate TEXT, model_version TEXT,"
            " reason TEXT, artifacts_dir TEXT)"
        )
        old.execute(
            "INSERT INTO runs (run_id, status, started_at) VALUES ('run-old', 'accepted', 't')"
        )
    # WHEN this version opens it, THEN old rows read back and new ones keep their process
    runs = RunLog(tmp_path)
    old_run = runs.get("run-old")
    assert old_run is not None and old_run.pid is None
    runs.create("run-new", "t.csv", "v.csv", pid=4321)
    new_run = runs.get("run-new")
    assert new_run is not None and new_run.pid == 4321
