"""The clinic's public booking page, /book/<location>/: free consultation times from the
desk's own availability service, the person's details, then the one-time code (or the
link carrying it) that books the consultation. No login; nothing here says whether the
person is already a patient."""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from phonenumber_field.formfields import PhoneNumberField

from clinic.audit import client_address
from clinic.errors import DomainError
from clinic.models import Location, Provider, Room
from clinic.validators import validate_person_name
from patients.choices import Channel

from ..models import OnlineBooking
from ..reminders.branding import branding_for
from ..services.online_booking import (
    EXPIRED,
    HOLD_MINUTES,
    NOTICE,
    BookingNotMade,
    OnlineDetails,
    TooManyRequests,
    online_booking_confirm,
    online_booking_link_read,
    online_booking_request,
)
from ..tasks import reminders_dispatch
from .online_booking_times import SLOT_SALT, location_public, next_times

logger = logging.getLogger(__name__)



# --- The person's details -------------------------------------------------------------
class DetailsForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=80, validators=[validate_person_name])
    last_name = forms.CharField(label="Last name", max_length=80, validators=[validate_person_name])
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={"invalid": "Enter your date of birth as a date, for example 1990-03-21."},
    )
    email = forms.EmailField(
        label="Email address", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = PhoneNumberField(
        label="Mobile number", required=False, help_text="For the code and reminders by text.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"invalid": "Enter a mobile number we can text, for example 07700 900123."},
    )
    code_channel = forms.ChoiceField(
        label="Send my code by", choices=[(Channel.EMAIL, "Email"), (Channel.SMS, "Text message")],
        widget=forms.RadioSelect, initial=Channel.EMAIL,
    )
    consent_email = forms.BooleanField(label="Email me reminders about my visits", required=False)
    consent_sms = forms.BooleanField(label="Text me reminders about my visits", required=False)

    def typed_fields(self) -> list:
        """The fields typed in, in order; the choices have fieldsets of their own."""
        return [self[name] for name in ("first_name", "last_name", "date_of_birth", "email", "phone")]

    def clean_date_of_birth(self) -> date:
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("Your date of birth cannot be in the future.")
        if born < today.replace(year=today.year - 120):
            raise forms.ValidationError("Please check the year of your date of birth.")
        return born

    def clean(self) -> dict:
        data = super().clean()
        channel = data.get("code_channel")
        if channel == Channel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter your email address so we can send you the code.")
        if channel == Channel.SMS and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Enter your mobile number so we can text you the code.")
        if data.get("consent_email") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter your email address to get reminders by email.")
        if data.get("consent_sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "Enter your mobile number to get reminders by text.")
        return data

    def details(self) -> OnlineDetails:
        data = self.cleaned_data
        return OnlineDetails(
            first_name=data["first_name"].strip(), last_name=data["last_name"].strip(),
            date_of_birth=data["date_of_birth"], email=(data.get("email") or "").strip(),
            phone=str(data.get("phone") or ""), consent_email=data["consent_email"],
            consent_sms=data["consent_sms"], code_channel=data["code_channel"],
        )


@dataclass(frozen=True)
class ChosenTime:
    provider: Provider
    room: Room | None
    starts_at: datetime


def _chosen(location: Location, token: str) -> ChosenTime | None:
    """The time a link on the times page names, or None for a damaged or foreign one."""
    try:
        data = signing.loads(token, salt=SLOT_SALT)
        if data["l"] != location.pk:
            return None
        provider = Provider.objects.filter(pk=data["p"], is_active=True).first()
        room = Room.objects.filter(pk=data["r"], location=location).first() if data.get("r") else None
        starts_at = datetime.fromtimestamp(int(data["s"]), tz=ZoneInfo("UTC"))
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError):
        return None
    return ChosenTime(provider, room, starts_at) if provider else None


def _when(location: Location, moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(location.time_zone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


def _start_dispatch() -> None:
    """Ask the workers to send the code now rather than at the next minute's run."""
    try:
        reminders_dispatch.delay()
    except Exception:  # noqa: BLE001 - the broker is down; beat's next run sends the code
        logger.warning("Could not start the reminder dispatcher; the code goes at its next run")


@never_cache
@require_http_methods(["GET", "POST"])
def booking_details(request: HttpRequest, slug: str) -> HttpResponse:
    """The chosen time and the person's details; sending them holds the time and the code."""
    location = location_public(slug)
    times_url = reverse("online-booking:times", kwargs={"slug": slug})
    chosen = _chosen(location, request.GET.get("time", ""))
    context = {"brand": branding_for(location), "times_url": times_url, "hold_minutes": HOLD_MINUTES, "days": None}
    if chosen is None:
        context["error"] = "That time could not be read. Please choose a time from the list."
        return render(request, "patient/book_details.html", context, status=400)
    if chosen.starts_at < timezone.now() + NOTICE:
        context.update(error="That time has passed. Here are the next free times.",
                       **next_times(location, chosen.starts_at))
        return render(request, "patient/book_details.html", context, status=409)
    context["when"] = _when(location, chosen.starts_at)
    form = DetailsForm(request.POST or None)
    if request.method == "GET" or not form.is_valid():
        context["form"] = form
        return render(request, "patient/book_details.html", context, status=200 if request.method == "GET" else 400)
    try:
        booking = online_booking_request(
            location=location, provider=chosen.provider, room=chosen.room, starts_at=chosen.starts_at,
            details=form.details(), address=client_address(request),
        )
    except TooManyRequests as error:
        context.update(form=form, error=error.message)
        response = render(request, "patient/book_details.html", context, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    except DomainError:
        context.pop("when")
        context.update(error="Sorry, that time has just been taken. Here are the next free times.",
                       **next_times(location, chosen.starts_at))
        return render(request, "patient/book_details.html", context, status=409)
    _start_dispatch()
    return redirect("online-booking:code", slug=slug, booking_id=booking.pk)


# --- The code -------------------------------------------------------------------------
def _booking(location: Location, booking_id) -> OnlineBooking:
    booking = OnlineBooking.objects.filter(pk=booking_id, location=location).first()
    if booking is None:
        raise Http404("This booking page is not valid.")
    return booking


def _code_context(location: Location, booking: OnlineBooking) -> dict:
    sent_to = "to the email address you gave" if booking.code_channel == Channel.EMAIL else "by text to your mobile"
    return {
        "brand": branding_for(location), "times_url": reverse("online-booking:times", kwargs={"slug": location.slug}),
        "when": _when(location, booking.starts_at), "first_name": booking.first_name, "sent_to": sent_to,
        "hold_minutes": HOLD_MINUTES, "booked": booking.status == OnlineBooking.Status.CONFIRMED, "days": None,
    }


def _confirm(request: HttpRequest, location: Location, booking: OnlineBooking, code: str, context: dict):
    try:
        online_booking_confirm(booking_id=booking.pk, code=code)
    except BookingNotMade as error:
        context.update(error=f"{error.message} Here are the next free times.",
                       **next_times(location, booking.starts_at))
        return render(request, "patient/book_code.html", context, status=409)
    except DomainError as error:
        booking.refresh_from_db()
        if booking.status == OnlineBooking.Status.CONFIRMED:
            return redirect("online-booking:code", slug=location.slug, booking_id=booking.pk)
        context["error"] = error.message
        return render(request, "patient/book_code.html", context, status=error.status_code)
    return redirect("online-booking:code", slug=location.slug, booking_id=booking.pk)


def _code_page(request: HttpRequest, location: Location, booking: OnlineBooking, context: dict) -> HttpResponse:
    """The request as it stands: booked, waiting for the code, or ended (with the next times)."""
    failure = booking.failure if booking.status == OnlineBooking.Status.FAILED else ""
    if booking.status == OnlineBooking.Status.PENDING and booking.expires_at <= timezone.now():
        failure = EXPIRED
    if failure:
        context.update(error=f"{failure} Here are the next free times.", **next_times(location, booking.starts_at))
    return render(request, "patient/book_code.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def booking_code(request: HttpRequest, slug: str, booking_id) -> HttpResponse:
    """Where the person types the code; once booked, the booking's confirmation."""
    location = location_public(slug)
    booking = _booking(location, booking_id)
    context = _code_context(location, booking)
    if request.method == "GET" or context["booked"]:
        return _code_page(request, location, booking, context)
    code = "".join(ch for ch in request.POST.get("code", "") if ch.isdigit())
    if len(code) != 6:
        context["error"] = "Enter the 6-digit code from the message we sent you."
        return render(request, "patient/book_code.html", context, status=400)
    return _confirm(request, location, booking, code, context)


@never_cache
@require_http_methods(["GET", "POST"])
def booking_link(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The link in the code's message: one tap on "Confirm" books (a mail scanner that only
    opens the link books nothing)."""
    location = location_public(slug)
    try:
        booking_id, code = online_booking_link_read(token)
    except signing.BadSignature as error:
        raise Http404("This link is not valid.") from error
    booking = _booking(location, booking_id)
    context = {**_code_context(location, booking), "by_link": True}
    if request.method == "GET" or context["booked"]:
        return _code_page(request, location, booking, context)
    return _confirm(request, location, booking, code, context)
