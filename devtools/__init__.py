"""Dev tooling, never shipped: launchers for `make run` and `make run-moto`, the moto
stand-ins for what moto cannot play, and the process helpers tests and benchmarks use.

Nothing in a Lambda zip or an image imports this package; it may import every other.
"""
