"""The health questions page a patient opens from their consultation's confirmation:
/intake/<token>/. Editable until the consultation starts, read-only for a day after."""

from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.audit import audit_address_set, client_address
from clinic.errors import DomainError
from clinic.models import Location
from patients.intake import answer_words

from ..reminders.branding import branding_for
from ..reminders.rendering import local_time_text
from ..services.intake import intake_answers, intake_questions, intake_save
from ..task_links import intake_link_read

ERROR_TEMPLATE = "patient/intake.html"


def _rows(questions, values: dict[str, str], errors: dict[str, list[str]]) -> list[dict]:
    return [
        {"question": q, "value": values.get(q.key, ""), "words": answer_words(q, values.get(q.key, "")),
         "error": (errors.get(q.key) or [""])[0]}
        for q in questions
    ]


@never_cache
@require_http_methods(["GET", "POST"])
def intake_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = intake_link_read(token)
    except DomainError as error:
        location = Location.objects.filter(pk=getattr(error, "location_id", None) or 0).first()
        context = {"error": error.message, "brand": branding_for(location) if location else None}
        return render(request, ERROR_TEMPLATE, context, status=error.status_code)
    visit = link.visit
    questions = intake_questions()
    intake = getattr(link.consultation, "intake", None)
    values = {answer.question.key: answer.answer for answer in intake_answers(intake)}
    errors: dict[str, list[str]] = {}
    message, status = "", 200
    editable = link.editable
    if request.method == "POST":
        posted = {q.key: request.POST.get(q.key, "")[:4000] for q in questions}
        if not editable:
            message, status = "Your consultation has started, so the answers can no longer be changed.", 409
        else:
            try:
                with audit_address_set(client_address(request)):
                    intake = intake_save(visit=visit, answers=posted)
            except DomainError as error:
                message, status = error.message, error.status_code
                errors = error.details if isinstance(error.details, dict) else {}
                values = posted
                editable = status != 409
            else:
                message = "Thank you: your answers are with the clinic. You can change them until your consultation."
                values = {answer.question.key: answer.answer for answer in intake_answers(intake)}
    context = {
        "brand": branding_for(visit.location),
        "first_name": visit.patient.first_name,
        "time": local_time_text(visit.starts_at, ZoneInfo(visit.location.time_zone)),
        "rows": _rows(questions, values, errors),
        "editable": editable,
        "sent": intake is not None,
        "message": message,
        "failed": bool(errors) or status >= 400,
        "today": timezone.now().astimezone(ZoneInfo(visit.location.time_zone)).date().isoformat(),
    }
    return render(request, "patient/intake.html", context, status=status)
