"""What happens to a visit on the day and around it: cancel, check in, complete, no-show,
the patient's own confirmation; and a series paused, resumed or cut short.

Each service locks its row, checks the current status (so a repeated call is refused,
never applied twice), writes the audit trail and brings reminders in line, all in one
transaction."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_changes, audit_record
from clinic.errors import Conflict, InvalidRequest
from patients.areas import needle_depths_clean
from patients.choices import RARE_SIDE_EFFECTS, SideEffect

from ..consent import visit_consent_status
from ..models import Appointment, TreatedArea, TreatmentSeries
from ..reminders.events import reminder_cancellation_notice, reminder_series_cancellation_notice
from ..reminders.maintenance_prompts import reminders_series_completed
from ..reminders.outbox import reminders_sync_for_appointments
from ..rules import cancellation_is_late

Status = Appointment.Status
SeriesStatus = TreatmentSeries.Status
OPEN = Appointment.OPEN_STATUSES
TREATMENTS = (Appointment.Kind.SESSION, Appointment.Kind.MAINTENANCE)


def _sync(appointments: Iterable[Appointment]) -> None:
    """Reminders are brought in line in the same transaction as the change behind them."""
    reminders_sync_for_appointments(appointments=list(appointments))


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("location", "series", "patient", "provider")
        .get(pk=appointment.pk)
    )


def _locked_series(series: TreatmentSeries) -> TreatmentSeries:
    return TreatmentSeries.objects.select_for_update().get(pk=series.pk)


def _refuse(appointment: Appointment, doing: str) -> Conflict:
    return Conflict(
        f"This visit is {appointment.get_status_display().lower()}, so it cannot be {doing}.",
        details={"status": appointment.status},
    )


# --- One visit ------------------------------------------------------------------------
@transaction.atomic
def appointment_cancel(
    *, appointment: Appointment, reason: str, cancelled_by=None, actor_label: str = "", by_patient: bool = False
) -> Appointment:
    """Cancel a booked visit with a reason; inside the location's notice period it is
    marked as a late cancellation. Its time is free again at once. When the clinic
    cancels (not the patient from their own link), the patient is sent a notice with
    the reason and how to book again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Give a reason for the cancellation.", details={"reason": ["Required."]})
    appointment = _locked(appointment)
    if appointment.status not in OPEN:
        raise _refuse(appointment, "cancelled")
    now = timezone.now()
    if appointment.starts_at <= now:
        raise InvalidRequest("This visit has already started; mark it as a no-show or complete it instead.")
    appointment.status = Status.CANCELLED
    appointment.cancel_reason = reason[:300]
    appointment.cancelled_at = now
    appointment.late_cancellation = cancellation_is_late(appointment, now)
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_at", "late_cancellation", "updated_at"])
    audit_record(
        actor=cancelled_by,
        actor_label=actor_label,
        action="cancelled",
        obj=appointment,
        changes={"reason": appointment.cancel_reason, "late": appointment.late_cancellation},
    )
    if not by_patient:
        reminder_cancellation_notice(appointment=appointment)
    _sync([appointment])
    return appointment


@transaction.atomic
def appointment_confirm_by_patient(*, appointment: Appointment, actor_label: str = "patient link") -> Appointment:
    """The patient says they will come (from the link in a reminder)."""
    appointment = _locked(appointment)
    if appointment.status != Status.BOOKED:
        if appointment.status == Status.CONFIRMED:
            raise Conflict("This visit is already confirmed.", details={"status": appointment.status})
        raise _refuse(appointment, "confirmed")
    if appointment.starts_at <= timezone.now():
        raise InvalidRequest("This visit has already started.")
    appointment.status = Status.CONFIRMED
    appointment.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=None,
        actor_label=actor_label,
        action="confirmed",
        obj=appointment,
        changes={"status": [Status.BOOKED, Status.CONFIRMED]},
    )
    _sync([appointment])
    return appointment


def _consent_required(appointment: Appointment, now) -> None:
    """A treatment goes ahead only with the patient's valid consent for its protocol."""
    consent = visit_consent_status(appointment, now)
    if consent is not None and not consent.ok:
        raise Conflict(consent.reason, details={"consent": [consent.reason]})


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, checked_in_by=None) -> Appointment:
    """The patient has arrived (on the day of the visit). A treatment (session or
    maintenance) needs the patient's consent: signed, for the protocol's current version,
    within its validity."""
    appointment = _locked(appointment)
    if appointment.status not in OPEN:
        raise _refuse(appointment, "checked in")
    now = timezone.now()
    tz = ZoneInfo(appointment.location.time_zone)
    # The location's local date: a visit at 00:30 local is "today" there even if UTC says otherwise.
    if appointment.starts_at.astimezone(tz).date() != now.astimezone(tz).date():
        raise InvalidRequest("A patient can only be checked in on the day of the visit.")
    _consent_required(appointment, now)
    appointment.status = Status.CHECKED_IN
    appointment.checked_in_at = now
    appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
    audit_record(actor=checked_in_by, action="checked_in", obj=appointment)
    _sync([appointment])
    return appointment


def _treatment_record_check(
    appointment: Appointment, *, areas: Mapping[str, Decimal], device: str, side_effects: list[str]
) -> dict[str, Decimal]:
    """The treated areas of a completed visit, or a refusal in the provider's words: a
    treatment records areas, depths and the device; other visits record neither."""
    unknown = [s for s in side_effects if s not in SideEffect.values]
    if unknown:
        raise InvalidRequest(
            f"Unknown side effect '{unknown[0]}'.",
            details={"side_effects": [f"Choose from: {', '.join(SideEffect.values)}."]},
        )
    treated = needle_depths_clean(areas)
    if appointment.kind in TREATMENTS:
        errors = {}
        if not treated:
            errors["areas"] = ["Record at least one treated area with its needle depth."]
        if device not in Appointment.Device.values:
            errors["device"] = [f"Choose the device: {', '.join(Appointment.Device.values)}."]
        if errors:
            raise InvalidRequest(next(iter(errors.values()))[0], details=errors)
    elif treated or device:
        raise InvalidRequest(
            "Areas and a device are recorded only for treatment sessions.",
            details={"areas": ["Only for a session or maintenance visit."]},
        )
    return treated


def side_effect_hold_reason(session_number: int | None) -> str:
    """Why a series went on hold after a rare side effect. The reason is read by the front
    desk too, so it names no side effect (those stay on the session, which only providers
    and admins read); the demo data uses the same words."""
    return f"A side effect at session {session_number} needs a provider's review before the next session."


def _series_after_session(appointment: Appointment, *, side_effects: list[str], completed_by, now) -> list[Appointment]:
    """A rare side effect puts the series on hold (its later visits' reminders change);
    the last open session completes it. The visits whose reminders change."""
    changed: list[Appointment] = []
    series = _locked_series(appointment.series)
    rare = [s for s in side_effects if s in RARE_SIDE_EFFECTS]
    series_before = series.status
    if rare and series.status in (SeriesStatus.ACTIVE, SeriesStatus.PAUSED):
        series.status = SeriesStatus.ON_HOLD
        series.status_reason = side_effect_hold_reason(appointment.session_number)
        series.save(update_fields=["status", "status_reason", "updated_at"])
        audit_record(
            actor=completed_by,
            action="on_hold",
            obj=series,
            changes={
                "status": [series_before, SeriesStatus.ON_HOLD],
                "session": appointment.session_number,
                "rare_side_effects": rare,
            },
        )
        changed += list(series.appointments.filter(status__in=OPEN, starts_at__gt=now))
    elif series.status == SeriesStatus.ACTIVE:
        _complete_series_if_done(series, completed_by)
    return changed


@transaction.atomic
def appointment_complete(
    *,
    appointment: Appointment,
    areas: Mapping[str, Decimal],
    device: str,
    side_effects: Iterable[str],
    notes: str,
    completed_by=None,
) -> Appointment:
    """Record what was done. For a treatment: the areas with their needle depth, the
    device and any side effects. A rare side effect puts the series on hold for a
    provider's review; completing the last open session completes the series."""
    appointment = _locked(appointment)
    if appointment.status not in (*OPEN, Status.CHECKED_IN):
        raise _refuse(appointment, "completed")
    now = timezone.now()
    if appointment.starts_at > now:
        raise InvalidRequest("This visit has not started yet.")
    if appointment.status in OPEN:
        # Recorded without a check-in first: the consent a check-in asks for is asked here.
        _consent_required(appointment, now)
    side_effects = list(dict.fromkeys(side_effects))
    treated = _treatment_record_check(appointment, areas=areas, device=device, side_effects=side_effects)

    appointment.status = Status.COMPLETED
    appointment.completed_at = now
    appointment.checked_in_at = appointment.checked_in_at or now
    appointment.device = device or ""
    appointment.side_effects = side_effects
    appointment.notes = notes or ""
    appointment.save(
        update_fields=["status", "completed_at", "checked_in_at", "device", "side_effects", "notes", "updated_at"]
    )
    TreatedArea.objects.bulk_create(
        TreatedArea(appointment=appointment, area=a, depth_mm=d) for a, d in treated.items()
    )
    audit_record(
        actor=completed_by,
        action="completed",
        obj=appointment,
        changes={"areas": {a: str(d) for a, d in treated.items()}, "device": device, "side_effects": len(side_effects)},
    )
    changed = [appointment]

    if appointment.series_id and appointment.kind == Appointment.Kind.SESSION:
        changed += _series_after_session(appointment, side_effects=side_effects, completed_by=completed_by, now=now)
    _sync(changed)
    return appointment


@transaction.atomic
def appointment_record_amend(
    *,
    appointment: Appointment,
    areas: Mapping[str, Decimal],
    device: str,
    side_effects: Iterable[str],
    notes: str,
    amended_by,
) -> Appointment:
    """Correct the record of a completed visit. Only the provider who gave the visit may,
    and the audit keeps what it said before; a rare side effect added now puts the series
    on hold as it would have at completion."""
    appointment = _locked(appointment)
    if appointment.status != Status.COMPLETED:
        raise Conflict("Only a completed visit's record can be amended.", details={"status": appointment.status})
    if appointment.provider.user_id is None or appointment.provider.user_id != getattr(amended_by, "pk", None):
        raise PermissionDenied("Only the provider who gave this visit can amend its record.")
    side_effects = list(dict.fromkeys(side_effects))
    treated = _treatment_record_check(appointment, areas=areas, device=device, side_effects=side_effects)
    before = {"areas": {a.area: str(a.depth_mm) for a in appointment.treated_areas.all()},
              "device": appointment.device, "side_effects": appointment.side_effects, "notes": appointment.notes}
    appointment.device = device or ""
    appointment.side_effects = side_effects
    appointment.notes = notes or ""
    appointment.save(update_fields=["device", "side_effects", "notes", "updated_at"])
    appointment.treated_areas.all().delete()
    TreatedArea.objects.bulk_create(
        TreatedArea(appointment=appointment, area=a, depth_mm=d) for a, d in treated.items()
    )
    after = {"areas": {a: str(d) for a, d in treated.items()}, "device": appointment.device,
             "side_effects": side_effects, "notes": appointment.notes}
    audit_record(actor=amended_by, action="record_amended", obj=appointment, changes=audit_changes(before, after))
    if appointment.series_id and appointment.kind == Appointment.Kind.SESSION:
        _sync(_series_after_session(appointment, side_effects=side_effects, completed_by=amended_by,
                                    now=timezone.now()))
    return appointment


def _complete_series_if_done(series: TreatmentSeries, actor) -> bool:
    """A series is complete once no session is left to happen."""
    open_sessions = series.appointments.filter(kind=Appointment.Kind.SESSION, status__in=(*OPEN, Status.CHECKED_IN))
    done = series.appointments.filter(kind=Appointment.Kind.SESSION, status=Status.COMPLETED)
    if open_sessions.exists() or not done.exists():
        return False
    before = series.status
    series.status = SeriesStatus.COMPLETED
    series.status_reason = ""
    series.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(actor=actor, action="completed", obj=series, changes={"status": [before, SeriesStatus.COMPLETED]})
    reminders_series_completed(series=series)
    return True


@transaction.atomic
def appointment_mark_no_show(*, appointment: Appointment, marked_by=None) -> Appointment:
    """The patient did not come; the visit's time is released."""
    appointment = _locked(appointment)
    if appointment.status not in OPEN:
        raise _refuse(appointment, "marked as a no-show")
    if appointment.starts_at > timezone.now():
        raise InvalidRequest("A visit can be marked as a no-show only after its start time.")
    before = appointment.status
    appointment.status = Status.NO_SHOW
    appointment.save(update_fields=["status", "updated_at"])
    audit_record(actor=marked_by, action="no_show", obj=appointment, changes={"status": [before, Status.NO_SHOW]})
    _sync([appointment])
    return appointment


# --- A series -------------------------------------------------------------------------
@transaction.atomic
def series_pause(*, series: TreatmentSeries, reason: str, paused_by=None) -> TreatmentSeries:
    """Pause an active series (the patient is travelling, say). Booked visits stay
    booked; the series stops nudging for unbooked sessions until it is resumed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Give a reason for the pause.", details={"reason": ["Required."]})
    series = _locked_series(series)
    if series.status != SeriesStatus.ACTIVE:
        raise Conflict(
            f"This series is {series.get_status_display().lower()}, so it cannot be paused.",
            details={"status": series.status},
        )
    series.status = SeriesStatus.PAUSED
    series.status_reason = reason[:300]
    series.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(actor=paused_by, action="paused", obj=series, changes={"reason": series.status_reason})
    _sync(series.appointments.filter(status__in=OPEN))
    return series


@transaction.atomic
def series_resume(*, series: TreatmentSeries, resumed_by=None, note: str = "") -> TreatmentSeries:
    """Resume a paused series, or release one on hold after a provider's review. With no
    session left to happen, resuming completes it."""
    series = _locked_series(series)
    if series.status not in (SeriesStatus.PAUSED, SeriesStatus.ON_HOLD):
        raise Conflict(
            f"This series is {series.get_status_display().lower()}, so there is nothing to resume.",
            details={"status": series.status},
        )
    before = series.status
    series.status = SeriesStatus.ACTIVE
    series.status_reason = ""
    series.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(
        actor=resumed_by,
        action="resumed",
        obj=series,
        changes={"status": [before, SeriesStatus.ACTIVE], "note": (note or "")[:300]},
    )
    _complete_series_if_done(series, resumed_by)
    _sync(series.appointments.filter(status__in=OPEN))
    return series


@transaction.atomic
def series_cancel_remainder(*, series: TreatmentSeries, reason: str, cancelled_by=None) -> list[Appointment]:
    """Stop a series: every visit still to come is cancelled with the reason and the
    series is marked cancelled; what already happened stays on record."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Give a reason for cancelling the rest of the series.", details={"reason": ["Required."]})
    series = _locked_series(series)
    if series.status in (SeriesStatus.COMPLETED, SeriesStatus.CANCELLED):
        raise Conflict(
            f"This series is already {series.get_status_display().lower()}.", details={"status": series.status}
        )
    now = timezone.now()
    remaining = list(
        Appointment.objects.select_for_update(of=("self",))
        .select_related("location")
        .filter(series=series, status__in=OPEN, starts_at__gt=now)
        .order_by("starts_at")
    )
    for appointment in remaining:
        appointment.status = Status.CANCELLED
        appointment.cancel_reason = reason[:300]
        appointment.cancelled_at = now
        appointment.late_cancellation = cancellation_is_late(appointment, now)
        appointment.save(update_fields=["status", "cancel_reason", "cancelled_at", "late_cancellation", "updated_at"])
        audit_record(
            actor=cancelled_by,
            action="cancelled",
            obj=appointment,
            changes={"reason": appointment.cancel_reason, "late": appointment.late_cancellation, "with_series": True},
        )
    before = series.status
    series.status = SeriesStatus.CANCELLED
    series.status_reason = reason[:300]
    series.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(
        actor=cancelled_by,
        action="cancelled",
        obj=series,
        changes={
            "status": [before, SeriesStatus.CANCELLED],
            "reason": series.status_reason,
            "visits_cancelled": [a.pk for a in remaining],
        },
    )
    reminder_series_cancellation_notice(appointments=remaining)
    _sync(remaining)
    return remaining
