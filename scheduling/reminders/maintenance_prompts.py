"""Maintenance prompts: after a series (or a maintenance visit) ends, a chain of prompts,
one maintenance interval apart, until the patient books or opts out."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from patients.models import Patient

from ..models import Appointment, Reminder, TreatmentProtocol, TreatmentSeries
from .reach import patient_zone, place_for_channel, prompt_time, reminder_channel_for


def reminders_series_completed(*, series: TreatmentSeries) -> None:
    """Schedule the first maintenance prompt, the protocol's maintenance interval after the
    series' last session; each prompt sent schedules the next until the patient books or
    opts out."""
    now = timezone.now()
    with transaction.atomic():
        last = (
            Appointment.objects.filter(
                series=series, kind=Appointment.Kind.SESSION, status=Appointment.Status.COMPLETED
            )
            .order_by("-starts_at")
            .values_list("completed_at", "starts_at")
            .first()
        )
        after = (last[0] or last[1]) if last else now
        maintenance_chain_start(
            patient=series.patient,
            series=series,
            protocol=series.protocol,
            after=after,
            chain=f"series:{series.pk}",
            now=now,
        )


def maintenance_chain_start(
    *,
    patient: Patient,
    series: TreatmentSeries | None,
    protocol: TreatmentProtocol | None,
    after: datetime,
    chain: str,
    now: datetime,
) -> None:
    """Start a chain of maintenance prompts; a newer chain replaces an older pending one."""
    if protocol is None or patient.maintenance_prompts_stopped_at is not None:
        return
    key = f"maintenance:{chain}:1"
    if Reminder.objects.filter(key=key).exists():
        return
    Reminder.objects.filter(patient=patient, kind=Reminder.Kind.MAINTENANCE, status=Reminder.Status.PENDING).exclude(
        payload__chain=chain
    ).update(status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now)
    day = (after + timedelta(days=protocol.maintenance_min_days)).astimezone(patient_zone(patient)).date()
    channel = reminder_channel_for(patient) or patient.preferred_channel
    placed = place_for_channel(
        due=prompt_time(day=day, patient=patient), channel=channel, patient=patient, visit_starts_at=None, now=now
    )
    Reminder.objects.bulk_create(
        [
            Reminder(
                key=key,
                kind=Reminder.Kind.MAINTENANCE,
                slot="maintenance",
                channel=placed.channel,
                patient=patient,
                series=series,
                due_at=placed.due,
                deferred_for_quiet_hours=placed.deferred,
                status=Reminder.Status.SKIPPED if placed.held else Reminder.Status.PENDING,
                last_error=placed.reason,
                payload={"chain": chain, "sequence": 1, "interval_days": protocol.maintenance_min_days},
            )
        ],
        ignore_conflicts=True,
    )


def reminder_maintenance_next(*, reminder: Reminder, now: datetime) -> Reminder | None:
    """The prompt after this one, one maintenance interval later (written when this one is sent)."""
    chain = reminder.payload.get("chain")
    sequence = int(reminder.payload.get("sequence", 1)) + 1
    interval = int(reminder.payload.get("interval_days", 60))
    if not chain:
        return None
    day = (reminder.due_at + timedelta(days=interval)).astimezone(patient_zone(reminder.patient)).date()
    return Reminder(
        key=f"maintenance:{chain}:{sequence}",
        kind=Reminder.Kind.MAINTENANCE,
        slot="maintenance",
        channel=reminder.channel,
        patient_id=reminder.patient_id,
        series_id=reminder.series_id,
        due_at=prompt_time(day=day, patient=reminder.patient),
        payload={"chain": chain, "sequence": sequence, "interval_days": interval},
    )
