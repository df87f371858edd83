"""Step scripts: what a SageMaker container runs, and what the local runner calls."""
