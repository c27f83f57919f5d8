"""One family of domain errors; the API and the pages turn them into 400, 404 and 409."""


class DomainError(Exception):
    """A rule of the clinic was broken; the message is written for front-desk staff."""

    status_code = 400

    def __init__(self, message: str, *, details: dict | list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidRequest(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """Somebody else holds the time: another visit, a hold, or a change made meanwhile."""

    status_code = 409
