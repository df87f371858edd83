"""The training pipeline on SageMaker: its definition and the harness that upserts it.

Only `pipeline.py` and `harness.py` import the SageMaker SDK (requirements-sagemaker.txt),
and only the `python -m training_pipeline sagemaker ...` commands import them.
"""
