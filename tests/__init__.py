"""The test suite is a package: a top-level `tests` package installed by a dependency
(smdebug-rulesconfig, under the SageMaker SDK) must not shadow `tests.conftest`."""
