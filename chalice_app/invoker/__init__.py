"""The test invoker: a Lambda function that calls the stage's API with the old system's
test event `{"endpoint", "headers", "method_type", "payload"}` and returns
`{"status_code", "body", "error"}`.

`event` reads the event against the app's own routes, `transport` makes the one HTTP
call within the invocation's time, `service` turns either's outcome into the result,
and `functions` is the Lambda function on the app (chalice_app/app.py). Standard
library only: the Lambda zip carries nothing new for it.
"""
