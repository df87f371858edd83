"""infra/analytics.yaml (cfn-lint and checkov: make lint-infra): its table reads the
columns the export writes, and its alarm watches the metric the drift function emits,
with the same dimensions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalice_app.ports import PredictionEntry
from ops import parquet_log
from tests.conftest import EXAMPLE_RECORD, REPO_ROOT
from tests.secrets_watch import json_lines, metric_documents

TEMPLATE = REPO_ROOT / "infra" / "analytics.yaml"


def _template() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    return loaded


def test_the_glue_table_reads_the_columns_an_export_writes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    entry = PredictionEntry(
        "id-1", "2026-12-03T10:00:00.000001+00:00", EXAMPLE_RECORD, 3500.0, "v0001", 1.0
    )
    path = tmp_path / "day.parquet"
    parquet_log.write([entry], path)
    arrow_to_glue = {"string": "string", "double": "double", "timestamp[us, tz=UTC]": "timestamp"}
    written = [(field.name, arrow_to_glue[str(field.type)]) for field in pq.read_schema(path)]

    table = _template()["Resources"]["PredictionsTable"]["Properties"]["TableInput"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns == written
    assert [k["Name"] for k in table["PartitionKeys"]] == [parquet_log.PARTITION_COLUMN]
    template = table["Parameters"]["storage.location.template"]["Fn::Sub"]
    assert template.endswith("/analytics/predictions/day=${!day}/")


def test_the_alarm_watches_what_the_drift_function_emits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chalice_app import observability

    observability.drift_metrics("dev", {"net_area": 0.4}, 1)
    (document,) = [
        d for d in metric_documents(json_lines(capsys.readouterr().out)) if "feature" not in d
    ]
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    alarm = _template()["Resources"]["DriftAlarm"]["Properties"]
    assert alarm["Namespace"] == directive["Namespace"]
    assert [alarm["MetricName"]] == [m["Name"] for m in directive["Metrics"]]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert directive["Dimensions"] == [list(dimensions)]
    assert dimensions["service"] == document["service"]
    assert dimensions["stage"] == {"Ref": "Stage"} and document["stage"] == "dev"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert json.dumps(alarm).count("notBreaching") == 1
