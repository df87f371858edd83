"""The README's runnable shell blocks run as printed, offline, on a throwaway PVP_HOME.

A block is runnable when the line above its fence is an HTML comment (rendered as
nothing): `<!-- runnable -->` for a block that needs nothing but the synthetic sample,
`<!-- runnable: while make run serves -->` for one that talks to the API `make run`
serves (here `python -m devtools.serve_local`, what `make run` runs, on a free port).
Each runs with bash from the repository root, `set -euo pipefail`, this interpreter's
`python` first on PATH, no AWS and no proxy reachable. Training uses the suite's quick
model parameters ($PVP_MODEL_PARAMS, tests/conftest.py): the README's commands, a
smaller model.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.launch import running_proxy

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
MARKER = re.compile(r"<!-- runnable(?:: (?P<needs>[^>]+?))? -->")
SERVER = "while make run serves"
# What the README marks today: one offline block, one against the running API.
EXPECTED_NEEDS = [SERVER, None]
# Never marked: they install, serve until stopped, or take minutes.
NEVER_RUNNABLE = ("make test", "make run", "make bench", "make run-moto")
# A closed loopback port as every proxy, loopback exempted: a request to the local API
# goes through, any other HTTP(S) request (AWS, a registry) fails at once.
NO_NETWORK = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Block:
    line: int  # the fence's line number in the README
    needs: str | None
    script: str


def runnable_blocks(text: str) -> list[Block]:
    """Every marked block; a marker that is malformed or not right above a sh fence fails."""
    lines = text.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if "runnable" not in line or not line.lstrip().startswith("<!--"):
            continue
        marker = MARKER.fullmatch(line.strip())
        assert marker, f"README line {index + 1}: malformed marker {line!r}"
        fence = lines[index + 1].strip() if index + 1 < len(lines) else ""
        assert fence in ("```sh", "```bash"), (
            f"README line {index + 1}: a runnable marker must sit right above a ```sh fence"
        )
        end = next(j for j in range(index + 2, len(lines)) if lines[j].strip() == "```")
        script = "\n".join(lines[index + 2 : end])
        blocks.append(Block(index + 2, marker["needs"], script))
    return blocks


def block_needing(needs: str | None) -> Block:
    (block,) = [b for b in runnable_blocks(README.read_text()) if b.needs == needs]
    return block


def offline_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "PVP_")) or name == "PVP_MODEL_PARAMS"
    }
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PVP_HOME=str(home),
        OMP_NUM_THREADS="1",
        HTTP_PROXY=NO_NETWORK,
        HTTPS_PROXY=NO_NETWORK,
        http_proxy=NO_NETWORK,
        https_proxy=NO_NETWORK,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        AWS_EC2_METADATA_DISABLED="true",
        **extra,
    )
    return env


def run_block(block: Block, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block.script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"README block at line {block.line} exited {result.returncode}:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result


def test_the_readme_marks_the_blocks_it_should_and_only_those() -> None:
    blocks = runnable_blocks(README.read_text())
    assert sorted(str(b.needs) for b in blocks) == sorted(str(n) for n in EXPECTED_NEEDS)
    for block in blocks:
        assert block.script.strip(), f"empty block at README line {block.line}"
        for command in NEVER_RUNNABLE:
            assert not re.search(rf"(^|\s){command}(\s|$)", block.script, re.MULTILINE), (
                f"README line {block.line}: `{command}` must not be marked runnable"
            )


def test_the_marker_parser_refuses_what_it_cannot_run() -> None:
    with pytest.raises(AssertionError, match="right above"):
        runnable_blocks("<!-- runnable -->\n\n```sh\ntrue\n```\n")
    with pytest.raises(AssertionError, match="malformed"):
        runnable_blocks("<!--runnable-->\n```sh\ntrue\n```\n")
    (block,) = runnable_blocks("text\n<!-- runnable: needs x -->\n```sh\necho a\necho b\n```\n")
    assert (block.line, block.needs, block.script) == (3, "needs x", "echo a\necho b")


@pytest.mark.slow
def test_the_local_pipeline_block_runs_as_printed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_block(block_needing(None), offline_env(home))
    out = result.stdout
    # GIVEN a fresh home, THEN the sample was written, a first model trained and deployed,
    # the sample scored with it, and both listings show it
    assert f"wrote {home}/sample/train.csv" in out, out
    assert re.search(r"^run run-\S+: accepted$", out, re.MULTILINE), out
    assert f"scored 800 rows with v0001 into {home}/scored.csv" in out, out
    assert re.search(r"^run-\S+ +accepted +v0001 +MAE [\d,]+$", out, re.MULTILINE), out
    assert re.search(r"^\* v0001 +accepted +MAE [\d,]+ +run run-\S+$", out, re.MULTILINE), out
    with open(home / "scored.csv", newline="") as scored:
        rows = list(csv.DictReader(scored))
    assert len(rows) == 800
    for row in rows:
        low, value, high = (
            float(row[f"predicted_price{suffix}"]) for suffix in ("_low", "", "_high")
        )
        assert 0 < low <= value <= high


@pytest.mark.slow
def test_the_curl_block_works_against_what_make_run_serves(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # GIVEN what `make run` runs, on a fresh home (it trains a first model and makes a key)
    with running_proxy(
        home, workers=1, env={"HOME": str(tmp_path)}, timeout=180, module="devtools.serve_local"
    ) as server:
        assert server.host == "127.0.0.1"
        # WHEN the README's block runs in "a second terminal"
        result = run_block(block_needing(SERVER), offline_env(home, PORT=str(server.port)))
    # THEN /ping is ok and the prediction has a price inside its range, from that model
    ping, prediction = (json.loads(line) for line in result.stdout.splitlines())
    assert ping["status"] == "ok", ping
    assert prediction["model_version"] == ping["model_version"] == "v0001", prediction
    price_range = prediction["range"]
    assert price_range["level"] == 0.8
    assert 0 < price_range["low"] <= prediction["value"] <= price_range["high"], prediction
    assert prediction["prediction_id"]


def test_every_relative_link_in_the_readme_resolves() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    local = [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert len(local) >= 8, local  # the docs pages and the OpenAPI document at least
    missing = [t for t in local if not (REPO_ROOT / t.split("#")[0]).exists()]
    assert not missing, missing
