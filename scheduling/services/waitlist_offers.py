"""Booking the slot a waitlist offer named, for the patient it was offered to."""

from datetime import datetime

from django.db import transaction

from clinic.errors import InvalidRequest
from clinic.models import Provider

from ..models import Appointment, Reminder, WaitlistEntry
from ..waitlist import waitlist_entry_mark_booked
from .consultations import consultation_book


def waitlist_offer_latest(entry: WaitlistEntry) -> Reminder | None:
    return entry.reminders.filter(kind=Reminder.Kind.WAITLIST_OFFER).order_by("-created_at", "-pk").first()


def waitlist_offer_book(*, entry: WaitlistEntry, booked_by=None) -> Appointment:
    """Book the slot last offered to this entry's patient and mark the entry booked, or
    explain why not (no offer, a kind the desk books from the patient's page, the slot
    taken meanwhile: the booking's own conflict)."""
    offer = waitlist_offer_latest(entry)
    if offer is None or entry.status != WaitlistEntry.Status.OFFERED:
        raise InvalidRequest("No slot has been offered to this patient yet; book from their page instead.")
    if entry.kind != Appointment.Kind.CONSULTATION:
        kind = dict(Appointment.Kind.choices).get(entry.kind, entry.kind).lower()
        raise InvalidRequest(f"A {kind} is booked from the patient's page, where its series and areas are known.")
    starts_at = datetime.fromisoformat(offer.payload["provider_starts_at"])
    provider = Provider.objects.get(pk=offer.payload["provider_id"])
    with transaction.atomic():
        appointment = consultation_book(patient=entry.patient, location=entry.location, provider=provider,
                                        starts_at=starts_at, booked_by=booked_by)
        waitlist_entry_mark_booked(entry=entry, appointment=appointment, booked_by=booked_by)
    return appointment
