"""Writes to the reminder outbox.

The booking services call these inside the same transaction as the change that causes
the messages, so a visit and its reminders commit or roll back together: a cancelled
visit never keeps a pending reminder, and a moved visit's reminders move with it."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import audit_record
from patients.choices import Channel
from patients.models import Patient

from ..models import Appointment, Reminder, TreatmentProtocol, TreatmentSeries, WaitlistEntry
from . import config
from .quiet_hours import place_outside_quiet_hours

UPCOMING_STATUSES = ("booked", "confirmed")
TREATMENT_KINDS = ("session", "maintenance")
FOLLOW_UP_KINDS = ("healing_check", "review")
# Aftercare only for a visit completed lately: marking an old visit completed in the admin
# must not send advice for skin that healed weeks ago.
AFTERCARE_WINDOW = timedelta(days=2)


# --- Who can be reached, and where ----------------------------------------------------


def patient_zone(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.time_zone or "UTC")


def patient_phone(patient: Patient) -> str:
    """The number as stored (E.164); str() on the field would validate it on every call."""
    phone = patient.phone
    return str(getattr(phone, "raw_input", phone) or "")


def reminder_channel_for(patient: Patient) -> str | None:
    """The channel a message goes by: the preferred one if the patient consents to it and
    we have the address, else the other one on the same terms, else none."""
    order = [patient.preferred_channel] + [c for c in Channel.values if c != patient.preferred_channel]
    for channel in order:
        if channel == Channel.EMAIL and patient.consent_email and patient.email:
            return channel
        if channel == Channel.SMS and patient.consent_sms and patient_phone(patient):
            return channel
    return None


def _place(
    *, due: datetime, channel: str, patient: Patient, visit_starts_at: datetime | None, now: datetime
) -> tuple[datetime, bool]:
    if channel != Channel.SMS:
        return due, False
    return place_outside_quiet_hours(
        due=due, zone=patient_zone(patient), quiet=config.quiet_hours(), visit_starts_at=visit_starts_at, now=now
    )


def prompt_time(*, day: date, patient: Patient) -> datetime:
    """A prompt with no visit behind it goes mid-morning on its day, in the patient's zone
    (a local wall time, so summer time does not shift it)."""
    return datetime.combine(day, time(config.prompt_hour()), tzinfo=patient_zone(patient))


def _default_protocol() -> TreatmentProtocol | None:
    return TreatmentProtocol.objects.filter(is_active=True).order_by("pk").first()


# --- The plan for one visit -----------------------------------------------------------


@dataclass
class Planned:
    slot: str
    kind: str
    key: str
    due_at: datetime
    visit_starts_at: datetime | None
    deferred: bool = False
    payload: dict = field(default_factory=dict)
    # Confirmations and aftercare are due "now": they are written even if that moment passed.
    due_now: bool = False


def _epoch(moment: datetime) -> int:
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
    if appointment.status in UPCOMING_STATUSES and starts > now and not on_hold:
        if not covered:
            planned.append(
                Planned(
                    slot="confirmation",
                    kind=Reminder.Kind.CONFIRMATION,
                    key=f"confirmation:{appointment.pk}:{_epoch(starts)}",
                    due_at=now,
                    visit_starts_at=starts,
                    due_now=True,
                )
            )
        kind = Reminder.Kind.FOLLOW_UP if appointment.kind in FOLLOW_UP_KINDS else Reminder.Kind.PRE_VISIT
        leads = sorted({int(hours) for hours in (protocol.reminder_lead_hours if protocol else [72, 24])}, reverse=True)
        for lead in leads:
            due, deferred = _place(
                due=starts - timedelta(hours=lead), channel=channel, patient=patient, visit_starts_at=starts, now=now
            )
            planned.append(
                Planned(
                    slot=f"lead:{lead}",
                    kind=kind,
                    key=f"{kind}:{appointment.pk}:{lead}h:{_epoch(starts)}",
                    due_at=due,
                    visit_starts_at=starts,
                    deferred=deferred,
                    payload={"lead_hours": lead},
                )
            )
    if appointment.status == Appointment.Status.COMPLETED and appointment.kind in TREATMENT_KINDS:
        completed = appointment.completed_at or now
        if completed >= now - AFTERCARE_WINDOW:
            due, deferred = _place(due=now, channel=channel, patient=patient, visit_starts_at=None, now=now)
            planned.append(
                Planned(
                    slot="aftercare",
                    kind=Reminder.Kind.AFTERCARE,
                    key=f"aftercare:{appointment.pk}",
                    due_at=due,
                    visit_starts_at=None,
                    deferred=deferred,
                    due_now=True,
                )
            )
    return planned


def _covered_by_series_confirmation(appointment: Appointment, confirmations: list[Reminder]) -> bool:
    """A series visit whose time is the one its series confirmation listed needs no
    confirmation of its own; once moved, it does."""
    if appointment.series_id is None:
        return False
    wanted = _epoch(appointment.starts_at)
    return any(
        row.series_id == appointment.series_id and row.payload.get("visits", {}).get(str(appointment.pk)) == wanted
        for row in confirmations
    )


def _reconcile(
    appointment: Appointment,
    planned: list[Planned],
    rows: list[Reminder],
    *,
    now: datetime,
    channel: str,
    to_create: list[Reminder],
) -> None:
    by_key = {row.key: row for row in rows}
    pending_by_slot: dict[str, list[Reminder]] = defaultdict(list)
    for row in rows:
        if row.status == Reminder.Status.PENDING:
            pending_by_slot[row.slot].append(row)
    kept: set[int] = set()
    for plan in planned:
        existing = by_key.get(plan.key)
        if (
            existing is not None
            and existing.status == Reminder.Status.CANCELLED
            and (plan.due_now or plan.due_at > now)
        ):
            # Wanted again (a series released from hold): the same message, pending again.
            kept.add(existing.pk)
            existing.status, existing.cancelled_at, existing.last_error = Reminder.Status.PENDING, None, ""
            existing.due_at, existing.deferred_for_quiet_hours = plan.due_at, plan.deferred
            existing.save(
                update_fields=[
                    "status",
                    "cancelled_at",
                    "last_error",
                    "due_at",
                    "deferred_for_quiet_hours",
                    "updated_at",
                ]
            )
            continue
        if existing is not None:
            kept.add(existing.pk)
            if (
                existing.status == Reminder.Status.PENDING
                and not plan.due_now
                and (existing.due_at != plan.due_at or existing.deferred_for_quiet_hours != plan.deferred)
            ):
                existing.due_at, existing.deferred_for_quiet_hours = plan.due_at, plan.deferred
                existing.save(update_fields=["due_at", "deferred_for_quiet_hours", "updated_at"])
            continue
        movable = [row for row in pending_by_slot[plan.slot] if row.pk not in kept]
        if movable and (plan.due_now or plan.due_at > now):
            # The visit moved: the same reminder moves with it.
            row = movable[0]
            kept.add(row.pk)
            row.key, row.kind, row.due_at, row.visit_starts_at = plan.key, plan.kind, plan.due_at, plan.visit_starts_at
            row.deferred_for_quiet_hours, row.payload = plan.deferred, {**row.payload, **plan.payload}
            row.save(
                update_fields=[
                    "key",
                    "kind",
                    "due_at",
                    "visit_starts_at",
                    "deferred_for_quiet_hours",
                    "payload",
                    "updated_at",
                ]
            )
            continue
        if plan.due_now or plan.due_at > now:
            payload = dict(plan.payload)
            if plan.slot == "confirmation" and any(
                r.slot == "confirmation" and r.status == Reminder.Status.SENT for r in rows
            ):
                payload["moved"] = True
            to_create.append(
                Reminder(
                    key=plan.key,
                    kind=plan.kind,
                    slot=plan.slot,
                    channel=channel,
                    patient_id=appointment.patient_id,
                    appointment=appointment,
                    series_id=appointment.series_id,
                    due_at=plan.due_at,
                    visit_starts_at=plan.visit_starts_at,
                    deferred_for_quiet_hours=plan.deferred,
                    payload=payload,
                )
            )
    stale = [row.pk for row in rows if row.status == Reminder.Status.PENDING and row.pk not in kept]
    if stale:
        reminders_cancel(ids=stale, now=now)


def reminders_cancel(*, ids: Iterable[int], now: datetime | None = None) -> int:
    """Cancel pending reminders (kept, not deleted, so staff can see what would have gone)."""
    return Reminder.objects.filter(pk__in=list(ids), status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, cancelled_at=now or timezone.now(), updated_at=now or timezone.now()
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
        series_ids = {a.series_id for a in fresh if a.series_id}
        confirmations = (
            list(
                Reminder.objects.filter(kind=Reminder.Kind.SERIES_CONFIRMATION, series_id__in=series_ids).exclude(
                    status=Reminder.Status.CANCELLED
                )
            )
            if series_ids
            else []
        )
        default_protocol = None
        to_create: list[Reminder] = []
        for appointment in fresh:
            protocol = appointment.series.protocol if appointment.series_id else None
            if protocol is None:
                default_protocol = default_protocol or _default_protocol()
                protocol = default_protocol
            channel = reminder_channel_for(appointment.patient) or appointment.patient.preferred_channel
            planned = _planned_for(
                appointment,
                now=now,
                channel=channel,
                protocol=protocol,
                covered=_covered_by_series_confirmation(appointment, confirmations),
            )
            _reconcile(
                appointment, planned, rows_by_appointment[appointment.pk], now=now, channel=channel, to_create=to_create
            )
            if appointment.status == Appointment.Status.COMPLETED and appointment.kind == Appointment.Kind.MAINTENANCE:
                _maintenance_chain_start(
                    patient=appointment.patient,
                    series=appointment.series,
                    protocol=protocol,
                    after=appointment.completed_at or appointment.starts_at,
                    chain=f"visit:{appointment.pk}",
                    now=now,
                )
            if appointment.status == Appointment.Status.CANCELLED and appointment.starts_at > now:
                _waitlist_offer_slot(appointment, now=now, to_create=to_create)
        if to_create:
            # Two transactions syncing the same visit write the same keys; the second one's
            # rows are simply not written again.
            Reminder.objects.bulk_create(to_create, ignore_conflicts=True)


def reminders_series_booked(*, series: TreatmentSeries, appointments: Iterable[Appointment]) -> None:
    """One booking confirmation for the whole series, with a calendar file of all its
    visits, instead of one per visit; plus each visit's own reminders."""
    appointments = sorted(appointments, key=lambda a: a.starts_at)
    if not appointments:
        return
    now = timezone.now()
    with transaction.atomic():
        visits = {str(a.pk): _epoch(a.starts_at) for a in appointments}
        digest = hashlib.sha1(repr(sorted(visits.items())).encode()).hexdigest()[:16]
        patient = series.patient
        channel = reminder_channel_for(patient) or patient.preferred_channel
        Reminder.objects.bulk_create(
            [
                Reminder(
                    key=f"series_confirmation:{series.pk}:{digest}",
                    kind=Reminder.Kind.SERIES_CONFIRMATION,
                    slot="series_confirmation",
                    channel=channel,
                    patient=patient,
                    series=series,
                    due_at=now,
                    visit_starts_at=appointments[0].starts_at,
                    payload={"visits": visits},
                )
            ],
            ignore_conflicts=True,
        )
        reminders_sync_for_appointments(appointments=appointments)


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
        _maintenance_chain_start(
            patient=series.patient,
            series=series,
            protocol=series.protocol,
            after=after,
            chain=f"series:{series.pk}",
            now=now,
        )


def _maintenance_chain_start(
    *,
    patient: Patient,
    series: TreatmentSeries | None,
    protocol: TreatmentProtocol | None,
    after: datetime,
    chain: str,
    now: datetime,
) -> None:
    """Start a chain of maintenance prompts; a newer chain replaces an older pending one."""
    if protocol is None:
        return
    key = f"maintenance:{chain}:1"
    if Reminder.objects.filter(key=key).exists():
        return
    Reminder.objects.filter(patient=patient, kind=Reminder.Kind.MAINTENANCE, status=Reminder.Status.PENDING).exclude(
        payload__chain=chain
    ).update(status=Reminder.Status.CANCELLED, cancelled_at=now, updated_at=now)
    day = (after + timedelta(days=protocol.maintenance_min_days)).astimezone(patient_zone(patient)).date()
    channel = reminder_channel_for(patient) or patient.preferred_channel
    due, deferred = _place(
        due=prompt_time(day=day, patient=patient), channel=channel, patient=patient, visit_starts_at=None, now=now
    )
    Reminder.objects.bulk_create(
        [
            Reminder(
                key=key,
                kind=Reminder.Kind.MAINTENANCE,
                slot="maintenance",
                channel=channel,
                patient=patient,
                series=series,
                due_at=due,
                deferred_for_quiet_hours=deferred,
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


# --- Series nudges and the waitlist ---------------------------------------------------


def reminders_schedule_series_nudges(*, now: datetime | None = None) -> int:
    """Nudge each patient whose next session is not booked while its window closes within
    the nudge horizon (default 7 days). One nudge per series and session number, so a
    second run, or a second beat, writes nothing more."""
    from .selectors import series_needing_next_session

    now = now or timezone.now()
    rows = []
    for gap in series_needing_next_session(now=now, within_days=config.nudge_days()):
        if gap.window_closes_at <= now:
            continue
        patient = gap.series.patient
        channel = reminder_channel_for(patient) or patient.preferred_channel
        due, deferred = _place(due=now, channel=channel, patient=patient, visit_starts_at=gap.window_closes_at, now=now)
        rows.append(
            Reminder(
                key=f"series_nudge:{gap.series.pk}:{gap.next_session_number}",
                kind=Reminder.Kind.SERIES_NUDGE,
                slot="series_nudge",
                channel=channel,
                patient=patient,
                series=gap.series,
                due_at=due,
                deferred_for_quiet_hours=deferred,
                payload={
                    "session_number": gap.next_session_number,
                    "window_closes_at": gap.window_closes_at.isoformat(),
                },
            )
        )
    with transaction.atomic():
        created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _time_of_day(moment: datetime, zone: ZoneInfo) -> str:
    hour = moment.astimezone(zone).hour
    if hour < 12:
        return WaitlistEntry.TimeOfDay.MORNING
    if hour < 17:
        return WaitlistEntry.TimeOfDay.AFTERNOON
    return WaitlistEntry.TimeOfDay.EVENING


def _waitlist_offer_slot(appointment: Appointment, *, now: datetime, to_create: list[Reminder]) -> None:
    """Offer a freed slot to the patients waiting longest for one like it (once per slot:
    a later sync of the same cancelled visit offers nothing more)."""
    if Reminder.objects.filter(kind=Reminder.Kind.WAITLIST_OFFER, payload__freed_appointment=appointment.pk).exists():
        return
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
    for entry in chosen:
        channel = reminder_channel_for(entry.patient) or entry.patient.preferred_channel
        due, deferred = _place(
            due=now, channel=channel, patient=entry.patient, visit_starts_at=appointment.starts_at, now=now
        )
        to_create.append(
            Reminder(
                key=f"waitlist_offer:{entry.pk}:{appointment.pk}",
                kind=Reminder.Kind.WAITLIST_OFFER,
                slot="waitlist_offer",
                channel=channel,
                patient=entry.patient,
                waitlist_entry=entry,
                due_at=due,
                deferred_for_quiet_hours=deferred,
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
) -> WaitlistEntry:
    """Put a patient on the waitlist for a kind of visit within a date range."""
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
    return entry


# --- Opting out -----------------------------------------------------------------------


def reminders_opt_out(*, patient: Patient, channels: Iterable[str], actor_label: str = "patient link") -> list[str]:
    """Withdraw the patient's consent for these channels; messages still waiting are then
    skipped when due (or go by a channel the patient still consents to)."""
    fields = {Channel.EMAIL: "consent_email", Channel.SMS: "consent_sms"}
    changed = []
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        for channel in channels:
            field_name = fields[channel]
            if getattr(locked, field_name):
                setattr(locked, field_name, False)
                changed.append(field_name)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=None,
                action="opt_out",
                obj=locked,
                changes={name: [True, False] for name in changed},
                actor_label=actor_label,
            )
    for name in changed:
        setattr(patient, name, False)
    return changed


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
