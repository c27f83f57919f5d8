"""The two pages a patient reaches from a message: the message itself (the link an SMS
carries, so a text needs no detail) and the unsubscribe page."""

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patients.choices import Channel
from patients.models import Patient

from ..models import MessageTemplate, Reminder
from ..reminders.dispatch import SEND_RELATED
from ..reminders.opt_out import reminders_opt_out
from ..reminders.rendering import reminder_render
from ..reminders.selectors import series_visits_upcoming
from ..reminders.tokens import message_token_read, unsubscribe_token_read


@never_cache
@require_http_methods(["GET"])
def reminder_message(request: HttpRequest, token: str) -> HttpResponse:
    try:
        reminder_id = message_token_read(token)
    except signing.BadSignature as error:
        raise Http404("This link is not valid.") from error
    # Everything the message's words are written from, as the dispatcher reads it.
    reminder = Reminder.objects.select_related(*SEND_RELATED).filter(pk=reminder_id).first()
    template = MessageTemplate.objects.filter(kind=reminder.kind).first() if reminder else None
    if reminder is None or template is None:
        raise Http404("This message is no longer available.")
    visits = (
        series_visits_upcoming(series_id=reminder.series_id)
        if reminder.kind == Reminder.Kind.SERIES_CONFIRMATION
        else None
    )
    rendered = reminder_render(reminder, template, now=timezone.now(), series_visits=visits)
    return render(request, "reminders/message.html", {"rendered": rendered})


# Mail clients post here without a CSRF token for one-click unsubscribe (RFC 8058); the
# signed token is what proves the link came from us.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def reminder_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        patient_id, channel = unsubscribe_token_read(token)
    except signing.BadSignature as error:
        raise Http404("This link is not valid.") from error
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        raise Http404("This link is not valid.")
    if request.method == "GET":
        return render(request, "reminders/unsubscribe.html", {"patient": patient, "channel": channel, "done": False})
    scope = request.POST.get("scope", channel)
    channels = list(Channel.values) if scope == "all" else [channel]
    reminders_opt_out(patient=patient, channels=channels)
    return render(
        request, "reminders/unsubscribe.html", {"patient": patient, "channel": channel, "done": True, "scope": scope}
    )
