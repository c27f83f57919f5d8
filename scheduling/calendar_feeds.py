"""iCalendar feeds: each provider's diary and each patient's visits, at a secret address.

The address holds a random token kept on the provider or patient; rotating it retires
the old address at once (a phone that leaked it stops updating)."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import Provider
from patients.models import Patient

from .ical import CalendarEvent, calendar_build
from .models import Appointment

PAST_DAYS = 30
FUTURE_DAYS = 400
PRODUCT = "-//Needlepoint//Clinic diary//EN"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def calendar_token_rotate(*, owner: Patient | Provider, rotated_by=None) -> str:
    """A new secret for the owner's feed; the old address stops working."""
    owner = type(owner).objects.select_for_update().get(pk=owner.pk)
    owner.calendar_token = _new_token()
    owner.save(update_fields=["calendar_token"])
    audit_record(actor=rotated_by, action="calendar_token_rotated", obj=owner)
    return owner.calendar_token


def calendar_token_ensure(*, owner: Patient | Provider, rotated_by=None) -> str:
    """The owner's feed secret, made on first use."""
    if owner.calendar_token:
        return owner.calendar_token
    # Only the first caller sets it; a concurrent second one reads the winner's token.
    type(owner).objects.filter(pk=owner.pk, calendar_token__isnull=True).update(calendar_token=_new_token())
    owner.refresh_from_db(fields=["calendar_token"])
    return owner.calendar_token


def _visits():
    now = timezone.now()
    return (
        Appointment.objects.filter(
            status__in=Appointment.ACTIVE_STATUSES,
            starts_at__gte=now - timedelta(days=PAST_DAYS),
            starts_at__lt=now + timedelta(days=FUTURE_DAYS),
        )
        .select_related("location", "room", "patient")
        .order_by("starts_at")
    )


def _title(appointment: Appointment) -> str:
    label = appointment.get_kind_display()
    if appointment.session_number and appointment.kind == Appointment.Kind.SESSION:
        label = f"{label} {appointment.session_number}"
    return label


def _event(appointment: Appointment, *, summary: str, start, end, where: str) -> CalendarEvent:
    return CalendarEvent(
        uid=f"appointment-{appointment.pk}@needlepoint",
        stamp=appointment.updated_at,
        starts_at=start,
        ends_at=end,
        summary=summary,
        location=where,
        status="CONFIRMED" if appointment.status != Appointment.Status.BOOKED else "TENTATIVE",
    )


def provider_feed(*, token: str) -> bytes | None:
    """The provider's own time with patients (numbing time, when they are free, left out).
    Patients appear by first name and initial: enough to recognise, little to leak."""
    provider = Provider.objects.filter(calendar_token=token, is_active=True).first() if token else None
    if provider is None:
        return None
    events = []
    for visit in _visits().filter(provider=provider):
        who = f"{visit.patient.first_name} {visit.patient.last_name[:1]}."
        where = ", ".join(filter(None, [visit.room.name if visit.room else "Phone", visit.location.name]))
        events.append(
            _event(
                visit,
                summary=f"{_title(visit)}: {who}",
                start=visit.provider_starts_at,
                end=visit.provider_ends_at,
                where=where,
            )
        )
    return calendar_build(product=PRODUCT, name=f"{provider.display_name}: Needlepoint", events=events)


def patient_feed(*, token: str) -> bytes | None:
    """The patient's visits: when and where, from arrival (numbing included) to leaving."""
    patient = Patient.objects.filter(calendar_token=token).first() if token else None
    if patient is None:
        return None
    events = []
    for visit in _visits().filter(patient=patient):
        where = ", ".join(filter(None, [visit.location.name, visit.location.address.replace("\n", ", ")]))
        events.append(
            _event(
                visit,
                summary=f"{_title(visit)} at {visit.location.name}",
                start=visit.starts_at,
                end=visit.ends_at,
                where=where,
            )
        )
    return calendar_build(product=PRODUCT, name="My visits", events=events)
