"""Booking a consultation on the clinic's public page: hold the chosen time for ten
minutes, send a one-time code (and a link carrying it) to the email or phone given, and
book the consultation when the code comes back.

Nobody is looked up and no patient row is written until the code is entered, so the
answers before that are the same for a stranger and for a patient on record; at the
code, the person is linked to the patient with the same email or phone and the same date
of birth, or registered as new. Holds and bookings take the location's lock like the
desk's, and the booking goes through `consultation_book`, the desk's own write path."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, DomainError, InvalidRequest
from clinic.models import Location, Provider, Room
from patients.choices import Channel
from patients.models import Patient
from patients.services import patient_create

from ..models import Appointment, HeldVisit, OnlineBooking, Reminder, SeriesHold
from ..reminders.booking_codes import LINK_SALT, online_booking_code
from ..selectors import protocol_active
from .availability import availability_slot_at
from .booking import held_conflicts, location_lock, visit_spec
from .consultations import consultation_book

ACTOR = "patient online"
HOLD_MINUTES = 10
# Online, a consultation is booked at least this far ahead: sooner, the clinic needs a call.
NOTICE = timedelta(hours=1)
MAX_CODE_ATTEMPTS = 5
# Requests (each holds a time and sends a code) per client address and per email or phone.
THROTTLE_WINDOW = timedelta(hours=1)
MAX_PER_ADDRESS = getattr(settings, "ONLINE_BOOKING_MAX_PER_ADDRESS", 10)
MAX_PER_CONTACT = getattr(settings, "ONLINE_BOOKING_MAX_PER_CONTACT", 3)

EXPIRED = "The ten minutes we kept this time for you have passed, so it was not booked."
TAKEN = "Sorry, that time was taken by someone else meanwhile, so it was not booked."
TOO_MANY_CODES = "The code was entered wrongly too many times, so the time was released."
# Shown only after the code came back, and only when the code went to the record's own email
# or phone (`_proved`): before that, and to anyone else, the request reads as a stranger's.
ALREADY_SEEN = (
    "You already have a visit with us at that time, so we did not book a second one. "
    "Please choose another time, or call us to change your visit."
)
ALREADY_BOOKED = "This consultation is already booked; the code cannot be used again."


class TooManyRequests(DomainError):
    """Too many requests from one address or for one contact; `retry_after` in seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BookingNotMade(Conflict):
    """The request ended without a booking (expired, taken, too many wrong codes): the
    page offers the next free times."""


@dataclass(frozen=True)
class OnlineDetails:
    """What the person typed on the public page."""

    first_name: str
    last_name: str
    date_of_birth: date
    email: str
    phone: str
    consent_email: bool
    consent_sms: bool
    code_channel: str


def contact_key(value: str) -> str:
    """A digest of an email address or phone number: the throttle counts by it without
    keeping a second copy of the contact."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def _code_digest(booking_id, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{booking_id}:{code}".encode(), hashlib.sha256).hexdigest()


def online_booking_link_read(token: str) -> tuple[str, str]:
    """(booking id, code); signing.BadSignature for a forged or damaged token. The
    booking's own expiry and single use decide the rest."""
    data = signing.loads(token, salt=LINK_SALT, max_age=timedelta(days=1))
    return str(data["b"]), str(data["c"])


def _retry_after(rows, now: datetime) -> int:
    oldest = rows.order_by("created_at").values_list("created_at", flat=True).first()
    return max(1, int((oldest + THROTTLE_WINDOW - now).total_seconds()) + 1) if oldest else 60


def online_booking_throttle(*, address: str | None, contact: str, now: datetime) -> None:
    """TooManyRequests when this address, or this email or phone, asked too often in the
    last hour. Counted from the requests themselves, so every server process agrees."""
    since = now - THROTTLE_WINDOW
    recent = OnlineBooking.objects.filter(created_at__gt=since)
    if address:
        by_address = recent.filter(client_address=address)
        if by_address.count() >= MAX_PER_ADDRESS:
            raise TooManyRequests(
                "There have been too many booking requests from your connection. Please try again later "
                "or call the clinic.", retry_after=_retry_after(by_address, now),
            )
    by_contact = recent.filter(contact_key=contact_key(contact))
    if by_contact.count() >= MAX_PER_CONTACT:
        raise TooManyRequests(
            "We have already sent several codes to that address or number. Please try again later "
            "or call the clinic.", retry_after=_retry_after(by_contact, now),
        )


def _details_check(details: OnlineDetails, location: Location) -> None:
    """The details as a patient record would hold them, checked now: the code must not
    come back to details that cannot be registered."""
    candidate = Patient(
        first_name=details.first_name, last_name=details.last_name, date_of_birth=details.date_of_birth,
        email=details.email, phone=details.phone, preferred_channel=details.code_channel,
        consent_email=details.consent_email, consent_sms=details.consent_sms, time_zone=location.time_zone,
    )
    try:
        candidate.full_clean(exclude=["calendar_token"], validate_constraints=False)
    except ValidationError as error:
        first = next(iter(error.message_dict.values()))[0]
        raise InvalidRequest(f"Please check your details: {first}", details=error.message_dict) from error


def _contact_for(details: OnlineDetails) -> str:
    contact = details.email if details.code_channel == Channel.EMAIL else details.phone
    if not contact:
        what = "an email address" if details.code_channel == Channel.EMAIL else "a mobile number"
        raise InvalidRequest(f"To send the code there, we need {what}.")
    return contact


def _same_request_waiting(
    *, location: Location, starts_at: datetime, details: OnlineDetails, address: str | None, contact: str,
    now: datetime,
) -> OnlineBooking | None:
    """The request these very details made moments ago from the same connection and still
    waiting for its code: a second tap on "Send me a code" leads back to it, instead of
    being told its own time was taken (and sends no second code)."""
    return OnlineBooking.objects.filter(
        location=location, starts_at=starts_at, status=OnlineBooking.Status.PENDING, expires_at__gt=now,
        client_address=address, contact_key=contact_key(contact), code_channel=details.code_channel,
        first_name=details.first_name, last_name=details.last_name, date_of_birth=details.date_of_birth,
        email=details.email, phone=details.phone,
    ).first()


@transaction.atomic
def online_booking_request(
    *,
    location: Location,
    provider: Provider,
    room: Room | None,
    starts_at: datetime,
    details: OnlineDetails,
    address: str | None,
) -> OnlineBooking:
    """Hold a consultation time for ten minutes and queue the one-time code (sent at once,
    whatever the hour: the person is waiting for it). Looks up no patient."""
    now = timezone.now()
    if starts_at < now + NOTICE:
        raise Conflict("Online we book times from an hour ahead. For a sooner time, please call us.")
    contact = _contact_for(details)
    _details_check(details, location)
    location_lock(location)
    again = _same_request_waiting(location=location, starts_at=starts_at, details=details, address=address,
                                  contact=contact, now=now)
    if again is not None:
        return again
    online_booking_throttle(address=address, contact=contact, now=now)
    protocol = protocol_active()
    visit = visit_spec(availability_slot_at(
        location=location, kind=Appointment.Kind.CONSULTATION, starts_at=starts_at, provider=provider, room=room,
        patient=None, protocol=protocol,
    ))
    if held_conflicts(visits=[visit], now=now):
        raise Conflict(TAKEN)
    expires_at = now + timedelta(minutes=HOLD_MINUTES)
    hold = SeriesHold.objects.create(
        location=location, patient=None, protocol=protocol, purpose="online", expires_at=expires_at
    )
    HeldVisit.objects.create(
        hold=hold, kind=visit.kind, provider_id=visit.provider_id, room_id=visit.room_id, starts_at=visit.starts_at,
        provider_starts_at=visit.provider_starts_at, provider_ends_at=visit.provider_ends_at,
        ends_at=visit.ends_at, room_ends_at=visit.room_ends_at,
    )
    booking = OnlineBooking(
        location=location, hold=hold, starts_at=visit.starts_at, first_name=details.first_name,
        last_name=details.last_name, date_of_birth=details.date_of_birth, email=details.email,
        phone=details.phone, consent_email=details.consent_email, consent_sms=details.consent_sms,
        code_channel=details.code_channel, expires_at=expires_at, client_address=address,
        contact_key=contact_key(contact),
    )
    booking.code_hash = _code_digest(booking.id, online_booking_code(booking.id))
    booking.save()
    Reminder.objects.create(
        key=f"booking_code:{booking.id}", kind=Reminder.Kind.BOOKING_CODE, channel=details.code_channel,
        online_booking=booking, due_at=now, visit_starts_at=visit.starts_at,
        payload={"minutes": HOLD_MINUTES},
    )
    audit_record(actor=None, actor_label=ACTOR, action="held", obj=hold, changes={
        "starts_at": visit.starts_at, "provider": visit.provider_id, "online_booking": str(booking.pk),
    })
    return booking


def _patient_on_record(booking: OnlineBooking) -> Patient | None:
    """The patient with the same date of birth and the same email or phone, the longest
    known first: a returning patient is never registered twice."""
    same_contact = Q()
    if booking.email:
        same_contact |= Q(email__iexact=booking.email)
    if booking.phone:
        same_contact |= Q(phone=str(booking.phone))
    return (
        Patient.objects.filter(same_contact, date_of_birth=booking.date_of_birth)
        .order_by("created_at", "pk").first()
    )


def _patient_for(booking: OnlineBooking) -> Patient:
    patient = _patient_on_record(booking)
    if patient is not None:
        return patient
    return patient_create(
        created_by=None, created_as=ACTOR, first_name=booking.first_name, last_name=booking.last_name,
        date_of_birth=booking.date_of_birth, email=booking.email, phone=str(booking.phone or ""),
        preferred_channel=booking.code_channel, consent_email=booking.consent_email,
        consent_sms=booking.consent_sms, time_zone=booking.location.time_zone,
    )


def _end(booking: OnlineBooking, failure: str, *, now: datetime) -> BookingNotMade:
    """The request closes without a booking; its time is released at once."""
    booking.status = OnlineBooking.Status.FAILED
    booking.failure = failure
    booking.save(update_fields=["status", "failure"])
    if booking.hold_id:
        # Held, or marked confirmed by a booking that then clashed: either way nothing was booked.
        SeriesHold.objects.filter(
            pk=booking.hold_id, status__in=[SeriesHold.Status.HELD, SeriesHold.Status.CONFIRMED]
        ).update(
            status=SeriesHold.Status.RELEASED
        )
    Reminder.objects.filter(online_booking=booking, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, cancelled_at=now, last_error=failure, updated_at=now
    )
    audit_record(actor=None, actor_label=ACTOR, action="not_booked", obj=booking, changes={"why": failure})
    return BookingNotMade(failure)


def _proved(booking: OnlineBooking, patient: Patient) -> bool:
    """Whether the contact the code went to (and came back from) is the record's own: only
    then may the answer speak of the record's visits. A record matched by the other,
    unproved contact is told nothing more than a stranger."""
    if booking.code_channel == Channel.EMAIL:
        return bool(patient.email) and patient.email.lower() == booking.email.lower()
    return bool(patient.phone) and str(patient.phone) == str(booking.phone)


def _own_visit_in_the_way(booking: OnlineBooking, held: HeldVisit) -> bool:
    """Whether the time is still free for anyone but the patient on record, whose own
    visit then is what stands in the way (rather than someone else's booking)."""
    patient = _patient_on_record(booking)
    if patient is None or not _proved(booking, patient):
        return False
    try:
        availability_slot_at(
            location=booking.location, kind=Appointment.Kind.CONSULTATION, starts_at=held.starts_at,
            provider=held.provider, room=held.room, patient=None, protocol=protocol_active(),
        )
    except (Conflict, InvalidRequest):
        return False
    return True


def _book(booking: OnlineBooking, *, now: datetime) -> DomainError | None:
    """Book the held time for the patient the request names; the hold stops counting as
    busy first, as a confirmed hold does. On a clash nothing of it is kept."""
    SeriesHold.objects.filter(pk=booking.hold_id).update(status=SeriesHold.Status.CONFIRMED)
    held = HeldVisit.objects.get(hold_id=booking.hold_id)
    try:
        with transaction.atomic():
            patient = _patient_for(booking)
            appointment = consultation_book(
                patient=patient, location=booking.location, provider=held.provider, starts_at=held.starts_at,
                room=held.room, booked_as=ACTOR,
            )
    except (Conflict, InvalidRequest):
        return _end(booking, ALREADY_SEEN if _own_visit_in_the_way(booking, held) else TAKEN, now=now)
    booking.status = OnlineBooking.Status.CONFIRMED
    booking.patient = patient
    booking.appointment = appointment
    booking.confirmed_at = now
    booking.save(update_fields=["status", "patient", "appointment", "confirmed_at"])
    audit_record(actor=None, actor_label=ACTOR, action="confirmed", obj=booking,
                 changes={"appointment": appointment.pk})
    return None


def online_booking_confirm(*, booking_id, code: str) -> OnlineBooking:
    """Book the held consultation if `code` is the one sent and the hold has not expired.
    A code works once; MAX_CODE_ATTEMPTS wrong ones release the time. A refusal that ends
    the request is written before it is raised, so it stands."""
    now = timezone.now()
    problem: DomainError | None = None
    with transaction.atomic():
        booking = OnlineBooking.objects.select_related("location").filter(pk=booking_id).first()
        if booking is None:
            raise InvalidRequest("This booking link is not valid.")
        location_lock(booking.location)
        booking = OnlineBooking.objects.select_for_update().select_related("location").get(pk=booking.pk)
        if booking.status == OnlineBooking.Status.CONFIRMED:
            raise Conflict(ALREADY_BOOKED)
        if booking.status == OnlineBooking.Status.FAILED:
            raise BookingNotMade(booking.failure)
        if now >= booking.expires_at:
            problem = _end(booking, EXPIRED, now=now)
        elif not hmac.compare_digest(_code_digest(booking.id, code.strip()), booking.code_hash):
            booking.attempts += 1
            booking.save(update_fields=["attempts"])
            left = MAX_CODE_ATTEMPTS - booking.attempts
            if left <= 0:
                problem = _end(booking, TOO_MANY_CODES, now=now)
            else:
                tries = "1 more try" if left == 1 else f"{left} more tries"
                problem = InvalidRequest(f"That code is not the one we sent. You have {tries}.")
        else:
            problem = _book(booking, now=now)
    if problem is not None:
        raise problem
    return booking
