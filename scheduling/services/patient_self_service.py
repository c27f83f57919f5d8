"""What a patient does on their own page besides moving a visit: cancel one, book the
next maintenance visit, claim a waitlist offer, stop maintenance prompts, and ask for a
new link to the page. Each goes through the service the desk uses and is audited as
the patient's (actor "patient", the patient's id in the entry), so the desk sees it."""

from datetime import date, datetime

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, DomainError, InvalidRequest
from clinic.models import Location
from patients.choices import Channel
from patients.models import Patient

from ..models import Appointment, Reminder, TreatmentSeries
from ..patient_home_links import ACTOR
from .booking import location_lock
from .maintenance import maintenance_book, maintenance_propose
from .visits import appointment_cancel
from .waitlist_offers import waitlist_offer_claim

CANCEL_REASON = "Cancelled by the patient from their own page."


class TooManyRequests(DomainError):
    status_code = 429


def _audit(patient: Patient, action: str, **changes) -> None:
    audit_record(actor=None, actor_label=ACTOR, action=action, obj=patient, changes={"patient": patient.pk, **changes})


def visit_cancel_by_patient(*, patient: Patient, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel the patient's own visit; inside the notice period it is flagged late, as
    the clinic's policy says (the cancellation service decides)."""
    if appointment.patient_id != patient.pk:
        raise InvalidRequest("This visit is not yours to cancel.")
    with transaction.atomic():
        cancelled = appointment_cancel(
            appointment=appointment, reason=(reason or "").replace("\x00", "").strip()[:300] or CANCEL_REASON,
            actor_label=ACTOR, by_patient=True,
        )
        _audit(patient, "patient_cancelled_visit", visit=cancelled.pk, late=cancelled.late_cancellation)
    return cancelled


def maintenance_series(patient: Patient) -> TreatmentSeries | None:
    """The series a maintenance visit would follow: the latest completed one, while no
    maintenance visit is booked ahead."""
    if Appointment.objects.filter(
        patient=patient, kind=Appointment.Kind.MAINTENANCE, status__in=Appointment.OPEN_STATUSES,
        starts_at__gt=timezone.now(),
    ).exists():
        return None
    return (
        TreatmentSeries.objects.select_related("location", "protocol", "consultation")
        .filter(patient=patient, status=TreatmentSeries.Status.COMPLETED)
        .order_by("-created_at")
        .first()
    )


def maintenance_book_by_patient(*, patient: Patient, series: TreatmentSeries, starts_at: datetime) -> Appointment:
    """Book the maintenance visit the patient chose from the times proposed; if that time
    has gone since, say so (the page then shows the times free now)."""
    if series.patient_id != patient.pk:
        raise InvalidRequest("This treatment plan is not yours.")
    result = maintenance_propose(series=series, count=1, alternatives=3)
    plan = next((p for p in result.plans if p.visits and p.visits[0].start == starts_at), None)
    if plan is None:
        raise Conflict("Sorry, that time has just been taken. Please choose another.")
    with transaction.atomic():
        # Under the location's booking lock, asked again: two tabs booking at once find
        # their times before either books, and only the first may.
        location_lock(series.location)
        if maintenance_series(patient) is None:
            raise Conflict("You have already booked your next maintenance visit. You can see it on your page.")
        [visit] = maintenance_book(series=series, plan=plan)
        _audit(patient, "patient_booked_maintenance", visit=visit.pk, starts_at=visit.starts_at)
    return visit


def offer_claim_by_patient(*, patient: Patient, reminder_id: int) -> Appointment:
    """Claim a waitlist offer made to this patient: the first claim wins, as from the
    offer's own link."""
    if not Reminder.objects.filter(pk=reminder_id, patient=patient, kind=Reminder.Kind.WAITLIST_OFFER).exists():
        raise InvalidRequest("This offer is not available.")
    visit = waitlist_offer_claim(reminder_id=reminder_id)
    _audit(patient, "patient_claimed_offer", visit=visit.pk, starts_at=visit.starts_at)
    return visit


def maintenance_prompts_stop(*, patient: Patient) -> bool:
    """No more maintenance prompts for this patient (the ones waiting are withdrawn);
    False when they had already asked."""
    now = timezone.now()
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.maintenance_prompts_stopped_at is not None:
            return False
        locked.maintenance_prompts_stopped_at = now
        locked.save(update_fields=["maintenance_prompts_stopped_at", "updated_at"])
        withdrawn = Reminder.objects.filter(
            patient=locked, kind=Reminder.Kind.MAINTENANCE, status=Reminder.Status.PENDING
        ).update(status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now)
        _audit(locked, "patient_stopped_maintenance_prompts", withdrawn=withdrawn)
    patient.maintenance_prompts_stopped_at = now
    return True


# --- "Send me my link" -------------------------------------------------------------------
def _count(key: str) -> int:
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return 1


def link_request_throttle(*, address: str | None, contact: str) -> None:
    """At most PATIENT_LINK_REQUESTS_PER_HOUR from one address and for one contact, counted
    whether or not the contact is a patient's, so the limit reveals nothing either."""
    limit = settings.PATIENT_LINK_REQUESTS_PER_HOUR
    counts = [_count(f"my-link:contact:{contact.lower()}")]
    if address:
        counts.append(_count(f"my-link:address:{address}"))
    if max(counts) > limit:
        raise TooManyRequests("You have asked for a link too many times. Please try again in an hour, or call us.")


def contact_normalised(raw: str) -> tuple[str, str]:
    """(channel, contact) for what the patient typed: an email address or a phone number."""
    value = (raw or "").strip()
    if "\x00" in value:  # no column stores a NUL: the query itself would fail
        raise InvalidRequest("Please enter your email address or your phone number.")
    if "@" in value:
        return Channel.EMAIL, value.lower()
    try:
        number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    # Possible rather than valid: the numbers set aside for examples are not "valid".
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidRequest("Please enter your email address or your phone number.")
    return Channel.SMS, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _patient_location(patient: Patient) -> Location | None:
    visit = Appointment.objects.filter(patient=patient).order_by("-starts_at").values("location_id").first()
    return Location.objects.filter(pk=visit["location_id"]).first() if visit else None


def patient_link_request(
    *, contact: str, date_of_birth: date, address: str | None = None, now: datetime | None = None
) -> int:
    """Send a new link to their page to each patient with this email or phone and date of
    birth, by the channel they typed; every older link stops working. Returns how many
    were sent, which the page never shows: it answers the same either way."""
    now = now or timezone.now()
    channel, value = contact_normalised(contact)
    link_request_throttle(address=address, contact=value)
    match = Q(email__iexact=value) if channel == Channel.EMAIL else Q(phone=value)
    sent = 0
    with transaction.atomic():
        for patient in Patient.objects.select_for_update().filter(match, date_of_birth=date_of_birth):
            patient_link_send(patient=patient, channel=channel, now=now)
            sent += 1
    return sent


def patient_link_send(*, patient: Patient, channel: str, now: datetime, by=None) -> Reminder:
    """Retire the patient's older page links and queue a new one by this channel."""
    with transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(link_version=F("link_version") + 1, updated_at=now)
        patient.refresh_from_db(fields=["link_version"])
        location = _patient_location(patient)
        reminder = Reminder.objects.create(
            key=f"patient_link:{patient.pk}:{patient.link_version}", kind=Reminder.Kind.PATIENT_LINK,
            channel=channel, patient=patient, due_at=now,
            payload={"location": location.pk if location else None,
                     "link_days": settings.PATIENT_HOME_MAX_AGE_DAYS},
        )
        audit_record(actor=by, actor_label="" if by else ACTOR, action="patient_link_sent", obj=patient,
                     changes={"patient": patient.pk, "channel": channel, "link_version": patient.link_version})
    return reminder
