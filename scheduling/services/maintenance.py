"""Maintenance visits after a series: every two to three months, with the same provider
where possible."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.errors import InvalidRequest

from .. import loader
from ..models import Appointment, TreatmentSeries
from ..planner import Plan, PlanResult, Preferences, SeriesRequest, plan_maintenance
from .booking import conflict_from_integrity_error, location_lock, slots_check_free, visit_spec, visits_book
from .series import consultation_areas


def maintenance_anchor(*, last_treatment, protocol, now):
    """What the first maintenance window counts from: the last treatment, or, once its
    window (maintenance_min..max days after it) has closed, a moment placed so the
    window opens tomorrow. A patient who is overdue is still welcome, and the prompts
    keep inviting them, so the desk must be able to book them."""
    if last_treatment + timedelta(days=protocol.maintenance_max_days) >= now + timedelta(days=1):
        return last_treatment
    return now + timedelta(days=1 - protocol.maintenance_min_days)


def maintenance_propose(*, series: TreatmentSeries, count: int = 1, alternatives: int = 3) -> PlanResult:
    """Maintenance visits at the protocol's interval after the last session or
    maintenance visit of the series."""
    if not 1 <= count <= 4:
        raise InvalidRequest(
            "Propose one to four maintenance visits at a time.", details={"count": ["Between 1 and 4."]}
        )
    if series.status == TreatmentSeries.Status.CANCELLED:
        raise InvalidRequest("This series was cancelled.")
    protocol = series.protocol
    last = (series.appointments.filter(kind__in=("session", "maintenance"), status__in=Appointment.ACTIVE_STATUSES)
            .order_by("-starts_at").first())
    if last is None:
        raise InvalidRequest("The series has no session to follow.")
    now = timezone.now()
    start = max(now, last.ends_at)
    after = maintenance_anchor(last_treatment=last.starts_at, protocol=protocol, now=now)
    end = after + timedelta(days=protocol.maintenance_max_days * count + 30)
    diary = loader.diary_load(location=series.location, start=start, end=end, patient=series.patient)
    request = SeriesRequest(
        location=diary.location,
        rules=loader.series_rules(
            protocol, session_count=series.session_count, areas=consultation_areas(series.consultation)
        ),
        patient_busy=diary.patient_busy,
        earliest_start=start,
        horizon_end=end,
        preferences=Preferences(provider_id=series.provider_id) if series.provider_id else Preferences(),
        alternatives=alternatives,
    )
    result = plan_maintenance(request, after=after, count=count)
    if result.best is None and series.provider_id:
        # The usual provider may be fully booked: any provider is better than none.
        request = SeriesRequest(location=request.location, rules=request.rules, patient_busy=request.patient_busy,
                                earliest_start=start, horizon_end=end, alternatives=alternatives)
        result = plan_maintenance(request, after=after, count=count)
    return result


def maintenance_book(*, series: TreatmentSeries, plan: Plan, booked_by=None) -> list[Appointment]:
    """Book proposed maintenance visits for a series."""
    visits = [v for v in plan.visits if v.kind == "maintenance"]
    if not visits:
        raise InvalidRequest("The proposal has no maintenance visits.")
    try:
        with transaction.atomic():
            location_lock(series.location)
            specs = [visit_spec(v) for v in visits]
            slots_check_free(location=series.location, patient=series.patient, visits=specs)
            return visits_book(location=series.location, patient=series.patient, visits=specs, series=series,
                               booked_by=booked_by)
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error
