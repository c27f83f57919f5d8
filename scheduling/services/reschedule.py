"""Moving a visit, and with a session the rest of its series: the preview staff see
before anything is saved, and the same cascade applied in one transaction."""

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Provider

from .. import loader
from ..models import Appointment
from ..planner import PlannedVisit, Preferences, Problem, SeriesRequest, plan_reschedule
from ..reminders.events import reminders_visits_rescheduled
from ..selectors import protocol_active
from .availability import availability_slot_at
from .booking import conflict_from_integrity_error, location_lock, slots_check_free, visit_spec, visits_book
from .series import consultation_areas


@dataclass(frozen=True)
class VisitChange:
    """One visit as it would move: appointment_id None is a new visit."""

    appointment_id: int | None
    kind: str
    number: int | None
    old_start: datetime | None
    new: PlannedVisit


@dataclass(frozen=True)
class ReschedulePreview:
    appointment_id: int
    changes: list[VisitChange] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    problem: Problem | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.message


def _as_planned(appointment: Appointment, tz_date) -> PlannedVisit:
    return PlannedVisit(
        kind=appointment.kind, number=appointment.session_number or 0, provider_id=appointment.provider_id,
        room_id=appointment.room_id, start=appointment.starts_at, provider_start=appointment.provider_starts_at,
        provider_end=appointment.provider_ends_at, end=appointment.ends_at, room_end=appointment.room_ends_at,
        window_start=tz_date(appointment.starts_at), window_end=tz_date(appointment.starts_at),
        local_date=tz_date(appointment.starts_at),
    )


def appointment_reschedule_preview(
    *, appointment: Appointment, new_start: datetime, provider: Provider | None = None
) -> ReschedulePreview:
    """What moving this visit would change, before anything is saved.

    Moving session k keeps later sessions where they are when their intervals still
    fit, and otherwise moves them by the smallest change that puts every interval back
    in its window; healing checks and the review follow the sessions they belong to."""
    if appointment.status not in Appointment.OPEN_STATUSES:
        raise InvalidRequest(f"A {appointment.get_status_display().lower()} visit cannot be moved.")
    if timezone.is_naive(new_start):
        raise InvalidRequest("Give the new time with its time zone.", details={"starts_at": ["Include a UTC offset."]})
    if new_start < timezone.now():
        raise InvalidRequest("That time has already passed.", details={"starts_at": ["Must be in the future."]})
    if appointment.kind != "session" or appointment.series_id is None:
        return _one_visit_moved(appointment=appointment, new_start=new_start, provider=provider)
    return _session_moved(appointment=appointment, new_start=new_start, provider=provider)


def _one_visit_moved(*, appointment: Appointment, new_start: datetime, provider: Provider | None) -> ReschedulePreview:
    """A visit that carries no series with it: the same checks as a new booking."""
    protocol = appointment.series.protocol if appointment.series_id else protocol_active()
    areas = [a.area for a in appointment.treated_areas.all()] or (
        consultation_areas(appointment.series.consultation) if appointment.series_id else ["face"]
    )
    visit = availability_slot_at(
        location=appointment.location, kind=appointment.kind, starts_at=new_start,
        provider=provider or appointment.provider, room=None, patient=appointment.patient,
        protocol=protocol, areas=areas, ignore_ids=[appointment.pk],
    )
    change = VisitChange(appointment.pk, appointment.kind, appointment.session_number, appointment.starts_at, visit)
    return ReschedulePreview(appointment_id=appointment.pk, changes=[change])


@dataclass(frozen=True)
class SeriesDiary:
    """A series read once with its location's diary, so several new times for one of its
    sessions can be tried without loading again (the re-planning board tries a few)."""

    appointment: Appointment
    own: list[Appointment]
    booked: list[PlannedVisit]
    planner_number: dict[int, int]
    real_number: dict[int, int]
    request: SeriesRequest


def series_diary(*, appointment: Appointment, latest: datetime | None = None) -> SeriesDiary:
    """The session's series and the diary around it, from now until every later session
    could have moved to the end of its window (or `latest`, if later)."""
    series = appointment.series
    protocol = series.protocol
    tz = ZoneInfo(appointment.location.time_zone)

    def local_date(moment):
        return moment.astimezone(tz).date()

    own = list(series.appointments.filter(status__in=Appointment.ACTIVE_STATUSES)
               .exclude(kind="maintenance").order_by("starts_at"))
    # The planner numbers the sessions that still stand 1..m; a cancelled session
    # leaves no gap, so the intervals run between the sessions the patient will have.
    sessions = [a for a in own if a.kind == "session"]
    planner_number = {a.session_number: index for index, a in enumerate(sessions, start=1)}
    real_number = {index: number for number, index in planner_number.items()}
    booked = []
    for visit in own:
        if visit.kind == "review":
            booked.append(replace(_as_planned(visit, local_date), number=1))
        elif visit.session_number in planner_number:
            booked.append(replace(_as_planned(visit, local_date), number=planner_number[visit.session_number]))
    start = min(timezone.now(), latest or timezone.now())
    # Far enough for every later session to move to the end of its window, and its review.
    reach = timedelta(days=protocol.max_interval_days * series.session_count + protocol.review_max_days)
    end = max(max(a.room_ends_at for a in own) + reach + timedelta(days=60), (latest or start) + reach)
    diary = loader.diary_load(location=appointment.location, start=start, end=end, patient=series.patient,
                              ignore_appointment_ids=[a.pk for a in own])
    areas = consultation_areas(series.consultation)
    request = SeriesRequest(
        location=diary.location,
        rules=loader.series_rules(protocol, session_count=len(sessions), areas=areas),
        patient_busy=diary.patient_busy,
        earliest_start=start,
        horizon_end=end,
        preferences=Preferences(),
        alternatives=0,
    )
    return SeriesDiary(appointment, own, booked, planner_number, real_number, request)


def series_session_moved(
    found: SeriesDiary, *, new_start: datetime, provider_id: int | None = None
) -> ReschedulePreview:
    """A session of `found` moved to `new_start`, with the cascade through the rest of its series."""
    appointment = found.appointment
    # The follow-ups go in too: the planner carries over those of unchanged sessions.
    result = plan_reschedule(found.request, found.booked, found.planner_number[appointment.session_number],
                             new_start, provider_id=provider_id)
    if result.problem is not None:
        # The planner counts only the sessions that stand; staff know them by their own numbers.
        message = re.sub(r"\b([Ss]ession) (\d+)\b",
                         lambda m: f"{m.group(1)} {found.real_number.get(int(m.group(2)), m.group(2))}",
                         result.problem.message)
        return ReschedulePreview(appointment_id=appointment.pk, problem=result.problem, message=message)
    return _matched(appointment=appointment, own=found.own, planned=result.visits, real_number=found.real_number)


def visit_moved_alone(*, appointment: Appointment, new_start: datetime, provider: Provider | None) -> ReschedulePreview:
    """This visit alone at `new_start`, the rest of its series left where it is: every rule
    of a booking checked except the series' intervals (staff chose to break its window)."""
    return _one_visit_moved(appointment=appointment, new_start=new_start, provider=provider)


def _session_moved(*, appointment: Appointment, new_start: datetime, provider: Provider | None) -> ReschedulePreview:
    """A session moved, with the cascade through the rest of its series."""
    found = series_diary(appointment=appointment, latest=new_start)
    return series_session_moved(found, new_start=new_start, provider_id=provider.pk if provider else None)


def _matched(*, appointment: Appointment, own: list[Appointment], planned, real_number: dict) -> ReschedulePreview:
    """Match the new list of visits with the existing ones by kind and session; a visit
    that did not move keeps its appointment untouched."""
    existing = {(a.kind, a.session_number if a.kind != "review" else 0): a for a in own}
    changes: list[VisitChange] = []
    matched: set[int] = set()
    for visit in planned:
        number = 0 if visit.kind == "review" else real_number[visit.number]
        visit = replace(visit, number=number)
        current = existing.get((visit.kind, number))
        if current is not None:
            matched.add(current.pk)
            if (current.starts_at, current.provider_id, current.room_id) == (
                visit.start,
                visit.provider_id,
                visit.room_id,
            ):
                continue
            if current.status not in Appointment.OPEN_STATUSES:
                continue  # what already happened stays as it happened
        changes.append(VisitChange(current.pk if current else None, visit.kind, number or None,
                                   current.starts_at if current else None, visit))
    now = timezone.now()
    cancelled = [
        a.pk for a in own if a.pk not in matched and a.status in Appointment.OPEN_STATUSES and a.starts_at > now
    ]
    return ReschedulePreview(appointment_id=appointment.pk, changes=changes, cancelled=cancelled)


def preview_fingerprint(preview: ReschedulePreview) -> list[list]:
    """What a preview would change, as plain values: the moves shown to a patient must be
    the moves applied."""
    moves = sorted([change.appointment_id or 0, int(change.new.start.timestamp())] for change in preview.changes)
    return moves + [[pk, -1] for pk in sorted(preview.cancelled)]


def _visit_move(row: Appointment, visit, *, changed_by, actor_label: str = "") -> datetime:
    """Write one visit's new place and audit it; returns the time it had before."""
    before = {"starts_at": row.starts_at, "provider": row.provider_id, "room": row.room_id}
    row.starts_at, row.provider_starts_at, row.provider_ends_at = visit.start, visit.provider_start, visit.provider_end
    row.ends_at, row.room_ends_at = visit.end, visit.room_end
    row.provider_id, row.room_id = visit.provider_id, visit.room_id
    row.save(
        update_fields=[
            "starts_at",
            "provider_starts_at",
            "provider_ends_at",
            "ends_at",
            "room_ends_at",
            "provider",
            "room",
            "updated_at",
        ]
    )
    audit_record(
        actor=changed_by,
        actor_label=actor_label,
        action="rescheduled",
        obj=row,
        changes={
            "starts_at": [before["starts_at"], row.starts_at],
            "provider": [before["provider"], row.provider_id],
            "room": [before["room"], row.room_id],
        },
    )
    return before["starts_at"]


def appointment_reschedule(
    *, appointment: Appointment, new_start: datetime, provider: Provider | None = None, changed_by=None,
    actor_label: str = "", expected: list[list] | None = None,
) -> list[Appointment]:
    """Apply the same cascade the preview showed, in one transaction; a Conflict if the
    slots were taken since, or if the cascade is no longer the `expected` one (the
    preview's `preview_fingerprint` someone confirmed)."""
    try:
        with transaction.atomic():
            appointment = Appointment.objects.select_for_update(of=("self",)).select_related("location", "series").get(
                pk=appointment.pk)
            location_lock(appointment.location)
            preview = appointment_reschedule_preview(appointment=appointment, new_start=new_start, provider=provider)
            if not preview.ok:
                raise Conflict(preview.message or "That move does not fit.")
            if expected is not None and preview_fingerprint(preview) != expected:
                raise Conflict("The times have changed since you looked. Please choose again.")
            moved, dropped = reschedule_write(
                appointment=appointment, preview=preview, changed_by=changed_by, actor_label=actor_label
            )
            # One message for the whole cascade, then each visit's reminders follow it.
            reminders_visits_rescheduled(moved=moved, dropped=dropped)
            return [visit for visit, _ in moved]
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error


def reschedule_write(
    *, appointment: Appointment, preview: ReschedulePreview, changed_by=None, cancel_reason: str = "",
    actor_label: str = "",
) -> tuple[list[tuple[Appointment, datetime | None]], list[Appointment]]:
    """Write a preview worked out under the location's lock: the visits moved (each with
    the time it had) and those no longer needed. The caller holds the lock, tells the
    patient (one message for all of it) and catches the database's last word."""
    ids = [c.appointment_id for c in preview.changes if c.appointment_id] + preview.cancelled
    rows = {a.pk: a for a in Appointment.objects.select_for_update().filter(pk__in=ids)}
    specs = [visit_spec(c.new) for c in preview.changes]
    slots_check_free(location=appointment.location, patient=appointment.patient, visits=specs, ignore_ids=ids)
    # Park the moving rows outside the exclusion constraints first, so a visit
    # moving into another's old slot of the same series never trips them midway.
    moving = [c.appointment_id for c in preview.changes if c.appointment_id]
    statuses = {pk: rows[pk].status for pk in moving}
    Appointment.objects.filter(pk__in=moving + preview.cancelled).update(
        status="cancelled", cancel_reason="Rescheduling"
    )
    moved: list[tuple[Appointment, datetime | None]] = []
    for change in preview.changes:
        visit = change.new
        if change.appointment_id is None:
            # Its reminders are brought in line with the others' by the caller's message.
            [created] = visits_book(location=appointment.location, patient=appointment.patient,
                                    visits=[visit_spec(visit)], series=appointment.series,
                                    booked_by=changed_by, reminders=False)
            moved.append((created, None))
            continue
        row = rows[change.appointment_id]
        moved.append((row, _visit_move(row, change.new, changed_by=changed_by, actor_label=actor_label)))
    for status in set(statuses.values()):
        Appointment.objects.filter(pk__in=[pk for pk, s in statuses.items() if s == status]).update(
            status=status, cancel_reason="")
    dropped = Appointment.objects.filter(pk__in=preview.cancelled)
    dropped.update(cancel_reason=cancel_reason or "Replaced when the series was rescheduled",
                   cancelled_at=timezone.now())
    for pk in preview.cancelled:
        audit_record(
            actor=changed_by, actor_label=actor_label, action="cancelled", obj=rows[pk],
            changes={"reason": "series rescheduled"},
        )
    return moved, list(dropped)
