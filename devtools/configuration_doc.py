"""docs/configuration.md: every environment variable, rendered from contract.environment."""

from __future__ import annotations

from collections import defaultdict

from contract import environment
from contract.settings import Setting

HEADER = """# Configuration

Every environment variable a process of this project reads, with its default and its
rule. Generated from `contract/environment.py` by `make generate`; a test fails when this
file is stale, so edit the code, not this page. Each process reads its settings once, at
start; a wrong value stops that process's backends with a message naming the variable
(the API then answers 503 `misconfigured` and logs why, once; a server or a command
refuses to start).

The AWS SDK's own variables (`AWS_REGION` or `AWS_DEFAULT_REGION`, credentials,
`AWS_ENDPOINT_URL*`) are read as the SDK documents them; the region is required
wherever AWS is called.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(setting: Setting[object]) -> str:
    rule = setting.rule or "text"
    return (
        f"| `{setting.name}` | {_cell(setting.default_text)} | {_cell(rule)} "
        f"| {_cell(setting.doc)} |"
    )


def render() -> str:
    sections: dict[str, list[Setting[object]]] = defaultdict(list)
    for setting in environment.ALL:
        sections[setting.section].append(setting)
    parts = [HEADER]
    for section, settings in sections.items():
        parts.append(f"\n## {section}\n")
        parts.append("| variable | default | rule | what it does |")
        parts.append("| --- | --- | --- | --- |")
        parts.extend(_row(setting) for setting in settings)
    return "\n".join(parts) + "\n"
