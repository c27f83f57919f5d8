"""What the fixtures and the tests build with: London times, staff logins, and the states a
test starts from, made through the same services the API and the pages call."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from scheduling import services
from scheduling.models import Appointment, ConsentVersion, TreatmentProtocol, TreatmentSeries
from scheduling.planner import Preferences
from scheduling.services.consent import consent_sign
from tests import factories

LONDON = ZoneInfo("Europe/London")
# Monday 1 March 2027, four weeks before the clocks go forward (28 March): series cross summer time.
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour, minute), LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2027) -> datetime:
    """A time in London, in March 2027 unless told otherwise: at(2, 10) is 10:00 on Tuesday 2 March."""
    return london(year, month, day, hour, minute)


def staff(role: str, **kwargs) -> User:
    """A login in one of the clinic's roles (the groups a migration makes)."""
    user = factories.UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user) -> Client:
    """A Django test client with the user signed in, as the pages take a login."""
    client = Client()
    client.force_login(user)
    return client


def consultation_visit(*, clinic, when, patient=None, desk_user=None) -> Appointment:
    """A booked consultation visit with the clinic's provider (the clock must be before `when`)."""
    patient = patient or factories.PatientFactory()
    return services.consultation_book(
        patient=patient, location=clinic["location"], provider=clinic["provider"], starts_at=when, booked_by=desk_user
    )


def eligible_consultation(*, clinic, when, patient=None, sessions=3, fitzpatrick_type=2, findings=()):
    """A consultation booked for `when` and assessed eligible at it; the clock ends just after."""
    with time_machine.travel(when - timedelta(days=1), tick=False):
        visit = consultation_visit(clinic=clinic, patient=patient, when=when)
    with time_machine.travel(when + timedelta(minutes=15), tick=False):
        services.consultation_assess(
            consultation=visit.consultation,
            assessed_by=clinic["provider"].user,
            fitzpatrick_type=fitzpatrick_type,
            findings=list(findings),
            recommended_sessions=sessions,
            areas={"face": "1.00"},
            clinical_notes="Fine lines around the eyes.",
        )
    visit.consultation.refresh_from_db()
    return visit.consultation


def consent_signed(patient, *, protocol=None, witnessed_by=None):
    """The patient signs the protocol's current consent at the current clock, online (or at
    the desk with `witnessed_by`), as a patient about to start treatment does."""
    protocol = protocol or TreatmentProtocol.objects.get(slug="facial-microneedling")
    version = ConsentVersion.objects.filter(document__protocol=protocol).order_by("-number").first()
    if version is None:
        return None  # a protocol with no consent document needs none
    return consent_sign(
        patient=patient, version=version, signed_name=patient.full_name,
        sections_ticked=[section["title"] for section in version.sections],
        address="192.0.2.10", user_agent="pytest", witnessed_by=witnessed_by,
    )


def booked_series(
    *, clinic, consultation, user=None, provider=None, sessions=None, earliest_start=None, consented=True
) -> TreatmentSeries:
    """Propose, hold and confirm a series for the consultation at the current clock; the
    patient signs the consent then too, unless `consented` is False."""
    provider = provider or clinic["provider"]
    result = services.series_propose(
        consultation=consultation,
        location=clinic["location"],
        earliest_start=earliest_start,
        session_count=sessions,
        preferences=Preferences(provider_id=provider.pk),
    )
    assert result.best is not None, result.problem
    hold = services.series_hold(consultation=consultation, location=clinic["location"], plan=result.best, held_by=user)
    series = services.series_confirm(hold=hold, confirmed_by=user)
    if consented:
        consent_signed(consultation.patient, protocol=series.protocol)
    return series


def sessions(series: TreatmentSeries) -> list[Appointment]:
    return list(series.appointments.filter(kind="session").exclude(status="cancelled").order_by("session_number"))
