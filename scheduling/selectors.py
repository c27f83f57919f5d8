"""Reads for scheduling: querysets with the joins their callers need."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from patients.models import Consultation, RecommendedArea

from .models import Appointment, TreatmentProtocol, TreatmentSeries


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


def active_appointments() -> QuerySet[Appointment]:
    return Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES)


def appointment_conflicts(
    *, patient_id: int, visits: Sequence[VisitSpec], ignore_ids: Iterable[int] = ()
) -> list[str]:
    """Why these visits cannot be booked: overlaps with active visits already booked
    (one query for the whole batch) and with each other. Empty means they fit."""
    if not visits:
        return []
    overlap = Q()
    for visit in visits:
        overlap |= Q(provider_id=visit.provider_id, provider_starts_at__lt=visit.provider_ends_at,
                     provider_ends_at__gt=visit.provider_starts_at)
        overlap |= Q(patient_id=patient_id, starts_at__lt=visit.ends_at, ends_at__gt=visit.starts_at)
        if visit.room_id is not None:
            overlap |= Q(room_id=visit.room_id, starts_at__lt=visit.room_ends_at, room_ends_at__gt=visit.starts_at)
    clashes = (
        active_appointments()
        .filter(overlap)
        .exclude(id__in=list(ignore_ids))
        .select_related("provider", "room", "location")
        .order_by("starts_at")
    )
    problems: list[str] = []
    for existing in clashes:
        for visit in visits:
            problems.extend(_describe_clash(visit, existing, patient_id))
    for index, visit in enumerate(visits):
        for other in visits[index + 1:]:
            if _overlaps(visit.starts_at, visit.room_ends_at, other.starts_at, other.room_ends_at) and (
                visit.room_id is not None and visit.room_id == other.room_id
            ):
                problems.append("Two of the new visits need the same room at the same time.")
            elif _overlaps(visit.provider_starts_at, visit.provider_ends_at, other.provider_starts_at, other.provider_ends_at) and (
                visit.provider_id == other.provider_id
            ):
                problems.append("Two of the new visits need the same provider at the same time.")
            elif _overlaps(visit.starts_at, visit.ends_at, other.starts_at, other.ends_at):
                problems.append("Two of the new visits overlap for the patient.")
    return list(dict.fromkeys(problems))


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _describe_clash(visit: VisitSpec, existing: Appointment, patient_id: int) -> list[str]:
    when = existing.starts_at.astimezone(ZoneInfo(existing.location.time_zone)).strftime("%a %d %b %Y %H:%M")
    found = []
    if existing.provider_id == visit.provider_id and _overlaps(
        visit.provider_starts_at, visit.provider_ends_at, existing.provider_starts_at, existing.provider_ends_at
    ):
        found.append(f"{existing.provider} already has a visit at {when}.")
    if visit.room_id is not None and existing.room_id == visit.room_id and _overlaps(
        visit.starts_at, visit.room_ends_at, existing.starts_at, existing.room_ends_at
    ):
        found.append(f"{existing.room.name} is already in use at {when}.")
    if existing.patient_id == patient_id and _overlaps(visit.starts_at, visit.ends_at, existing.starts_at, existing.ends_at):
        found.append(f"The patient already has a visit at {when}.")
    return found


@dataclass(frozen=True)
class PlanningFacts:
    """What a proposal needs to know before it loads the diary."""

    protocol: TreatmentProtocol | None  # the active protocol (the first, by id)
    has_live_series: bool  # the consultation already has a series that is not cancelled
    areas: list[str]  # the areas its plan treats, as recorded


def consultation_planning_facts(consultation: Consultation) -> PlanningFacts:
    """The active protocol, whether the consultation already has a live series, and its
    plan's areas, in one query (one row per area): a proposal is asked for often, and
    each round trip to the database costs more than the reading."""
    sql = f"""
        SELECT p.*,
               EXISTS (SELECT 1 FROM {TreatmentSeries._meta.db_table} s
                        WHERE s.consultation_id = %s AND s.status <> %s) AS consultation_has_series,
               a.area AS planned_area
          FROM {TreatmentProtocol._meta.db_table} p
          LEFT JOIN {RecommendedArea._meta.db_table} a ON a.consultation_id = %s
         WHERE p.id = (SELECT id FROM {TreatmentProtocol._meta.db_table} WHERE is_active ORDER BY id LIMIT 1)
         ORDER BY a.id"""
    rows = list(TreatmentProtocol.objects.raw(
        sql, [consultation.pk, TreatmentSeries.Status.CANCELLED.value, consultation.pk]))
    if not rows:
        return PlanningFacts(protocol=None, has_live_series=False, areas=[])
    return PlanningFacts(protocol=rows[0], has_live_series=bool(rows[0].consultation_has_series),
                         areas=[row.planned_area for row in rows if row.planned_area])
