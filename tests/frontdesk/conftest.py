"""Fixtures for the pages: a clinic, a login per role (with a password, for the
browser), and Django test clients signed in as each."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from clinic import roles
from patients.services import consultation_assess
from scheduling import services
from scheduling.planner import Preferences
from tests import factories

LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct-horse-battery"
# Monday 1 March 2027, before the clocks change on 28 March: series cross summer time.
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2027) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour, minute), LONDON)


def staff(role: str, **kwargs):
    user = factories.UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clinic(db):
    """A London location open 08:00-20:00 daily, two providers working those hours, two rooms."""
    location = factories.LocationFactory(name="Marylebone", late_cancel_notice_hours=24)
    first = factories.ProviderFactory(location=location, display_name="Dr Asha Patel",
                                      user=factories.UserFactory(username="dr.patel", first_name="Asha", last_name="Patel"))
    second = factories.ProviderFactory(location=location, display_name="Chidi Okafor",
                                       user=factories.UserFactory(username="nurse.okafor"))
    for provider in (first, second):
        provider.user.groups.add(Group.objects.get(name=roles.PROVIDER))
    rooms = [factories.RoomFactory(location=location, name=name) for name in ("Room 1", "Room 2")]
    return {"location": location, "provider": first, "other_provider": second, "rooms": rooms}


@pytest.fixture
def desk_user(db):
    return staff(roles.FRONT_DESK, username="desk", first_name="Dana", last_name="Desk")


@pytest.fixture
def admin_user(db):
    return staff(roles.CLINIC_ADMIN, username="clinicadmin", is_staff=True)


@pytest.fixture
def desk(desk_user) -> Client:
    return signed_in(desk_user)


@pytest.fixture
def admin(admin_user) -> Client:
    return signed_in(admin_user)


@pytest.fixture
def doctor(clinic) -> Client:
    return signed_in(clinic["provider"].user)


def consultation_visit(*, clinic, when, patient=None, desk_user=None):
    patient = patient or factories.PatientFactory()
    return services.consultation_book(patient=patient, location=clinic["location"], provider=clinic["provider"],
                                      starts_at=when, booked_by=desk_user)


def eligible_consultation(*, clinic, when, patient=None, sessions=3, fitzpatrick_type=2):
    """A consultation booked for `when` and assessed eligible at it."""
    import time_machine

    with time_machine.travel(when - timedelta(days=1), tick=False):
        visit = consultation_visit(clinic=clinic, when=when, patient=patient)
    with time_machine.travel(when + timedelta(minutes=15), tick=False):
        consultation_assess(consultation=visit.consultation, assessed_by=clinic["provider"].user,
                            fitzpatrick_type=fitzpatrick_type, recommended_sessions=sessions, areas={"face": "1.00"},
                            clinical_notes="Fine lines around the eyes.")
    visit.consultation.refresh_from_db()
    return visit.consultation


def booked_series(*, clinic, consultation, user=None, sessions=None):
    result = services.series_propose(consultation=consultation, location=clinic["location"], session_count=sessions,
                                     preferences=Preferences(provider_id=clinic["provider"].pk))
    assert result.best is not None, result.problem
    hold = services.series_hold(consultation=consultation, location=clinic["location"], plan=result.best, held_by=user)
    return services.series_confirm(hold=hold, confirmed_by=user)


@pytest.fixture
def world(clinic, desk_user):
    """Seen at 11:00 on Tuesday 2 March 2027: a patient assessed eligible that morning
    with a three-session series booked with Dr Patel, and another patient with a
    consultation booked for Thursday."""
    import time_machine

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 11), tick=False) as clock:
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user)
        pending = consultation_visit(clinic=clinic, when=at(4, 10), desk_user=desk_user)
        yield {**clinic, "consultation": consultation, "patient": consultation.patient, "series": series,
               "pending_visit": pending, "clock": clock}


@pytest.fixture(autouse=True)


def long_sessions(settings):
    """Tests sign in now and then move the clock to 2027: keep the login alive."""
    settings.SESSION_COOKIE_AGE = 20 * 365 * 24 * 3600
