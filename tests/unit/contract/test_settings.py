"""One parser for every setting: defaults, rules, and errors that name the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract import environment
from contract.resources import StageNames
from contract.settings import ConfigurationError, Setting, flag, integer, number


def test_a_blank_variable_takes_the_default_and_a_set_one_is_parsed() -> None:
    setting = Setting("PVP_X", 2.5, number(minimum=0), "why", "section")

    assert setting.read({}) == 2.5
    assert setting.read({"PVP_X": "  "}) == 2.5
    assert setting.read({"PVP_X": " 7 "}) == 7.0


@pytest.mark.parametrize(
    ("parse", "raw", "says"),
    [
        (number(minimum=0), "soon", "must be a number"),
        (number(minimum=0), "-1", "at least 0"),
        (number(above=0), "0", "above 0"),
        (number(minimum=0), "nan", "finite"),
        (integer(minimum=1), "1.5", "whole number"),
        (integer(choices=(1024, 2048)), "1500", "one of 1024, 2048"),
        (integer(maximum=200), "201", "at most 200"),
        (flag, "maybe", "must be one of"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_variable(parse: object, raw: str, says: str) -> None:
    setting = Setting("PVP_X", None, parse, "why", "section")  # type: ignore[arg-type]

    with pytest.raises(ConfigurationError, match=rf"PVP_X .*{says}.*'{raw}'"):
        setting.read({"PVP_X": raw})


def test_every_setting_is_documented_and_its_default_obeys_its_rule() -> None:
    names = [setting.name for setting in environment.ALL]
    assert len(names) == len(set(names))
    for setting in environment.ALL:
        assert setting.doc and setting.section, setting.name
        if setting.default is not None and not isinstance(setting.default, bool):
            assert setting.parse(str(setting.default)) == setting.default, setting.name


@pytest.mark.parametrize("stage", ["dev", "prd", "local", "ana-42", "x" * 16])
def test_any_short_lower_case_stage_names_resources(stage: str) -> None:
    names = StageNames(stage)
    assert names.endpoint.endswith(f"-{stage}") and len(names.function("record_rejection")) <= 64


@pytest.mark.parametrize("stage", ["", "Prod", "-dev", "x" * 17, "dev stage", "dév"])
def test_a_stage_outside_the_rule_is_refused(stage: str) -> None:
    with pytest.raises(ConfigurationError, match="stage"):
        StageNames(stage)


def test_home_is_absolute_with_links_resolved(tmp_path: Path) -> None:
    # GIVEN a relative home seen through a symlink
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        # THEN every process names the same directory, whatever its working directory later
        assert environment.home_of({"PVP_HOME": "link"}) == tmp_path / "real"
    finally:
        os.chdir(cwd)
