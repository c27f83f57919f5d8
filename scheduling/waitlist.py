"""The waitlist: patients waiting for a kind of visit within a range of dates, and the
offer of a freed slot to those waiting longest for one like it. Claiming an offer books
the slot, so it is a booking service (scheduling/services/waitlist_offers.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import audit_record
from patients.models import Patient

from .models import Appointment, Reminder, WaitlistEntry
from .reminders import config
from .reminders.reach import place_for_channel, reminder_channel_for


def waitlist_entry_add(
    *,
    patient: Patient,
    location,
    kind: str,
    earliest_date: date,
    latest_date: date,
    provider=None,
    preferred_times: list[str] | None = None,
    notes: str = "",
    added_by=None,
) -> WaitlistEntry:
    """Put a patient on the waitlist for a kind of visit within a date range (audited)."""
    entry = WaitlistEntry(
        patient=patient,
        location=location,
        provider=provider,
        kind=kind,
        earliest_date=earliest_date,
        latest_date=latest_date,
        preferred_times=preferred_times or [],
        notes=notes,
    )
    entry.full_clean()
    with transaction.atomic():
        entry.save()
        audit_record(actor=added_by, action="waitlist_added", obj=entry,
                     changes={"patient": patient.pk, "kind": kind, "from": earliest_date, "until": latest_date})
    return entry


def _time_of_day(moment: datetime, zone: ZoneInfo) -> str:
    hour = moment.astimezone(zone).hour
    if hour < 12:
        return WaitlistEntry.TimeOfDay.MORNING
    if hour < 17:
        return WaitlistEntry.TimeOfDay.AFTERNOON
    return WaitlistEntry.TimeOfDay.EVENING


def waitlist_offer_slot(*, appointment: Appointment, now: datetime) -> list[Reminder]:
    """Offer the slot of a cancelled visit to the patients waiting longest for one like it
    (once per slot: a later sync of the same cancelled visit offers nothing more).

    Marks the chosen entries offered and returns the offer messages, unsaved, for the
    caller to write with the rest of its outbox rows in the same transaction."""
    if Reminder.objects.filter(kind=Reminder.Kind.WAITLIST_OFFER, payload__freed_appointment=appointment.pk).exists():
        return []
    zone = ZoneInfo(appointment.location.time_zone)
    local_day = appointment.starts_at.astimezone(zone).date()
    part_of_day = _time_of_day(appointment.starts_at, zone)
    candidates = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(
            location_id=appointment.location_id,
            kind=appointment.kind,
            status=WaitlistEntry.Status.WAITING,
            earliest_date__lte=local_day,
            latest_date__gte=local_day,
        )
        .filter(Q(provider__isnull=True) | Q(provider_id=appointment.provider_id))
        .exclude(patient_id=appointment.patient_id)
        .select_related("patient")
        .order_by("created_at")
    )
    chosen = [entry for entry in candidates if not entry.preferred_times or part_of_day in entry.preferred_times]
    chosen = chosen[: config.waitlist_offers_per_slot()]
    offers = []
    for entry in chosen:
        channel = reminder_channel_for(entry.patient) or entry.patient.preferred_channel
        placed = place_for_channel(
            due=now, channel=channel, patient=entry.patient, visit_starts_at=appointment.starts_at, now=now
        )
        offers.append(
            Reminder(
                key=f"waitlist_offer:{entry.pk}:{appointment.pk}",
                kind=Reminder.Kind.WAITLIST_OFFER,
                slot="waitlist_offer",
                channel=placed.channel,
                patient=entry.patient,
                waitlist_entry=entry,
                due_at=placed.due,
                deferred_for_quiet_hours=placed.deferred,
                status=Reminder.Status.SKIPPED if placed.held else Reminder.Status.PENDING,
                last_error=placed.reason,
                visit_starts_at=appointment.starts_at,
                payload={
                    "freed_appointment": appointment.pk,
                    "provider_id": appointment.provider_id,
                    "provider_starts_at": appointment.provider_starts_at.isoformat(),
                    "provider_ends_at": appointment.provider_ends_at.isoformat(),
                },
            )
        )
    if chosen:
        WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in chosen]).update(
            status=WaitlistEntry.Status.OFFERED, last_offered_at=now
        )
        for entry in chosen:
            audit_record(actor=None, action="waitlist_offered", obj=entry,
                         changes={"freed_appointment": appointment.pk}, actor_label="waitlist")
    return offers


def waitlist_entry_withdraw(*, entry: WaitlistEntry, withdrawn_by=None) -> WaitlistEntry:
    """Take a patient off the waitlist: the entry stays as history, its offers not yet
    sent are cancelled. Withdrawing twice changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status in (WaitlistEntry.Status.WITHDRAWN, WaitlistEntry.Status.BOOKED):
            return entry
        before = entry.status
        entry.status = WaitlistEntry.Status.WITHDRAWN
        entry.save(update_fields=["status"])
        Reminder.objects.filter(waitlist_entry=entry, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now)
        audit_record(actor=withdrawn_by, action="waitlist_withdrawn", obj=entry,
                     changes={"status": [before, entry.status]})
    return entry
