"""What an operator command reports as `error: ...` and exit status 1."""


class OperatorError(Exception):
    """A command cannot do what it was asked; the message says why, for people."""
