"""Writing visits: the one path every booking, move and hold takes.

A visit about to be written is a `VisitSpec`. Before it is written, `slots_check_free`
says in words what is in the way (other visits, another desk's hold, a closure or time
off); the per-location lock makes two desks take turns; and the database's constraints
(exclusion constraints on PostgreSQL, the write lock on SQLite) hold the rule when a
race gets past the checks. `visits_book` is the whole sequence the callers share: book,
audit, bring the reminders in line, all in the caller's transaction."""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import audit_record
from clinic.closures import occurrences
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Location, RoomOutOfService, TimeOff
from patients.models import Consultation, Patient

from ..models import Appointment, HeldVisit, SeriesHold, TreatmentSeries
from ..planner import PlannedVisit
from ..reminders.outbox import reminders_sync_for_appointments

# How long a desk waits for another desk's booking at the same location to finish.
LOCK_TIMEOUT_SECONDS = getattr(settings, "SCHEDULING_LOCK_TIMEOUT_SECONDS", 10)
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's lock_not_available

# The names of the database constraints that mean "that time is taken", so a race lost
# at the database is reported like a clash found by the query.
OVERLAP_CONSTRAINTS = {
    "appointment_no_provider_overlap": "The provider was booked for that time a moment ago.",
    "appointment_no_room_overlap": "The room was booked for that time a moment ago.",
    "appointment_no_patient_overlap": "The patient was booked for that time a moment ago.",
    "appointment_one_live_visit_per_session_number": "That session of the series is already booked.",
    # SQLite names the columns of a unique index rather than the index.
    "scheduling_appointment.series_id, scheduling_appointment.session_number": (
        "That session of the series is already booked."
    ),
}


@dataclass(frozen=True)
class VisitSpec:
    """The people, room and times of one visit about to be booked or moved."""

    kind: str
    provider_id: int
    room_id: int | None
    starts_at: datetime
    provider_starts_at: datetime
    provider_ends_at: datetime
    ends_at: datetime
    room_ends_at: datetime
    session_number: int | None = None

    @classmethod
    def of_row(cls, row) -> "VisitSpec":
        """The spans of a visit already on record (an appointment or a held visit), to
        write again elsewhere: a hold confirmed, a freed slot claimed."""
        return cls(
            kind=row.kind,
            provider_id=row.provider_id,
            room_id=row.room_id,
            starts_at=row.starts_at,
            provider_starts_at=row.provider_starts_at,
            provider_ends_at=row.provider_ends_at,
            ends_at=row.ends_at,
            room_ends_at=row.room_ends_at,
            session_number=row.session_number,
        )


def visit_spec(visit: PlannedVisit) -> VisitSpec:
    """The planner's visit as one to write."""
    return VisitSpec(
        kind=visit.kind,
        provider_id=visit.provider_id,
        room_id=visit.room_id,
        starts_at=visit.start,
        provider_starts_at=visit.provider_start,
        provider_ends_at=visit.provider_end,
        ends_at=visit.end,
        room_ends_at=visit.room_end,
        session_number=visit.number if visit.kind in ("session", "healing_check") else None,
    )


def conflict_from_integrity_error(error: IntegrityError) -> Conflict | InvalidRequest:
    """A constraint the database enforced, in the words the desk would have read had the
    checks above caught it first."""
    text = str(error)
    for name, message in OVERLAP_CONSTRAINTS.items():
        if name in text:
            return Conflict(message)
    return InvalidRequest(f"The visit breaks a rule of the clinic: {text.splitlines()[0]}")


# --- The per-location lock ------------------------------------------------------------
def location_lock(location: Location, *, timeout_seconds: float | None = None) -> None:
    """Make holds, bookings and moves at one location take turns, until the transaction
    ends: an advisory lock on PostgreSQL, waited for at most `timeout_seconds` (then a
    Conflict asks the desk to try again); SQLite's immediate transactions already hold the
    write lock, with the connection's own busy timeout."""
    if connection.vendor != "postgresql":
        return
    timeout = LOCK_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    digest = hashlib.blake2b(f"location:{location.pk}".encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        # Local to the transaction, and set back right after: only this wait is bounded.
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
            [f"{int(timeout * 1000)}ms"],
        )
        [previous, _] = cursor.fetchone()
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise Conflict(
                    f"Another booking at {location} is taking longer than usual; try again in a moment."
                ) from error
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


# --- What is in the way ---------------------------------------------------------------
def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _describe_clash(visit: VisitSpec, existing: Appointment, patient_id: int) -> list[str]:
    when = existing.starts_at.astimezone(ZoneInfo(existing.location.time_zone)).strftime("%a %d %b %Y %H:%M")
    found = []
    if existing.provider_id == visit.provider_id and _overlaps(
        visit.provider_starts_at, visit.provider_ends_at, existing.provider_starts_at, existing.provider_ends_at
    ):
        found.append(f"{existing.provider} already has a visit at {when}.")
    if (
        visit.room_id is not None
        and existing.room_id == visit.room_id
        and _overlaps(visit.starts_at, visit.room_ends_at, existing.starts_at, existing.room_ends_at)
    ):
        found.append(f"{existing.room.name} is already in use at {when}.")
    if existing.patient_id == patient_id and _overlaps(
        visit.starts_at, visit.ends_at, existing.starts_at, existing.ends_at
    ):
        found.append(f"The patient already has a visit at {when}.")
    return found


def _clashes_among(visits: Sequence[VisitSpec]) -> list[str]:
    problems = []
    for index, visit in enumerate(visits):
        for other in visits[index + 1 :]:
            if _overlaps(visit.starts_at, visit.room_ends_at, other.starts_at, other.room_ends_at) and (
                visit.room_id is not None and visit.room_id == other.room_id
            ):
                problems.append("Two of the new visits need the same room at the same time.")
            elif _overlaps(
                visit.provider_starts_at, visit.provider_ends_at, other.provider_starts_at, other.provider_ends_at
            ) and (visit.provider_id == other.provider_id):
                problems.append("Two of the new visits need the same provider at the same time.")
            elif _overlaps(visit.starts_at, visit.ends_at, other.starts_at, other.ends_at):
                problems.append("Two of the new visits overlap for the patient.")
    return problems


def appointment_conflicts(
    *, patient_id: int, visits: Sequence[VisitSpec], ignore_ids: Iterable[int] = ()
) -> list[str]:
    """Why these visits cannot be booked: overlaps with active visits already booked
    (one query for the whole batch) and with each other. Empty means they fit."""
    if not visits:
        return []
    overlap = Q()
    for visit in visits:
        overlap |= Q(
            provider_id=visit.provider_id,
            provider_starts_at__lt=visit.provider_ends_at,
            provider_ends_at__gt=visit.provider_starts_at,
        )
        overlap |= Q(patient_id=patient_id, starts_at__lt=visit.ends_at, ends_at__gt=visit.starts_at)
        if visit.room_id is not None:
            overlap |= Q(room_id=visit.room_id, starts_at__lt=visit.room_ends_at, room_ends_at__gt=visit.starts_at)
    clashes = (
        Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES)
        .filter(overlap)
        .exclude(id__in=list(ignore_ids))
        .select_related("provider", "room", "location")
        .order_by("starts_at")
    )
    problems: list[str] = []
    for existing in clashes:
        for visit in visits:
            problems.extend(_describe_clash(visit, existing, patient_id))
    problems += _clashes_among(visits)
    return list(dict.fromkeys(problems))


def held_conflicts(*, visits: Sequence[VisitSpec], ignore_hold_id=None, now: datetime) -> list[str]:
    """Slots another desk holds right now."""
    problems = []
    held = (
        HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now)
        .exclude(hold_id=ignore_hold_id)
        .select_related("provider", "room")
    )
    if visits:
        first = min(v.starts_at for v in visits)
        last = max(v.room_ends_at for v in visits)
        held = held.filter(starts_at__lt=last, room_ends_at__gt=first)
    for other in held:
        for visit in visits:
            if other.provider_id == visit.provider_id and _overlaps(
                other.provider_starts_at, other.provider_ends_at, visit.provider_starts_at, visit.provider_ends_at
            ):
                problems.append(f"{other.provider} is held for another patient at that time.")
            if (
                visit.room_id is not None
                and other.room_id == visit.room_id
                and _overlaps(other.starts_at, other.room_ends_at, visit.starts_at, visit.room_ends_at)
            ):
                problems.append(f"{other.room.name} is held for another patient at that time.")
    return list(dict.fromkeys(problems))


def closure_conflicts(*, location: Location, visits: Sequence[VisitSpec]) -> list[str]:
    """Closures (yearly ones too), time off and rooms out of service that appeared since the
    proposal was made."""
    if not visits:
        return []
    first, last = min(v.starts_at for v in visits), max(v.room_ends_at for v in visits)
    problems = []
    closures = location.closures.filter(Q(ends_at__gt=first) | Q(repeats_yearly=True), starts_at__lt=last)
    for closure in closures:
        spans = occurrences(closure.starts_at, closure.ends_at, location.time_zone,
                            repeats_yearly=closure.repeats_yearly, start=first, end=last)
        if any(_overlaps(v.starts_at, v.room_ends_at, a, b) for v in visits for a, b in spans):
            problems.append(f"The clinic is closed then ({closure.reason}).")
    provider_ids = {v.provider_id for v in visits}
    away = TimeOff.objects.filter(provider_id__in=provider_ids, starts_at__lt=last, ends_at__gt=first)
    for off in away.select_related("provider"):
        if any(
            v.provider_id == off.provider_id
            and _overlaps(v.provider_starts_at, v.provider_ends_at, off.starts_at, off.ends_at)
            for v in visits
        ):
            problems.append(f"{off.provider} is away then.")
    room_ids = {v.room_id for v in visits if v.room_id is not None}
    spells = RoomOutOfService.objects.filter(room_id__in=room_ids, starts_at__lt=last, ends_at__gt=first)
    for spell in spells.select_related("room"):
        if any(
            v.room_id == spell.room_id and _overlaps(v.starts_at, v.room_ends_at, spell.starts_at, spell.ends_at)
            for v in visits
        ):
            problems.append(f"{spell.room.name} is out of service then.")
    return problems


def slots_check_free(
    *, location: Location, patient: Patient, visits: Sequence[VisitSpec], ignore_ids=(), ignore_hold_id=None
) -> None:
    """A Conflict naming everything in the way of these visits, or nothing."""
    now = timezone.now()
    if any(v.starts_at < now for v in visits):
        raise Conflict("Part of this plan is already in the past; ask for a new proposal.")
    problems = (
        appointment_conflicts(patient_id=patient.pk, visits=visits, ignore_ids=ignore_ids)
        + held_conflicts(visits=visits, ignore_hold_id=ignore_hold_id, now=now)
        + closure_conflicts(location=location, visits=visits)
    )
    if problems:
        raise Conflict(
            "Some of these slots were taken meanwhile: " + " ".join(problems), details={"conflicts": problems}
        )


# --- Writing --------------------------------------------------------------------------
def appointments_book(
    *,
    location: Location,
    patient: Patient,
    visits: Sequence[VisitSpec],
    series: TreatmentSeries | None = None,
    consultation: Consultation | None = None,
    created_by=None,
    status: str = Appointment.Status.BOOKED,
) -> list[Appointment]:
    """Write several visits for one patient: all of them or none. No audit, no reminders:
    callers that book for a patient use `visits_book`.

    The overlap query gives staff a readable reason; the write lock (SQLite's immediate
    transaction) or the exclusion constraints (PostgreSQL) make the rule hold when two
    desks book at once."""
    appointments = [
        Appointment(
            kind=visit.kind,
            location=location,
            patient=patient,
            provider_id=visit.provider_id,
            room_id=visit.room_id,
            series=series,
            session_number=visit.session_number,
            consultation=consultation if visit.kind == Appointment.Kind.CONSULTATION else None,
            starts_at=visit.starts_at,
            provider_starts_at=visit.provider_starts_at,
            provider_ends_at=visit.provider_ends_at,
            ends_at=visit.ends_at,
            room_ends_at=visit.room_ends_at,
            status=status,
            created_by=created_by,
        )
        for visit in visits
    ]
    for appointment in appointments:
        try:
            # Constraints are checked below in one query and finally by the database,
            # rather than one query per constraint per visit here.
            appointment.full_clean(
                exclude=["location", "patient", "provider", "room", "series", "consultation"],
                validate_constraints=False,
            )
        except ValidationError as error:
            raise InvalidRequest("The visit is not valid.", details=error.message_dict) from error
    try:
        with transaction.atomic():
            problems = appointment_conflicts(patient_id=patient.pk, visits=visits)
            if problems:
                raise Conflict(" ".join(problems), details={"conflicts": problems})
            created = Appointment.objects.bulk_create(appointments)
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error
    return created


def visits_book(
    *,
    location: Location,
    patient: Patient,
    visits: Sequence[VisitSpec],
    booked_by=None,
    series: TreatmentSeries | None = None,
    consultation: Consultation | None = None,
    audited: bool = True,
    reminders: bool = True,
    booked_as: str = "",
) -> list[Appointment]:
    """Book visits for a patient: write them, audit each as booked and bring their
    reminders in line, in the caller's transaction. A series confirmation audits the
    series and sends one confirmation instead (`audited=False, reminders=False`).
    `booked_as` names the actor when nobody signed in (a patient booking online)."""
    appointments = appointments_book(
        location=location,
        patient=patient,
        visits=visits,
        series=series,
        consultation=consultation,
        created_by=booked_by,
    )
    if audited:
        for appointment in appointments:
            audit_record(
                actor=booked_by,
                actor_label=booked_as,
                action="booked",
                obj=appointment,
                changes={"kind": appointment.kind, "starts_at": appointment.starts_at,
                         "provider": appointment.provider_id},
            )
    if reminders:
        reminders_sync_for_appointments(appointments=appointments)
    return appointments
