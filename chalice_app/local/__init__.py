"""Local adapters: key file, in-process model, SQLite log, subprocess training runs.

Only these modules may touch `training_pipeline` (and through it pandas/scikit-learn),
and only inside functions, so the Lambda package never needs them.
"""
