"""What staff see when two desks change the same diary at the very same moment.

Bookings at a location queue on a lock, but a cancellation, a move and a booking that
touch the same provider's week in opposite orders can still deadlock in PostgreSQL,
which then rolls one of them back (as it would a serialization failure). Nothing of
that change was saved, so the answer is a 409 asking to try again, never a 500."""

from django.contrib import messages
from django.db import OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.api.errors import error_body, not_found

# deadlock_detected, serialization_failure
ROLLED_BACK_FOR_ANOTHER = {"40P01", "40001"}
MESSAGE = "Another desk changed the same diary at the same moment, so nothing was saved. Please try again."


def rolled_back_for_another(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and getattr(error.__cause__, "sqlstate", None) in ROLLED_BACK_FOR_ANOTHER


class ConcurrentChangeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not rolled_back_for_another(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(409, MESSAGE, "concurrent_change"), status=409, headers={"Retry-After": "1"})
        # A page: back where the desk came from, with the message on top.
        messages.error(request, MESSAGE)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = "/"
        return redirect(back)


class ErrorPageMiddleware:
    """A page that raises Http404 gets the product's 404 page in development too, where
    Django would show its debug page (handler404 serves it when DEBUG is off)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return not_found(request, exception)
        return None
