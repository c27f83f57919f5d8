"""One message per event: a series booked (one confirmation listing every visit), a
reschedule with its cascade (one message, old time to new), a cancellation by the clinic
(a notice with the reason). Written in the transaction of the change, beside the visits'
own reminders, which `outbox.reminders_sync_for_appointments` then brings in line (a
visit these messages gave a time for needs no confirmation of its own)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Appointment, Reminder, TreatmentSeries
from .outbox import ANNOUNCING_KINDS, epoch, reminders_sync_for_appointments
from .reach import place_for_channel, reminder_channel_for


def _announcement(
    *, key: str, kind: str, patient, visits: list[Appointment], now: datetime, payload: dict, **links
) -> Reminder:
    """One message about several visits, placed for the patient's channel and quiet hours
    before the first of them."""
    first = min((a.starts_at for a in visits), default=None)
    channel = reminder_channel_for(patient) or patient.preferred_channel
    placed = place_for_channel(due=now, channel=channel, patient=patient, visit_starts_at=first, now=now)
    return Reminder(
        key=key,
        kind=kind,
        slot=kind,
        channel=placed.channel,
        status=Reminder.Status.SKIPPED if placed.held else Reminder.Status.PENDING,
        last_error=placed.reason,
        patient=patient,
        due_at=placed.due,
        deferred_for_quiet_hours=placed.deferred,
        visit_starts_at=first,
        payload={"visits": {str(a.pk): epoch(a.starts_at) for a in visits}, **payload},
        **links,
    )


# Messages about one visit that gave the patient its time.
VISIT_NAMING_KINDS = (Reminder.Kind.CONFIRMATION, Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP)


def _digest(items) -> str:
    return hashlib.sha1(repr(sorted(items)).encode()).hexdigest()[:16]


def reminders_series_booked(*, series: TreatmentSeries, appointments: Iterable[Appointment]) -> None:
    """One booking confirmation for the whole series, with a calendar file of all its
    visits, instead of one per visit; plus each visit's own reminders."""
    appointments = sorted(appointments, key=lambda a: a.starts_at)
    if not appointments:
        return
    now = timezone.now()
    with transaction.atomic():
        digest = _digest((a.pk, epoch(a.starts_at)) for a in appointments)
        row = _announcement(
            key=f"series_confirmation:{series.pk}:{digest}",
            kind=Reminder.Kind.SERIES_CONFIRMATION,
            patient=series.patient,
            visits=appointments,
            now=now,
            payload={},
            series=series,
        )
        Reminder.objects.bulk_create([row], ignore_conflicts=True)
        reminders_sync_for_appointments(appointments=appointments)


def _unsent_moves(patient_id: int, series_id: int | None) -> tuple[list[Reminder], dict[int, str | None], list]:
    """The patient's reschedule messages not sent yet, and what they said: each visit's
    time before its first unsent move, and the visits they called no longer needed."""
    pending = list(
        Reminder.objects.select_for_update()
        .filter(kind=Reminder.Kind.RESCHEDULE, patient_id=patient_id, status=Reminder.Status.PENDING)
        .filter(series_id=series_id)
        .order_by("pk")
    )
    first_from: dict[int, str | None] = {}
    cancelled: list = []
    for row in pending:
        for item in row.payload.get("moves", []):
            first_from.setdefault(item["appointment"], item.get("from"))
        cancelled += row.payload.get("cancelled", [])
    return pending, first_from, cancelled


def _unsent_confirmations_follow(patient_id: int, visits: list[Appointment]) -> None:
    """A series confirmation not sent yet lists the series' visits as they are when it
    goes: note their new times on it, so it keeps covering them (no visit then gets a
    confirmation of its own)."""
    for row in Reminder.objects.select_for_update().filter(
        kind=Reminder.Kind.SERIES_CONFIRMATION, patient_id=patient_id, status=Reminder.Status.PENDING
    ):
        named = {str(a.pk): epoch(a.starts_at) for a in visits if a.series_id == row.series_id}
        if named:
            row.payload = {**row.payload, "visits": {**row.payload.get("visits", {}), **named}}
            row.save(update_fields=["payload", "updated_at"])


def _told_visits(patient_id: int) -> set[int]:
    """The patient's visits some message already sent gave a time for."""
    told: set[int] = set()
    sent = Reminder.objects.filter(patient_id=patient_id, status=Reminder.Status.SENT)
    for payload in sent.filter(kind__in=ANNOUNCING_KINDS).values_list("payload", flat=True):
        told.update(int(pk) for pk in payload.get("visits", {}))
    told.update(
        sent.filter(kind__in=VISIT_NAMING_KINDS, appointment_id__isnull=False).values_list("appointment_id", flat=True)
    )
    return told


def reminders_visits_rescheduled(
    *, moved: list[tuple[Appointment, datetime | None]], dropped: Iterable[Appointment]
) -> None:
    """One message for a reschedule and its whole cascade: each visit that moved, old time
    to new (a visit added by the cascade has no old time), and each one no longer needed.
    The visits' own confirmations are not sent: this message gave their times. A message
    about an earlier move not sent yet is folded into this one (the patient reads one
    message, from the times they knew). Then each visit's reminders follow it. Call inside
    the transaction that moved them."""
    dropped = list(dropped)
    if not moved and not dropped:
        return
    now = timezone.now()
    with transaction.atomic():
        visits = [a for a, _ in moved]
        anchor = (visits or dropped)[0]
        pending, first_from, earlier_cancelled = _unsent_moves(anchor.patient_id, anchor.series_id)
        # Each visit's time before its first move the patient has not heard of yet.
        froms = {**first_from}
        for visit, before in moved:
            froms.setdefault(visit.pk, before.isoformat() if before else None)
        listed = list(
            Appointment.objects.filter(pk__in=list(froms), status__in=Appointment.OPEN_STATUSES).order_by("starts_at")
        )
        # A visit whose booking the patient has not heard of yet (its confirmation still
        # waits, for the morning after quiet hours say) did not "move" for them: the
        # waiting confirmation gives its new time, and no message says "was ..., now ...".
        _unsent_confirmations_follow(anchor.patient_id, listed)
        told = _told_visits(anchor.patient_id)
        listed = [a for a in listed if a.pk in told]
        upcoming = [a for a in listed if a.starts_at > now]
        Reminder.objects.filter(pk__in=[row.pk for row in pending]).update(
            status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now
        )
        if upcoming:
            digest = _digest((a.pk, epoch(a.starts_at)) for a in listed + dropped)
            row = _announcement(
                key=f"reschedule:{anchor.pk}:{digest}",
                kind=Reminder.Kind.RESCHEDULE,
                patient=anchor.patient,
                visits=upcoming,
                now=now,
                payload={
                    "moves": [{"appointment": a.pk, "from": froms[a.pk]} for a in listed],
                    "cancelled": earlier_cancelled
                    + [{"appointment": a.pk, "at": a.starts_at.isoformat()} for a in dropped],
                },
                series_id=anchor.series_id,
            )
            Reminder.objects.bulk_create([row], ignore_conflicts=True)
        reminders_sync_for_appointments(appointments=visits + dropped)


def reminder_cancellation_notice(*, appointment: Appointment, later: int = 0) -> None:
    """The clinic cancelled a visit: tell the patient, with the reason and how to book
    again. `later` counts the visits after it cancelled with it (the rest of a series):
    one notice names the first and says every visit after it went too. Call inside the
    cancelling transaction (a cancellation the patient made from their own link needs no
    notice)."""
    now = timezone.now()
    patient = appointment.patient
    channel = reminder_channel_for(patient) or patient.preferred_channel
    placed = place_for_channel(
        due=now, channel=channel, patient=patient, visit_starts_at=appointment.starts_at, now=now
    )
    payload = {"reason": appointment.cancel_reason}
    if later:
        payload["later_visits"] = later
    Reminder.objects.bulk_create(
        [
            Reminder(
                key=f"cancellation:{appointment.pk}",
                kind=Reminder.Kind.CANCELLATION,
                slot="cancellation",
                channel=placed.channel,
                status=Reminder.Status.SKIPPED if placed.held else Reminder.Status.PENDING,
                last_error=placed.reason,
                patient=patient,
                appointment=appointment,
                series_id=appointment.series_id,
                due_at=placed.due,
                deferred_for_quiet_hours=placed.deferred,
                visit_starts_at=appointment.starts_at,
                payload=payload,
            )
        ],
        ignore_conflicts=True,
    )


def reminder_series_cancellation_notice(*, appointments: Iterable[Appointment]) -> None:
    """The clinic stopped a series: one notice for all the visits it cancelled, not one
    per visit (one message per event), naming the first and every visit after it."""
    visits = sorted(appointments, key=lambda a: a.starts_at)
    if visits:
        reminder_cancellation_notice(appointment=visits[0], later=len(visits) - 1)
