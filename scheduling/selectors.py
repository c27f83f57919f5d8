"""Reads for scheduling: querysets with the joins their callers need."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from clinic.errors import InvalidRequest
from clinic.models import Location, Provider, Room
from patients.models import Consultation, Patient, RecommendedArea

from .models import Appointment, TreatmentProtocol, TreatmentSeries
from .visibility import appointment_visible, patient_visible, series_visible

# Read on every booking and every free-slot question: written out once, because building
# the query for a model of some fifty fields costs more than running it.
_ACTIVE_PROTOCOL_SQL = f"SELECT * FROM {TreatmentProtocol._meta.db_table} WHERE is_active ORDER BY id LIMIT 1"


def protocol_active() -> TreatmentProtocol:
    """The clinic's active treatment protocol (the first active one, by id): the one
    place that says which protocol new bookings follow."""
    protocol = next(iter(TreatmentProtocol.objects.raw(_ACTIVE_PROTOCOL_SQL)), None)
    if protocol is None:
        raise InvalidRequest("No active treatment protocol is configured.")
    return protocol


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
         WHERE p.id = (SELECT id FROM ({_ACTIVE_PROTOCOL_SQL}) AS active)
         ORDER BY a.id"""
    rows = list(TreatmentProtocol.objects.raw(
        sql, [consultation.pk, TreatmentSeries.Status.CANCELLED.value, consultation.pk]))
    if not rows:
        return PlanningFacts(protocol=None, has_live_series=False, areas=[])
    return PlanningFacts(protocol=rows[0], has_live_series=bool(rows[0].consultation_has_series),
                         areas=[row.planned_area for row in rows if row.planned_area])


# --- Visits, series and patients as staff see them -------------------------------------
# `provider` narrows a read to what one provider may see (scheduling.visibility says
# what that is); None is the whole clinic.
def appointment_list(
    *,
    provider: Provider | None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    location: Location | None = None,
    with_provider: Provider | None = None,
    room: Room | None = None,
    patient: Patient | None = None,
    series: TreatmentSeries | None = None,
    kinds: Iterable[str] = (),
    statuses: Iterable[str] = (),
) -> QuerySet[Appointment]:
    """The diary: visits in a time range, filtered as the desk asks, in time order."""
    appointments = appointment_visible(provider=provider)
    if starts_after is not None:
        appointments = appointments.filter(starts_at__gte=starts_after)
    if starts_before is not None:
        appointments = appointments.filter(starts_at__lt=starts_before)
    filters = {"location": location, "provider": with_provider, "room": room, "patient": patient, "series": series}
    appointments = appointments.filter(**{name: value for name, value in filters.items() if value is not None})
    if kinds:
        appointments = appointments.filter(kind__in=list(kinds))
    if statuses:
        appointments = appointments.filter(status__in=list(statuses))
    return appointments.order_by("starts_at", "pk")


def series_with_visits(*, provider: Provider | None) -> QuerySet[TreatmentSeries]:
    """Series, each with all its visits in time order (`visits_in_order`)."""
    visits = (
        Appointment.objects.select_related("patient", "provider", "room", "location")
        .prefetch_related("treated_areas")
        .order_by("starts_at")
    )
    return series_visible(provider=provider).prefetch_related(
        Prefetch("appointments", queryset=visits, to_attr="visits_in_order")
    )


def series_list(
    *,
    provider: Provider | None,
    patient: Patient | None = None,
    statuses: Iterable[str] = (),
    location: Location | None = None,
) -> QuerySet[TreatmentSeries]:
    series = series_with_visits(provider=provider)
    if patient is not None:
        series = series.filter(patient=patient)
    if location is not None:
        series = series.filter(location=location)
    if statuses:
        series = series.filter(status__in=list(statuses))
    return series.order_by("-created_at", "-pk")


def patient_detail(*, provider: Provider | None) -> QuerySet[Patient]:
    """Patients `provider` may see, with their series, consultations and every visit (that
    they exist: the brief shapes carry no clinical field), in a fixed number of queries."""
    appointments = Appointment.objects.select_related("provider", "room", "location").order_by("starts_at")
    return patient_visible(provider=provider).prefetch_related(
        Prefetch(
            "series", queryset=TreatmentSeries.objects.select_related("location", "provider").order_by("-created_at")
        ),
        Prefetch("consultations", queryset=Consultation.objects.select_related("provider").order_by("-created_at")),
        Prefetch("appointments", queryset=appointments),
    )
