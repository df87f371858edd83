"""`python devtools/infra/sam_translate.py TEMPLATE OUT`: a SAM template as plain
CloudFormation, offline (what CloudFormation's own transform would make of it).

Run by the linters' Python (.venv-tools/infra, requirements-infra.txt): the translator
pins a pydantic the app does not use. It imports nothing of the project. It needs a
region (AWS_DEFAULT_REGION); the IAM client it is given reads AWS managed policies only
if a template names one by name (the app's do not), so AWS_ENDPOINT_URL may point it at
moto_server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def translate(text: str) -> dict[str, object]:
    import boto3
    import yaml
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    template = yaml.safe_load(text)
    loader = ManagedPolicyLoader(boto3.session.Session().client("iam"))
    translated: dict[str, object] = transform(template, {}, loader)
    return translated


def main(argv: list[str]) -> int:
    source, out = Path(argv[0]), Path(argv[1])
    out.write_text(json.dumps(translate(source.read_text()), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
