"""The step graph of a pipeline definition (its JSON), as a few lines of text.

Dependencies are what SageMaker derives them from: a step reads another step's
properties ("Get": "Steps.<name>...") or names it in DependsOn.
"""

from __future__ import annotations

import json
import re
from typing import Any

_STEP_REFERENCE = re.compile(r"Steps\.([A-Za-z0-9_-]+)")


def dependencies(step: dict[str, Any]) -> list[str]:
    arguments = step.get("Arguments", {})
    if step["Type"] == "Condition":  # its branches' steps have dependencies of their own
        arguments = arguments.get("Conditions", [])
    named = set(_STEP_REFERENCE.findall(json.dumps(arguments))) | set(step.get("DependsOn", []))
    return sorted(named - {step["Name"]})


def _operand(value: Any) -> str:
    if isinstance(value, dict) and "Std:JsonGet" in value:
        get = value["Std:JsonGet"]
        source = get["PropertyFile"]["Get"].removeprefix("Steps.")
        return f"{source.replace('.PropertyFiles.', ':')} {get['Path']}"
    if isinstance(value, dict) and "Get" in value:
        return str(value["Get"])
    return json.dumps(value)


def _condition(step: dict[str, Any]) -> str:
    return " and ".join(
        f"{_operand(c['LeftValue'])} {c['Type']} {_operand(c['RightValue'])}"
        for c in step["Arguments"]["Conditions"]
    )


def _lines(steps: list[dict[str, Any]], indent: str) -> list[str]:
    width = max(len(step["Name"]) for step in steps)
    lines = []
    for step in steps:
        needs = ", ".join(dependencies(step)) or "(start)"
        lines.append(f"{indent}{step['Name']:<{width}}  {step['Type']:<13} <- {needs}")
        if step["Type"] == "Condition":
            lines.append(f"{indent}  if {_condition(step)}:")
            lines += _lines(step["Arguments"]["IfSteps"], indent + "    ")
            lines.append(f"{indent}  else:")
            lines += _lines(step["Arguments"]["ElseSteps"], indent + "    ")
    return lines


def render(definition: dict[str, Any]) -> str:
    parameters = ", ".join(p["Name"] for p in definition.get("Parameters", []))
    return "\n".join([f"parameters: {parameters}", *_lines(definition["Steps"], "")])
