"""What every page view shares: rendering with the user's permissions, and turning
a domain error into messages on the form it came from."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinic.errors import DomainError

from ..access import can
from ..selectors import locations

NAV = {"schedule": "schedule", "waitlist": "waitlist", "waitlist_new": "waitlist", "dashboard": "dashboard",
       "replan": "replan"}


def page(request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    context = dict(context or {})
    context.setdefault("can", can(request.user))
    context.setdefault("nav", NAV.get(template.split(".")[0], "patients"))
    if "zone_name" not in context:
        # Times on a page read in its location's zone (the first location's when the
        # page is not about one), never in the server's UTC.
        location = context.get("location") or getattr(context.get("visit"), "location", None)
        if location is None:
            location = locations().only("time_zone").first()
        context["zone_name"] = location.time_zone if location else "UTC"
    return render(request, f"frontdesk/{template}", context, status=status)


def explain(form: forms.Form, error: DomainError | ValidationError) -> None:
    """Put the service's plain-English reason on the form: on the field it names when
    the form has one, else above the form."""
    if isinstance(error, ValidationError):
        details = error.message_dict if hasattr(error, "error_dict") else {}
        message = "; ".join(error.messages)
    else:
        details = error.details if isinstance(error.details, dict) else {}
        message = error.message
    form.add_error(None, message)
    for name, messages in details.items():
        if name in form.fields and isinstance(messages, list):
            for text in messages:
                if str(text) != message:
                    form.add_error(name, str(text))
