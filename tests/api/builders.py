"""Build the states the API tests start from through the same services the API calls."""

from datetime import timedelta

import time_machine

from patients.services import consultation_assess
from scheduling import services
from scheduling.models import Appointment, TreatmentSeries
from scheduling.planner import Preferences
from tests import factories


def consultation_visit(*, clinic, patient=None, when, desk_user=None) -> Appointment:
    """A booked consultation visit (the clock must be before `when`)."""
    patient = patient or factories.PatientFactory()
    return services.consultation_book(
        patient=patient, location=clinic["location"], provider=clinic["provider"], starts_at=when, booked_by=desk_user
    )


def eligible_consultation(*, clinic, when, patient=None, fitzpatrick_type=2, findings=()):
    """A consultation booked for `when` and assessed eligible at it; the clock ends just after."""
    with time_machine.travel(when - timedelta(days=1), tick=False):
        visit = consultation_visit(clinic=clinic, patient=patient, when=when)
    with time_machine.travel(when + timedelta(minutes=15), tick=False):
        consultation_assess(
            consultation=visit.consultation,
            assessed_by=clinic["provider"].user,
            fitzpatrick_type=fitzpatrick_type,
            findings=list(findings),
            recommended_sessions=3,
            areas={"face": "1.00"},
            clinical_notes="Fine lines around the eyes.",
        )
    visit.consultation.refresh_from_db()
    return visit.consultation


def booked_series(*, clinic, consultation, user=None, provider=None, earliest_start=None) -> TreatmentSeries:
    """Propose, hold and confirm a series for the consultation at the current clock."""
    provider = provider or clinic["provider"]
    result = services.series_propose(
        consultation=consultation,
        location=clinic["location"],
        earliest_start=earliest_start,
        preferences=Preferences(provider_id=provider.pk),
    )
    assert result.best is not None, result.problem
    hold = services.series_hold(consultation=consultation, location=clinic["location"], plan=result.best, held_by=user)
    return services.series_confirm(hold=hold, confirmed_by=user)


def sessions(series: TreatmentSeries) -> list[Appointment]:
    return list(series.appointments.filter(kind="session").exclude(status="cancelled").order_by("session_number"))
