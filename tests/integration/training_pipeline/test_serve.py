"""The endpoint's serving functions on a model the training step wrote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chalice_app.local.predictor import LocalPredictor
from contract.environment import MODEL_VERSION
from tests.conftest import EXAMPLE_RECORD
from training_pipeline.model import pack_model
from training_pipeline.schema import FEATURES
from training_pipeline.steps import serve
from training_pipeline.steps.batch_csv import CsvAnswer

JSON = serve.JSON


@pytest.fixture(scope="module")
def model_dir(trained_home: Path) -> Path:
    return trained_home / "models" / "v0001"


def _ask(model: serve.LoadedModel, body: object) -> dict[str, object]:
    data = serve.input_fn(json.dumps(body).encode(), "application/json; charset=utf-8")
    return json.loads(serve.output_fn(serve.predict_fn(data, model), "application/json"))


def test_one_record_and_a_batch_answer_what_the_local_predictor_answers(
    model_dir: Path, trained_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_VERSION.name, "v0001")
    model = serve.model_fn(str(model_dir))
    local = LocalPredictor(trained_home).predict(EXAMPLE_RECORD)
    priced = {
        "value": local.value,
        "range": {"low": local.range.low, "high": local.range.high, "level": 0.8},
    }
    single = _ask(model, EXAMPLE_RECORD)
    assert single == {"model_version": "v0001", "predictions": [priced]}
    assert local.range.low <= local.value <= local.range.high
    flat = {**EXAMPLE_RECORD, "type": "Departamento", "sector": "Ñuñoa"}
    batch = _ask(model, [EXAMPLE_RECORD, {**EXAMPLE_RECORD, "sector": "Marte"}, flat])
    first, unknown, accented = batch["predictions"]  # type: ignore[misc]
    # The batch path gives the single-row path's value and range, exactly.
    assert first == priced
    assert accented["value"] == LocalPredictor(trained_home).predict(flat).value
    assert unknown["value"] is None
    error = unknown["error"]
    assert error["kind"] == "unknown_category" and error["column"] == "sector"
    assert error["value"] == "Marte" and "providencia" in error["known"]


def test_the_version_comes_from_env_then_a_file_then_the_model_bytes(
    model_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    hashed = serve.model_version(copy, env={})
    assert hashed.startswith("sha256-") and hashed == serve.model_version(copy, env={})
    (copy / serve.VERSION_FILENAME).write_text("v0042\n")
    assert serve.model_version(copy, env={}) == "v0042"
    assert serve.model_version(copy, env={MODEL_VERSION.name: "v7"}) == "v7"


def test_a_model_tar_gz_as_sagemaker_hands_it_over_is_loaded(
    model_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "opt-ml-model"
    target.mkdir()
    pack_model(model_dir, target / "model.tar.gz")
    model = serve.model_fn(str(target))
    assert _ask(model, EXAMPLE_RECORD)["predictions"][0]["value"] > 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "content_type", "names"),
    [
        (b"{not json", "application/json", "not JSON"),
        (b"[]", "application/json", "between 1 and"),
        (b"[1]", "application/json", "record 0"),
        (json.dumps({"type": "casa"}).encode(), "application/json", "missing sector"),
        (json.dumps({**EXAMPLE_RECORD, "x": 1}).encode(), "application/json", "unexpected x"),
        (json.dumps({**EXAMPLE_RECORD, "n_rooms": "2"}).encode(), "application/json", "n_rooms"),
        (json.dumps({**EXAMPLE_RECORD, "n_rooms": True}).encode(), "application/json", "n_rooms"),
        (json.dumps({**EXAMPLE_RECORD, "sector": " "}).encode(), "application/json", "sector"),
        (json.dumps(EXAMPLE_RECORD).replace("80.0", "1e999").encode(), JSON, "net_area"),
        (json.dumps({**EXAMPLE_RECORD, "n_rooms": 10**400}).encode(), JSON, "n_rooms"),
        (b"a,b\n1,2", "text/plain", "content type"),
        (b"casa,\xff\n", "text/csv", "not UTF-8"),
    ],
)
def test_bad_bodies_fail_with_a_4xx_naming_the_problem(
    body: bytes, content_type: str, names: str
) -> None:
    with pytest.raises(serve.ServeInputError) as caught:
        serve.input_fn(body, content_type)
    assert 400 <= caught.value.status < 500 and names in str(caught.value)


def test_an_answer_is_offered_in_its_requests_format_only() -> None:
    with pytest.raises(serve.NotAcceptableError):
        serve.output_fn({"predictions": []}, "text/csv")
    assert serve.output_fn({"predictions": []}, "text/csv, application/*;q=0.5")
    lines = CsvAnswer([("1.0", "0.5", "1.5", ""), ("", "", "", "unknown type 'a, b'")])
    with pytest.raises(serve.NotAcceptableError):
        serve.output_fn(lines, "application/json")
    assert serve.output_fn(lines, "text/*") == b"1.0,0.5,1.5,\n,,,\"unknown type 'a, b'\"\n"


def test_csv_lines_get_one_answer_line_each_in_order(model_dir: Path) -> None:
    model = serve.model_fn(str(model_dir))
    row = ",".join(str(EXAMPLE_RECORD[name]) for name in FEATURES)
    lines = [
        " Type,SECTOR," + ",".join(FEATURES[2:]),  # a header, however it is spelled
        row,
        row.replace("providencia", "Marte"),
        row.replace("80.0", "eighty"),
        "",
        "casa,providencia",
        '"departamento","Providencia",70,80,2,2,-33.43,-70.61',
    ]
    body = ("\r\n".join(lines) + "\r\n").encode()  # Windows line ends, as a file may have
    data = serve.input_fn(body, "text/csv")
    answer = serve.output_fn(serve.predict_fn(data, model), "text/csv").decode()
    header, priced, unknown, not_number, empty, short, quoted = answer.split("\n")[:-1]
    assert header == "predicted_price,predicted_price_low,predicted_price_high,prediction_error"
    value = model.model.estimate_record(EXAMPLE_RECORD)
    assert priced == f"{value.value:.1f},{value.low:.1f},{value.high:.1f},"
    assert quoted == priced
    assert unknown == ",,,unknown sector 'Marte'"
    assert not_number == ",,,net_area is not a finite number"
    assert empty == ",,,empty line" and short.startswith(',,,"expected 8 fields (type, sector')
