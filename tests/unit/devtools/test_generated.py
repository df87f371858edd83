"""Every generated file is what the code renders now (make generate rewrites them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.generate import GENERATED, REPO_ROOT, main, stale


def test_no_generated_file_is_stale() -> None:
    assert stale() == [], "run make generate"


def test_a_stale_file_is_found_and_named(tmp_path: Path) -> None:
    for path in GENERATED:
        copy = tmp_path / path
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text((REPO_ROOT / path).read_text() + "\nedited by hand\n")
    assert sorted(stale(tmp_path)) == sorted(GENERATED)


def test_the_check_command_exits_0_when_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert capsys.readouterr().out == ""
