"""No name of the contract is written again outside `contract/`: a copy cannot come back.

Reads the shipped and dev packages' code (string constants, not docstrings or comments)
for the contract's variable names, resource names, pipeline names, run words and the
version format. Tests are not read: they state expected values on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract import environment, pipeline, vocabulary
from contract.resources import APP_NAME, StageNames

REPO_ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("chalice_app", "ecs_proxy", "training_pipeline", "devtools", "ops", "benchmarks")
# The API's request fields, which the pipeline's data parameters are named after: the
# request contract (pydantic) owns them as field names.
REQUEST_FIELDS = {pipeline.TRAIN_DATA, pipeline.VALIDATION_DATA}
REQUEST_CONTRACT = {"chalice_app/contracts.py", "chalice_app/services.py"}


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            yield str(path.relative_to(REPO_ROOT)), ast.parse(path.read_text())


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(tree: ast.Module) -> Iterator[str]:
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.value


def _stems() -> list[str]:
    names = StageNames("zz")
    made = [
        names.bucket,
        names.secret,
        names.prediction_table,
        names.run_table,
        names.pipeline,
        names.endpoint,
        names.model_package_group,
        names.sagemaker_role,
        names.function("f"),
        names.served("v"),
    ]
    return sorted({made_name.split("-zz")[0] for made_name in made} | {APP_NAME})


def _pipeline_words() -> set[str]:
    # The compound names (TrainingDataS3Path, DeployCallback): plain words like "Train"
    # or "Rejected" are also SageMaker's own (a job kind, an approval status).
    return {
        value
        for name, value in vars(pipeline).items()
        if name.isupper()
        and isinstance(value, str)
        and value.isalnum()
        and any(char.isupper() for char in value[1:])
    }


# Ids from the path alone: a tree's repr carries its address, which differs between
# processes (pytest-xdist's workers must collect the same ids).
@pytest.mark.parametrize(
    ("path", "tree"), [pytest.param(*source, id=source[0]) for source in _sources()]
)
def test_no_copy_of_a_contract_name(path: str, tree: ast.Module) -> None:
    variables = {setting.name for setting in environment.ALL if setting.name.startswith("PVP_")}
    words = _pipeline_words() - (REQUEST_FIELDS if path in REQUEST_CONTRACT else set())
    stems = _stems()
    for text in _strings(tree):
        assert text not in variables, f"{path}: {text!r} is contract.environment's"
        assert text not in words, f"{path}: {text!r} is contract.pipeline's"
        assert not any(text.startswith(stem) for stem in stems), (
            f"{path}: {text!r} copies a resource name of contract.resources"
        )
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List):
            values = tuple(item.value for item in node.elts if isinstance(item, ast.Constant))
            assert values not in (vocabulary.RUN_STATUSES, vocabulary.STEPS), (
                f"{path}: a copy of contract.vocabulary's words"
            )
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(
                str(part.value)
                for part in node.format_spec.values
                if isinstance(part, ast.Constant)
            )
            assert spec != "04d", f"{path}: version numbers are contract.vocabulary.model_version's"


def test_the_check_sees_a_copy() -> None:
    planted = ast.parse('TABLE = "inference-results-logging-table-dev"\nNAME = "PVP_STAGE"\n')
    texts = list(_strings(planted))
    assert any(text.startswith(stem) for text in texts for stem in _stems())
    assert "PVP_STAGE" in texts
