"""The deployment's source: CloudFormation templates and IAM policies rendered from the
contract's names (`python -m devtools.generate` writes them), the layer and package
builds, the deploy plan, and the same templates deployed into moto. Never shipped.
"""
