"""The pipeline's callbacks: record each run's outcome and roll accepted models out.

The SageMaker pipeline's Lambda steps (DeployCallback, RecordRejection) and the deploy
watcher call these services through the thin handlers in `functions.py`. They run on
AWS only: their adapters live in chalice_app/aws and are built by the wiring.
"""
