"""Fixtures for the API: a clinic, a login per role, and clients signed in as each."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from clinic import roles
from tests import factories

LONDON = ZoneInfo("Europe/London")
# A Monday morning before the clocks change (29 March 2027), so series cross daylight saving.
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2027) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour, minute), LONDON)


def login(user, *, token: bool = False) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    else:
        client.force_authenticate(user)
    return client


def staff(role: str, **kwargs):
    user = factories.UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached availability must not outlive the test whose diary it described."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clinic(db):
    """One London location open 08:00-20:00 daily, two providers working those hours, two rooms."""
    location = factories.LocationFactory(name="Marylebone", late_cancel_notice_hours=24)
    first = factories.ProviderFactory(location=location, display_name="Dr Asha Patel")
    second = factories.ProviderFactory(location=location, display_name="Chidi Okafor")
    for provider in (first, second):
        provider.user.groups.add(Group.objects.get(name=roles.PROVIDER))
    rooms = [factories.RoomFactory(location=location, name=name) for name in ("Room 1", "Room 2")]
    return {"location": location, "provider": first, "other_provider": second, "rooms": rooms}


@pytest.fixture
def desk_user(db):
    return staff(roles.FRONT_DESK, username="desk")


@pytest.fixture
def admin_user(db):
    return staff(roles.CLINIC_ADMIN, username="clinicadmin")


@pytest.fixture
def desk(desk_user):
    return login(desk_user)


@pytest.fixture
def admin(admin_user):
    return login(admin_user)


@pytest.fixture
def doctor(clinic):
    return login(clinic["provider"].user)


@pytest.fixture
def other_doctor(clinic):
    return login(clinic["other_provider"].user)


@pytest.fixture
def world(clinic, desk_user):
    """A clinic mid-flow, seen at 11:00 on Tuesday 2 March 2027: a patient assessed
    eligible that morning with a three-session series booked with Dr Patel from Wednesday,
    and a second patient with a consultation booked for Thursday."""
    import time_machine

    from .builders import booked_series, consultation_visit, eligible_consultation

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 11), tick=False) as clock:
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))
        pending = consultation_visit(clinic=clinic, when=at(4, 10), desk_user=desk_user)
        yield {
            **clinic,
            "consultation": consultation,
            "patient": consultation.patient,
            "series": series,
            "pending_visit": pending,
            "clock": clock,
        }
