"""Domain errors raised by services and turned into 4xx answers by views."""


class DomainError(Exception):
    """A rule said no; the message is already translated for the person."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The acting user may not do this."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state."""

    status = 409
