"""Writes to the reminder outbox for visits: what each visit should have sent, kept in line
with the visit as it changes.

The booking services call these inside the same transaction as the change that causes
the messages, so a visit and its reminders commit or roll back together: a cancelled
visit never keeps a pending reminder, and a moved visit's reminders move with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from clinic.errors import InvalidRequest

from ..models import Appointment, Reminder, TreatmentProtocol, TreatmentSeries
from ..rules import visit_by_phone
from ..selectors import protocol_active
from ..waitlist import waitlist_offer_slot
from .maintenance_prompts import maintenance_chain_start
from .quiet_hours import HELD_REASON
from .reach import place_for_channel, reminder_channel_for

TREATMENT_KINDS = ("session", "maintenance")
FOLLOW_UP_KINDS = ("healing_check", "review")
# Aftercare only for a visit completed lately: marking an old visit completed in the admin
# must not send advice for skin that healed weeks ago.
AFTERCARE_WINDOW = timedelta(days=2)
# Messages about several visits at once; each lists the visits it gave a time for.
ANNOUNCING_KINDS = (Reminder.Kind.SERIES_CONFIRMATION, Reminder.Kind.RESCHEDULE)
# The messages a visit's sync keeps in line with it; a cancellation notice is about the
# change itself and stays.
VISIT_OWN_KINDS = (
    Reminder.Kind.CONFIRMATION,
    Reminder.Kind.PRE_VISIT,
    Reminder.Kind.FOLLOW_UP,
    Reminder.Kind.AFTERCARE,
)


def _protocol_active_or_none() -> TreatmentProtocol | None:
    """The active protocol, or None when the clinic has none: a visit outside a series then
    gets the default reminders (72 h and 24 h before) instead of failing its booking."""
    try:
        return protocol_active()
    except InvalidRequest:
        return None


# --- The plan for one visit -----------------------------------------------------------


@dataclass
class Planned:
    slot: str
    kind: str
    key: str
    due_at: datetime
    visit_starts_at: datetime | None
    channel: str
    deferred: bool = False
    # No time to text outside quiet hours before the visit, and no email: written as skipped.
    held: bool = False
    payload: dict = field(default_factory=dict)
    # Confirmations and aftercare are due "now": they are written even if that moment passed.
    due_now: bool = False


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _planned_for(
    appointment: Appointment, *, now: datetime, channel: str, protocol: TreatmentProtocol | None, covered: bool
) -> list[Planned]:
    planned: list[Planned] = []
    patient = appointment.patient
    starts = appointment.starts_at
    # A series on hold waits for a provider's review of a side effect: its sessions keep
    # their slots but get no reminders until it is released.
    on_hold = appointment.series_id is not None and appointment.series.status == TreatmentSeries.Status.ON_HOLD
    if appointment.status in Appointment.OPEN_STATUSES and starts > now and not on_hold:
        if not covered:
            placed = place_for_channel(due=now, channel=channel, patient=patient, visit_starts_at=starts, now=now)
            planned.append(
                Planned(
                    slot="confirmation",
                    kind=Reminder.Kind.CONFIRMATION,
                    key=f"confirmation:{appointment.pk}:{epoch(starts)}",
                    due_at=placed.due,
                    visit_starts_at=starts,
                    channel=placed.channel,
                    deferred=placed.deferred,
                    held=placed.held,
                    due_now=True,
                )
            )
        kind = Reminder.Kind.FOLLOW_UP if appointment.kind in FOLLOW_UP_KINDS else Reminder.Kind.PRE_VISIT
        leads = sorted({int(hours) for hours in (protocol.reminder_lead_hours if protocol else [72, 24])}, reverse=True)
        if visit_by_phone(appointment):
            # A phone check is a call from the clinic: one reminder, the nearest, is enough.
            leads = leads[-1:]
        for lead in leads:
            placed = place_for_channel(
                due=starts - timedelta(hours=lead), channel=channel, patient=patient, visit_starts_at=starts, now=now
            )
            planned.append(
                Planned(
                    slot=f"lead:{lead}",
                    kind=kind,
                    key=f"{kind}:{appointment.pk}:{lead}h:{epoch(starts)}",
                    due_at=placed.due,
                    visit_starts_at=starts,
                    channel=placed.channel,
                    deferred=placed.deferred,
                    held=placed.held,
                    payload={"lead_hours": lead},
                )
            )
    if appointment.status == Appointment.Status.COMPLETED and appointment.kind in TREATMENT_KINDS:
        completed = appointment.completed_at or now
        if completed >= now - AFTERCARE_WINDOW:
            placed = place_for_channel(due=now, channel=channel, patient=patient, visit_starts_at=None, now=now)
            planned.append(
                Planned(
                    slot="aftercare",
                    kind=Reminder.Kind.AFTERCARE,
                    key=f"aftercare:{appointment.pk}",
                    due_at=placed.due,
                    visit_starts_at=None,
                    channel=placed.channel,
                    deferred=placed.deferred,
                    due_now=True,
                )
            )
    return planned


def _announced(appointment: Appointment, announcements: list[Reminder]) -> bool:
    """A visit whose time a message about several visits already gave (the series
    confirmation, or the one message about a reschedule and its cascade) needs no
    confirmation of its own: one message per event."""
    wanted = epoch(appointment.starts_at)
    return any(
        row.patient_id == appointment.patient_id and row.payload.get("visits", {}).get(str(appointment.pk)) == wanted
        for row in announcements
    )


# --- Matching the plan with the rows already written ----------------------------------


def _revive(row: Reminder, plan: Planned) -> None:
    """Wanted again (a series released from hold): the same message, pending again."""
    row.status, row.cancelled_at, row.last_error = Reminder.Status.PENDING, None, ""
    row.due_at, row.deferred_for_quiet_hours, row.channel = plan.due_at, plan.deferred, plan.channel
    row.save(
        update_fields=[
            "status",
            "cancelled_at",
            "last_error",
            "due_at",
            "deferred_for_quiet_hours",
            "channel",
            "updated_at",
        ]
    )


def _retime(row: Reminder, plan: Planned) -> None:
    """A pending message whose due time changed (quiet hours, a new lead time) follows it."""
    if (
        row.status == Reminder.Status.PENDING
        and not plan.due_now
        and (row.due_at != plan.due_at or row.deferred_for_quiet_hours != plan.deferred or row.channel != plan.channel)
    ):
        row.due_at, row.deferred_for_quiet_hours, row.channel = plan.due_at, plan.deferred, plan.channel
        row.save(update_fields=["due_at", "deferred_for_quiet_hours", "channel", "updated_at"])


def _move(row: Reminder, plan: Planned) -> None:
    """The visit moved: the same reminder moves with it."""
    row.key, row.kind, row.due_at, row.visit_starts_at = plan.key, plan.kind, plan.due_at, plan.visit_starts_at
    row.deferred_for_quiet_hours, row.payload = plan.deferred, {**row.payload, **plan.payload}
    row.channel = plan.channel
    row.save(
        update_fields=[
            "key",
            "kind",
            "due_at",
            "visit_starts_at",
            "deferred_for_quiet_hours",
            "payload",
            "channel",
            "updated_at",
        ]
    )


def _new_row(appointment: Appointment, plan: Planned, rows: list[Reminder]) -> Reminder:
    payload = dict(plan.payload)
    if plan.slot == "confirmation" and any(r.slot == "confirmation" and r.status == Reminder.Status.SENT for r in rows):
        payload["moved"] = True
    return Reminder(
        key=plan.key,
        kind=plan.kind,
        slot=plan.slot,
        channel=plan.channel,
        status=Reminder.Status.SKIPPED if plan.held else Reminder.Status.PENDING,
        last_error=HELD_REASON if plan.held else "",
        patient_id=appointment.patient_id,
        appointment=appointment,
        series_id=appointment.series_id,
        due_at=plan.due_at,
        visit_starts_at=plan.visit_starts_at,
        deferred_for_quiet_hours=plan.deferred,
        payload=payload,
    )


def _reconcile(
    appointment: Appointment,
    planned: list[Planned],
    rows: list[Reminder],
    *,
    now: datetime,
    to_create: list[Reminder],
) -> None:
    """Match each planned message with the visit's rows: kept (and re-timed), revived,
    moved with the visit, or new (added to `to_create`); pending rows no plan claims are
    cancelled. Sent rows are history and are never changed."""
    by_key = {row.key: row for row in rows}
    pending_by_slot: dict[str, list[Reminder]] = defaultdict(list)
    for row in rows:
        if row.status == Reminder.Status.PENDING:
            pending_by_slot[row.slot].append(row)
    kept: set[int] = set()
    for plan in planned:
        still_due = plan.due_now or plan.due_at > now
        existing = by_key.get(plan.key)
        if existing is not None:
            kept.add(existing.pk)
            if existing.status == Reminder.Status.CANCELLED and still_due:
                _revive(existing, plan)
            else:
                _retime(existing, plan)
            continue
        movable = [row for row in pending_by_slot[plan.slot] if row.pk not in kept]
        if movable and still_due:
            kept.add(movable[0].pk)
            _move(movable[0], plan)
        elif still_due:
            to_create.append(_new_row(appointment, plan, rows))
    stale = [
        row.pk
        for row in rows
        if row.status == Reminder.Status.PENDING and row.pk not in kept and row.kind in VISIT_OWN_KINDS
    ]
    if stale:
        reminders_cancel(ids=stale, now=now)


# --- The writes -----------------------------------------------------------------------


def reminders_cancel(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Cancel pending reminders (kept, not deleted, so staff can see what would have gone)."""
    return Reminder.objects.filter(pk__in=list(ids), status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, cancelled_at=now or timezone.now(), updated_at=now or timezone.now()
    )


def _announcements(appointments: list[Appointment]) -> list[Reminder]:
    """The messages about several visits at once (series confirmation, reschedule) that
    name these patients' visits."""
    return list(
        Reminder.objects.filter(
            kind__in=ANNOUNCING_KINDS, patient_id__in={a.patient_id for a in appointments}
        ).exclude(status=Reminder.Status.CANCELLED)
    )


def reminders_sync_for_appointments(*, appointments: Iterable[Appointment]) -> None:
    """Bring each visit's pending reminders in line with the visit as it is now.

    Call inside the transaction that books, moves, cancels, checks in, completes or marks
    a no-show. Creates what is missing (a confirmation for a visit booked on its own,
    pre-visit reminders at the protocol's lead times, aftercare for a completed treatment),
    moves pending ones with a moved visit, cancels pending ones that no longer apply.
    Sent rows are history and are never touched. Calling it twice changes nothing."""
    ids = [appointment.pk for appointment in appointments if appointment.pk is not None]
    if not ids:
        return
    now = timezone.now()
    with transaction.atomic():
        fresh = list(
            Appointment.objects.filter(pk__in=ids)
            .select_related("patient", "location", "provider", "series__protocol")
            .order_by("pk")
        )
        rows_by_appointment: dict[int, list[Reminder]] = defaultdict(list)
        for row in Reminder.objects.filter(appointment_id__in=ids).order_by("pk"):
            rows_by_appointment[row.appointment_id].append(row)
        announcements = _announcements(fresh)
        default_protocol = None
        to_create: list[Reminder] = []
        for appointment in fresh:
            protocol = appointment.series.protocol if appointment.series_id else None
            if protocol is None:
                default_protocol = default_protocol or _protocol_active_or_none()
                protocol = default_protocol
            channel = reminder_channel_for(appointment.patient) or appointment.patient.preferred_channel
            planned = _planned_for(
                appointment,
                now=now,
                channel=channel,
                protocol=protocol,
                covered=_announced(appointment, announcements),
            )
            _reconcile(appointment, planned, rows_by_appointment[appointment.pk], now=now, to_create=to_create)
            if appointment.status == Appointment.Status.COMPLETED and appointment.kind == Appointment.Kind.MAINTENANCE:
                maintenance_chain_start(
                    patient=appointment.patient,
                    series=appointment.series,
                    protocol=protocol,
                    after=appointment.completed_at or appointment.starts_at,
                    chain=f"visit:{appointment.pk}",
                    now=now,
                )
            if appointment.status == Appointment.Status.CANCELLED and appointment.starts_at > now:
                to_create.extend(waitlist_offer_slot(appointment=appointment, now=now))
        if to_create:
            # Two transactions syncing the same visit write the same keys; the second one's
            # rows are simply not written again.
            Reminder.objects.bulk_create(to_create, ignore_conflicts=True)


def reminders_retry(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Staff's 'send again' for failed (or skipped) messages: back to pending, due now,
    with a fresh count of attempts."""
    now = now or timezone.now()
    with transaction.atomic():
        return Reminder.objects.filter(
            pk__in=list(ids), status__in=[Reminder.Status.FAILED, Reminder.Status.SKIPPED]
        ).update(
            status=Reminder.Status.PENDING,
            due_at=now,
            attempts=0,
            claim_token=None,
            lease_until=None,
            failed_at=None,
            updated_at=now,
        )
