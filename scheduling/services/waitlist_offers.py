"""Claiming a waitlist offer: the patient from the offer's link, or the desk on their
behalf. The first claim books the slot through the one write path (booking.py); a later
one is told it has gone."""

from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, DomainError, InvalidRequest
from clinic.models import Location
from patients.models import Patient

from ..models import Appointment, Reminder, WaitlistEntry
from .booking import VisitSpec, location_lock, visits_book
from .consultations import consultation_book


def waitlist_offer_latest(entry: WaitlistEntry) -> Reminder | None:
    return entry.reminders.filter(kind=Reminder.Kind.WAITLIST_OFFER).order_by("-created_at", "-pk").first()


def waitlist_offer_book(*, entry: WaitlistEntry, booked_by=None) -> Appointment:
    """Claim the slot last offered to this entry's patient on their behalf, or explain why
    not (no offer yet; the slot taken, passed or withdrawn: the claim's own refusal)."""
    offer = waitlist_offer_latest(entry)
    if offer is None or entry.status != WaitlistEntry.Status.OFFERED:
        raise InvalidRequest("No slot has been offered to this patient yet; book from their page instead.")
    with transaction.atomic():
        visit = waitlist_offer_claim(reminder_id=offer.pk)
        audit_record(actor=booked_by, action="waitlist_booked", obj=entry,
                     changes={"status": [WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.BOOKED],
                              "appointment": visit.pk})
    return visit


class OfferGone(DomainError):
    """The offered slot was taken by someone else first, has passed, or was withdrawn."""

    status_code = 409


def _offer_locked(reminder_id: int) -> Reminder:
    offer = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("waitlist_entry__patient", "waitlist_entry__location")
        .filter(pk=reminder_id, kind=Reminder.Kind.WAITLIST_OFFER)
        .first()
    )
    if offer is None or offer.waitlist_entry is None:
        raise OfferGone("This offer is no longer available.")
    return offer


def waitlist_offer_claim(*, reminder_id: int, now: datetime | None = None) -> Appointment:
    """The patient takes the slot an offer names. Atomic: the location's booking lock and
    the write path's overlap checks (exclusion constraints on PostgreSQL) let exactly one
    of several patients offered the same slot book it; the others get OfferGone, and
    their offers not yet sent are withdrawn. Claiming twice is refused, never booked twice."""
    now = now or timezone.now()
    with transaction.atomic():
        location = Location.objects.filter(waitlist_entries__reminders__pk=reminder_id).first()
        if location is None:
            raise OfferGone("This offer is no longer available.")
        # The location's booking lock first, then the offer: every claim takes them in
        # that order, so two claims queue instead of deadlocking.
        location_lock(location)
        offer = _offer_locked(reminder_id)
        entry = offer.waitlist_entry
        if entry.status == WaitlistEntry.Status.BOOKED:
            raise Conflict("You have already booked a slot from this waitlist offer.")
        freed = (
            Appointment.objects.select_related("location", "provider", "room")
            .filter(pk=offer.payload.get("freed_appointment"))
            .first()
        )
        if freed is None or freed.starts_at <= now or entry.status == WaitlistEntry.Status.WITHDRAWN:
            raise OfferGone("Sorry, this slot is no longer available.")
        try:
            with transaction.atomic():
                visit = _claim_book(freed, entry.patient)
        except DomainError as error:
            raise OfferGone("Sorry, someone else has just taken this slot. You stay on the waitlist.") from error
        entry.status = WaitlistEntry.Status.BOOKED
        entry.save(update_fields=["status"])
        audit_record(actor=None, actor_label="waitlist offer", action="waitlist_claimed", obj=visit,
                     changes={"waitlist_entry": entry.pk, "freed": freed.pk})
        # The others offered this slot: their offers not yet sent are withdrawn; the sent
        # ones answer "gone" when claimed.
        others = Reminder.objects.filter(
            kind=Reminder.Kind.WAITLIST_OFFER, payload__freed_appointment=freed.pk
        ).exclude(pk=offer.pk)
        others.filter(status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now
        )
        # They stay on the waitlist, and are offered the next slot like it.
        WaitlistEntry.objects.filter(
            pk__in=others.values("waitlist_entry_id"), status=WaitlistEntry.Status.OFFERED
        ).update(status=WaitlistEntry.Status.WAITING)
        return visit


def _claim_book(freed: Appointment, patient: Patient) -> Appointment:
    """The freed visit's time, place and provider booked for the patient who claimed it."""
    if freed.kind == Appointment.Kind.CONSULTATION:
        return consultation_book(
            patient=patient, location=freed.location, provider=freed.provider, starts_at=freed.starts_at,
            room=freed.room,
        )
    # A claimed slot is a visit of its own, not a session of the freed visit's series.
    spec = replace(VisitSpec.of_row(freed), session_number=None)
    [visit] = visits_book(location=freed.location, patient=patient, visits=[spec])
    return visit
