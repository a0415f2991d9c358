"""Domain errors. Adapters turn AWS error codes into these; handlers map them to HTTP once."""


class DomainError(Exception):
    """Base for errors a person should see as a clear sentence."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class JobCancelled(DomainError):
    """The job was cancelled; work on it stops quietly."""

    status_code = 409
