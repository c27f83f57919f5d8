"""What to do with a due reminder at the moment of sending: checked again then, because
the world may have changed since the row was written (consent withdrawn, visit moved or
cancelled, a slot taken, a night fallen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Appointment, Reminder, TreatmentSeries
from . import config
from .quiet_hours import place_outside_quiet_hours
from .reach import accepts_email, patient_zone, prompt_time

VISIT_KINDS = (Reminder.Kind.CONFIRMATION, Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP)


@dataclass
class Decision:
    action: str  # send, defer, postpone, cancel, skip
    reason: str = ""
    due_at: datetime | None = None
    # Sent by another channel than the row's (a text that quiet hours turn into an email).
    channel: str | None = None


def _maintenance_decision(row: Reminder, now: datetime) -> Decision | None:
    interval = timedelta(days=int(row.payload.get("interval_days", 60)))
    upcoming = (
        Appointment.objects.filter(
            patient_id=row.patient_id,
            kind=Appointment.Kind.MAINTENANCE,
            status__in=(*Appointment.OPEN_STATUSES, Appointment.Status.CHECKED_IN),
            starts_at__gt=now,
        )
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None:
        # Booked: no prompt now; the next one is due an interval after that visit.
        day = (upcoming.starts_at + interval).astimezone(patient_zone(row.patient)).date()
        return Decision("postpone", "A maintenance visit is booked.", prompt_time(day=day, patient=row.patient))
    return None


def _slot_taken(row: Reminder) -> bool:
    payload = row.payload
    if not payload.get("provider_id"):
        return False
    return Appointment.objects.filter(
        provider_id=payload["provider_id"],
        status__in=Appointment.ACTIVE_STATUSES,
        provider_starts_at__lt=datetime.fromisoformat(payload["provider_ends_at"]),
        provider_ends_at__gt=datetime.fromisoformat(payload["provider_starts_at"]),
    ).exists()


def _moves_still_hold(row: Reminder) -> bool:
    """A message about moved visits still tells the truth about at least one of them."""
    listed = {int(pk): epoch for pk, epoch in row.payload.get("visits", {}).items()}
    now_at = Appointment.objects.filter(pk__in=list(listed), status__in=Appointment.OPEN_STATUSES).values_list(
        "pk", "starts_at"
    )
    return any(int(starts.timestamp()) == listed[pk] for pk, starts in now_at)


def send_decision(row: Reminder, channel: str | None, now: datetime) -> Decision:
    """Send, or hold back (defer, postpone), cancel or skip, and why: the reason is kept on
    the row for staff."""
    if channel is None:
        return Decision("skip", "The patient does not consent to email or SMS (or has opted out).")
    appointment = row.appointment if row.appointment_id else None
    if row.kind in VISIT_KINDS and appointment is not None:
        if appointment.status not in Appointment.OPEN_STATUSES:
            return Decision("cancel", f"The visit is {appointment.get_status_display().lower()}.")
        if row.visit_starts_at is not None and appointment.starts_at != row.visit_starts_at:
            return Decision("cancel", "The visit moved; its reminders follow the new time.")
        if appointment.starts_at <= now:
            return Decision("skip", "The visit has already started.")
        if appointment.series_id and appointment.series.status == TreatmentSeries.Status.ON_HOLD:
            return Decision("cancel", "The series is on hold for a provider's review.")
    if (
        row.kind == Reminder.Kind.AFTERCARE
        and appointment is not None
        and appointment.status != Appointment.Status.COMPLETED
    ):
        return Decision("cancel", "The visit is no longer marked completed.")
    if row.kind == Reminder.Kind.RESCHEDULE and not _moves_still_hold(row):
        return Decision("cancel", "The moved visits have changed again or been cancelled since.")
    if row.kind == Reminder.Kind.SERIES_CONFIRMATION and row.series.status == TreatmentSeries.Status.CANCELLED:
        return Decision("cancel", "The series was cancelled.")
    if (
        row.kind == Reminder.Kind.SERIES_NUDGE
        and Appointment.objects.filter(
            series_id=row.series_id,
            kind=Appointment.Kind.SESSION,
            session_number=row.payload.get("session_number"),
            status__in=Appointment.ACTIVE_STATUSES,
        ).exists()
    ):
        return Decision("skip", "The session has been booked.")
    if row.kind == Reminder.Kind.MAINTENANCE and row.patient.maintenance_prompts_stopped_at is not None:
        return Decision("cancel", "The patient asked for no more maintenance prompts.")
    if row.kind == Reminder.Kind.MAINTENANCE:
        decision = _maintenance_decision(row, now)
        if decision is not None:
            return decision
    if row.kind == Reminder.Kind.WAITLIST_OFFER:
        if row.visit_starts_at is not None and row.visit_starts_at <= now:
            return Decision("skip", "The offered slot has passed.")
        if _slot_taken(row):
            return Decision("skip", "The offered slot was taken.")
    if channel == "sms":
        return _quiet_hours_decision(row, now)
    return Decision("send")


def _quiet_hours_decision(row: Reminder, now: datetime) -> Decision:
    """A text due now, in the patient's quiet hours, follows the same rule as when it was
    written (quiet_hours.place_outside_quiet_hours): the morning if still before the
    visit, else by email if the patient takes email, else not at all."""
    placed = place_outside_quiet_hours(
        due=now,
        zone=patient_zone(row.patient),
        quiet=config.quiet_hours(),
        visit_starts_at=row.visit_starts_at,
        now=now,
        email_ok=accepts_email(row.patient),
    )
    if placed.deferred:
        return Decision("defer", "Quiet hours: held until the morning.", placed.due)
    if placed.held:
        return Decision("skip", placed.reason)
    if placed.channel == "email":
        return Decision("send", "Quiet hours until after the visit: sent by email instead.", channel="email")
    return Decision("send")


def superseded_leads(rows: list[Reminder]) -> set[int]:
    """When the 72 h and the 24 h reminder of a visit are both due (the dispatcher was
    down), only the 24 h one goes: the patient needs one reminder, not two at once."""
    shortest: dict[int, Reminder] = {}
    for row in rows:
        if row.kind in (Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP) and row.appointment_id:
            best = shortest.get(row.appointment_id)
            if best is None or row.payload.get("lead_hours", 0) < best.payload.get("lead_hours", 0):
                shortest[row.appointment_id] = row
    return {
        row.pk
        for row in rows
        if row.kind in (Reminder.Kind.PRE_VISIT, Reminder.Kind.FOLLOW_UP)
        and row.appointment_id
        and shortest[row.appointment_id].pk != row.pk
    }
