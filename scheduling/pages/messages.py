"""The pages a patient reaches from a message: the message itself (the link an SMS
carries, so a text needs no detail), the unsubscribe page and a waitlist offer's claim
page. Every one shows the clinic's name, address, phone and opening hours."""

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clinic.errors import DomainError
from clinic.models import Location
from patients.choices import Channel
from patients.models import Patient

from ..models import Appointment, MessageTemplate, Reminder, TreatmentSeries
from ..reminders.branding import branding_for
from ..reminders.dispatch import SEND_RELATED
from ..reminders.opt_out import reminders_opt_out
from ..reminders.reach import patient_zone
from ..reminders.rendering import local_time_text, reminder_location, reminder_render
from ..reminders.selectors import message_visits
from ..reminders.tokens import (
    expired_token_reminder_id,
    message_token_read,
    unsubscribe_token_read,
    waitlist_claim_token_read,
)
from ..services.waitlist_offers import waitlist_offer_claim

EXPIRED = "This message has expired. Please call the clinic if you need anything."
NO_LONGER_BOOKED = "The visits this message listed are no longer booked. Please call the clinic to book again."
ALL_TAKEN_PLACE = "The visits this message listed have all taken place. Please call the clinic if you need anything."


def _reminder(token: str, read) -> Reminder | str:
    """The message a token names, or the words to show instead."""
    try:
        reminder_id = read(token)
    except signing.SignatureExpired:
        return EXPIRED
    except signing.BadSignature as error:
        raise Http404("This link is not valid.") from error
    reminder = Reminder.objects.select_related(*SEND_RELATED).filter(pk=reminder_id).first()
    if reminder is None:
        raise Http404("This message is no longer available.")
    return reminder


def _expired_brand(token: str):
    """An expired page still names the clinic and its number: it tells the patient to call."""
    reminder_id = expired_token_reminder_id(token)
    reminder = Reminder.objects.select_related(*SEND_RELATED).filter(pk=reminder_id).first() if reminder_id else None
    return branding_for(reminder_location(reminder)) if reminder else None


@never_cache
@require_http_methods(["GET"])
def reminder_message(request: HttpRequest, token: str) -> HttpResponse:
    reminder = _reminder(token, message_token_read)
    if isinstance(reminder, str):
        context = {"error": reminder, "brand": _expired_brand(token)}
        return render(request, "reminders/message.html", context, status=410)
    if reminder.patient_id is None:
        # An online booking's code has its own page (the link in it); it has no message page.
        raise Http404("This message is no longer available.")
    template = MessageTemplate.objects.filter(kind=reminder.kind).first()
    if template is None:
        raise Http404("This message is no longer available.")
    visits = message_visits(reminder)
    brand = branding_for(reminder_location(reminder))
    if reminder.kind == Reminder.Kind.SERIES_CONFIRMATION and not visits:
        # The page lists the series' open visits as they are now: with none left it
        # would read "your visits are booked:" above an empty list.
        cancelled = reminder.series.status == TreatmentSeries.Status.CANCELLED
        error = NO_LONGER_BOOKED if cancelled else ALL_TAKEN_PLACE
        return render(request, "reminders/message.html", {"error": error, "brand": brand}, status=410)
    rendered = reminder_render(reminder, template, now=timezone.now(), series_visits=visits)
    return render(request, "reminders/message.html", {"rendered": rendered, "brand": brand})


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_offer_page(request: HttpRequest, token: str) -> HttpResponse:
    """The slot a waitlist offer names, and "Book this slot": the first claim wins."""
    reminder = _reminder(token, waitlist_claim_token_read)
    if isinstance(reminder, str):
        context = {"error": reminder, "brand": _expired_brand(token)}
        return render(request, "reminders/offer.html", context, status=410)
    patient = reminder.patient
    freed = Appointment.objects.filter(pk=reminder.payload.get("freed_appointment")).first()
    context = {
        "brand": branding_for(reminder_location(reminder)),
        "first_name": patient.first_name,
        "visit": freed.get_kind_display().lower() if freed else "visit",
        "time": local_time_text(reminder.visit_starts_at, patient_zone(patient)) if reminder.visit_starts_at else "",
    }
    if request.method == "POST":
        try:
            waitlist_offer_claim(reminder_id=reminder.pk)
        except DomainError as error:
            return render(request, "reminders/offer.html", {**context, "error": error.message}, status=409)
        context["booked"] = True
    return render(request, "reminders/offer.html", context)


def _patient_location(patient: Patient) -> Location | None:
    """The clinic a patient knows: where their latest visit was, else the only one."""
    visit = Appointment.objects.filter(patient=patient).select_related("location").order_by("-starts_at").first()
    if visit is not None:
        return visit.location
    return Location.objects.filter(is_active=True).first()


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
    context = {"patient": patient, "channel": channel, "done": False, "brand": branding_for(_patient_location(patient))}
    if request.method == "GET":
        return render(request, "reminders/unsubscribe.html", context)
    scope = request.POST.get("scope", channel)
    channels = list(Channel.values) if scope == "all" else [channel]
    reminders_opt_out(patient=patient, channels=channels)
    return render(request, "reminders/unsubscribe.html", {**context, "done": True, "scope": scope})
