"""Project middleware: input refused before any view sees it, and what staff see when
two desks change the same diary at the very same moment.

Bookings at a location queue on a lock, but a cancellation, a move and a booking that
touch the same provider's week in opposite orders can still deadlock in PostgreSQL,
which then rolls one of them back (as it would a serialization failure). Nothing of
that change was saved, so the answer is a 409 asking to try again, never a 500."""

import time

from django.conf import settings
from django.contrib import messages
from django.db import OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.api.errors import error_body, not_found
from clinic.api.parsers import body_limit_message
from clinic.audit import audit_address_set, client_address

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


def _refused(request, status: int, message: str, code: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse(error_body(status, message, code), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


SANE_YEARS = range(1900, 2201)


def _year_out_of_range(key: str, values: list[str]) -> bool:
    """The admin's date drill-down (`<field>__year=`) builds the following year, month or
    day from the address inside Django itself: year 9999 overflows and a year too large
    for the platform cannot be built at all, both as a 500. Nothing a clinic keeps is
    dated outside SANE_YEARS, so the address is refused before the admin reads it."""
    return key.endswith("__year") and any(
        not (value.strip().isdigit() and int(value) in SANE_YEARS) for value in values
    )


class RequestLimitsMiddleware:
    """A NUL byte in the path, in any query key or value or in a header (no text column
    stores one, so PostgreSQL would refuse the query), a drill-down year outside 1900-2200, and a
    body declared larger than API_MAX_BODY_BYTES (refused from its Content-Length,
    before a byte is read), are answered 400 and 413 here, in words, for the pages and
    the API alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return _refused(request, 400, "The address contains a NUL character, which is never valid.", "invalid")
        if any(key.startswith("HTTP_") and "\x00" in value for key, value in request.META.items()):
            # django-axes stores the user agent and Accept header of every sign-in.
            return _refused(request, 400, "A request header contains a NUL character, which is never valid.", "invalid")
        if any(_year_out_of_range(key, values) for key, values in request.GET.lists()):
            return _refused(request, 400, "Give a year between the years 1900 and 2200.", "invalid")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.API_MAX_BODY_BYTES:
            return _refused(request, 413, body_limit_message(), "too_large")
        return self.get_response(request)


class AuditAddressMiddleware:
    """Audit entries written while a request is answered carry its client's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_address_set(client_address(request)):
            return self.get_response(request)


SESSION_SEEN_KEY = "_clinic_seen"
SESSION_TOUCH_SECONDS = 60


def session_seen_now(session) -> None:
    """Start the idle count again: the session is saved with a fresh expiry
    (SESSION_COOKIE_AGE from now)."""
    session[SESSION_SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Staff sessions end after SESSION_IDLE_MINUTES without a request. Saving the session
    on every request would cost a write per page and per API call, so the expiry is
    pushed forward at most once a minute: the idle limit holds to within that minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            seen = session.get(SESSION_SEEN_KEY)
            if seen is None or time.time() - seen >= SESSION_TOUCH_SECONDS:
                session_seen_now(session)
        return self.get_response(request)
