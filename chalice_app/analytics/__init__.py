"""The analytics functions: a nightly schedule that starts the export and drift jobs,
and the function that turns a finished drift job's report into metrics."""
