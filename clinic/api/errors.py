"""The one place that turns errors into HTTP answers.

Every error body has `detail` (a sentence for front-desk staff) and `code`; a 400 for bad
input adds `fields` ({field: [messages]}); a 409 adds what was taken (`conflicts`)."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clinic.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

INTEGRITY_CONFLICT = Conflict("Someone changed this at the same moment; reload and try again.")

CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "idempotency_key_reused",
    429: "throttled",
}


def _flatten(detail) -> dict | list | str:
    """DRF's ErrorDetail tree as plain strings."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _fields(detail) -> dict:
    flat = _flatten(detail)
    if isinstance(flat, dict):
        return {key: value if isinstance(value, list | dict) else [value] for key, value in flat.items()}
    return {"non_field_errors": flat if isinstance(flat, list) else [flat]}


def _first_message(fields) -> str:
    """The first message in a (possibly nested) error tree, with the field it belongs to."""

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                found = walk(value, path + [str(key)])
                if found:
                    return found
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found = walk(value, path + ([str(index)] if isinstance(value, dict) else []))
                if found:
                    return found
        elif node:
            return path, str(node)
        return None

    found = walk(fields, [])
    if not found:
        return "The request is not valid."
    path, message = found
    names = [p for p in path if p not in ("non_field_errors", "__all__")]
    if not names:
        return message
    label = names[0].replace("_", " ").capitalize() + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in names[1:])
    return f"{label}: {message}"


def error_body(status_code: int, detail: str, code: str | None = None, **extra) -> dict:
    return {"detail": detail, "code": code or CODES.get(status_code, "error"), **extra}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: domain errors, validation errors, 404s and lost races."""
    if isinstance(exc, DomainError):
        extra = {}
        details = exc.details
        if isinstance(details, dict) and details:
            fields = {k: v for k, v in details.items() if isinstance(v, list) and all(isinstance(i, str) for i in v)}
            rest = {k: v for k, v in details.items() if k not in fields}
            if isinstance(exc, Conflict):
                extra.update(details)
            else:
                if fields:
                    extra["fields"] = fields
                extra.update(rest)
        elif isinstance(details, list) and details:
            extra["conflicts" if isinstance(exc, Conflict) else "problems"] = details
        code = "conflict" if isinstance(exc, Conflict) else "not_found" if isinstance(exc, NotFound) else "invalid"
        set_rollback()
        return Response(error_body(exc.status_code, exc.message, code, **extra), status=exc.status_code)

    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        set_rollback()
        return Response(error_body(400, _first_message(fields), fields=fields), status=400)

    if isinstance(exc, IntegrityError):
        # The services turn the constraints they know into sentences; one that gets here
        # lost a race the checks could not see, so the desk is asked to look again.
        logger.info("integrity error turned into an answer: %s", exc)
        return exception_handler(INTEGRITY_CONFLICT, context)

    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound("Not found: it does not exist, or you may not see it.")
    elif isinstance(exc, PermissionDenied):
        # Keep the reason a role check gave (e.g. a provider login not linked to a provider).
        exc = exceptions.PermissionDenied(str(exc) or None)

    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            fields = _fields(exc.detail)
            body = error_body(400, _first_message(fields), fields=fields)
        else:
            detail = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
            body = error_body(
                exc.status_code, str(detail), exc.get_codes() if isinstance(exc.get_codes(), str) else None
            )
        set_rollback()
        return Response(body, status=exc.status_code, headers=headers)
    return None


def problem_response(status_code: int, detail: str, **extra) -> Response:
    return Response(error_body(status_code, detail, **extra), status=status_code)


__all__ = ["exception_handler", "error_body", "problem_response", "status"]


ERROR_PAGE = "frontdesk/error.html"
PAGE_TEXT = {
    403: ("You cannot open this page", "Your login may not open this page."),
    404: ("There is no such page", "The address may be mistyped, or what it showed was removed or is not "
                                   "yours to see."),
    500: ("Something went wrong on our side", "Nothing was saved. Try again in a moment; if it happens again, "
                                              "tell a clinic admin what you were doing."),
}


def error_page(request, status_code: int, reason: str = "") -> HttpResponse:
    """The product's own error page, with a way back; `request` is None for a 500, whose
    page must render even when the request's own context is what failed."""
    heading, text = PAGE_TEXT[status_code]
    context = {"status": status_code, "heading": heading, "text": text, "reason": reason}
    body = loader.get_template(ERROR_PAGE).render(context, request)
    return HttpResponse(body, status=status_code)


def not_found(request, exception=None):
    """handler404: JSON under /api/ (a path no route matches), the product's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(404, "There is no such address in the API."), status=404)
    return error_page(request, 404)


def permission_denied(request, exception=None):
    """handler403: JSON under /api/, elsewhere the page with the reason the check gave."""
    reason = str(exception or "") or "Your login may not open this page."
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(403, reason), status=403)
    return error_page(request, 403, reason)


def server_error(request):
    """handler500: JSON under /api/, the product's page elsewhere (the error is logged by Django)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(500, "Something went wrong on our side; nothing was saved.", "server_error"), status=500
        )
    return error_page(None, 500)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: after too many failed logins, JSON for the API and a plain
    page elsewhere, both 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = f"Too many failed logins. Wait {minutes} minutes, or ask a clinic admin to unlock the account."
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(429, message, "locked_out"), status=429)
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
