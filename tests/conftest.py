"""Shared fixtures: the one chain of clinic fixtures every package uses, and the staff
logins. Tests marked `postgres` or `redis` need those servers, and tests marked `browser`
need Chromium: they are skipped with the reason when it is missing, except under CI,
where they fail."""

import os
import socket
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.auth.models import User

from clinic import roles
from clinic.models import Location, Provider, Room
from patients.models import Consultation, Patient
from scheduling.models import TreatmentProtocol, TreatmentSeries
from tests import factories
from tests.builders import (
    at,
    booked_series,
    consultation_visit,
    eligible_consultation,
    london,  # noqa: F401 - tests import it from here; new code takes it from tests.builders
    signed_in,
    staff,
)

# Debian's Chromium, which the browser tests drive with Playwright.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_reachable(url: str) -> bool:
    if not url.startswith("redis://"):
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run every test)")
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("needs PostgreSQL: set DATABASE_URL or run PostgreSQL on 127.0.0.1:5432")
    if item.get_closest_marker("redis"):
        from django.conf import settings

        if not _redis_reachable(settings.CELERY_BROKER_URL):
            _missing("needs Redis: set CELERY_BROKER_URL=redis://... or run Redis on 127.0.0.1:6379")
    if item.get_closest_marker("browser"):
        if not os.path.exists(CHROMIUM):
            _missing(f"needs Chromium at {CHROMIUM}: apt-get install -y chromium "
                     "(Playwright drives it; never `playwright install`)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem) -> None:
    """A transactional test ends with the database flushed, which also removes the rows
    data migrations made (roles, the protocol, screening rules, message templates). Put
    them back, so the tests after it find the database as migrations left it. (The
    snapshot exists because transactional tests ask for serialized_rollback.)"""
    yield
    marker = item.get_closest_marker("django_db")
    # After the last test the session's test database is already gone, and nothing follows.
    if marker is None or not marker.kwargs.get("transaction") or nextitem is None:
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with item.config.stash[blocking_manager_key].unblock():
            connection.creation.deserialize_db_from_string(contents)


# --- The clinic every package shares, fixture by fixture --------------------------------
# location -> provider (working hours) -> room -> patient -> consultation -> series; `clinic`
# bundles the resources and `world` the whole state the API and page tests start from.
# A test that needs a different clinic builds it with tests/factories.py and tests/builders.py.


@pytest.fixture
def location(db) -> Location:
    """A London clinic open 08:00-20:00 every day; cancelling inside 24 hours is late. The
    reminders quote its name, phone and address."""
    return factories.LocationFactory(
        name="Riverside Clinic Marylebone",
        phone="+44 20 7946 0000",
        address="1 River St, London",
        late_cancel_notice_hours=24,
    )


@pytest.fixture
def provider(location) -> Provider:
    """Dr Asha Patel (login "dr.patel"), working 08:00-20:00 every day at the location."""
    user = staff(roles.PROVIDER, username="dr.patel", first_name="Asha", last_name="Patel")
    return factories.ProviderFactory(location=location, display_name="Dr Asha Patel", user=user)


@pytest.fixture
def other_provider(location) -> Provider:
    """Chidi Okafor (login "nurse.okafor"), working the same hours."""
    user = staff(roles.PROVIDER, username="nurse.okafor")
    return factories.ProviderFactory(location=location, display_name="Chidi Okafor", user=user)


@pytest.fixture
def room(location) -> Room:
    return factories.RoomFactory(location=location, name="Room 1")


@pytest.fixture
def other_room(location) -> Room:
    return factories.RoomFactory(location=location, name="Room 2")


@pytest.fixture
def clinic(location, provider, other_provider, room, other_room) -> dict:
    """The location with its two providers and two rooms."""
    return {"location": location, "provider": provider, "other_provider": other_provider, "rooms": [room, other_room]}


@pytest.fixture
def patient(db) -> Patient:
    return factories.PatientFactory()


@pytest.fixture
def protocol(db) -> TreatmentProtocol:
    """The facial microneedling protocol a data migration makes."""
    return TreatmentProtocol.objects.get(slug="facial-microneedling")


@pytest.fixture
def consultation(clinic, patient) -> Consultation:
    """The patient's consultation with Dr Patel at 10:00 on Tuesday 2 March 2027, assessed
    eligible for three sessions at it."""
    return eligible_consultation(clinic=clinic, when=at(2, 10), patient=patient)


@pytest.fixture
def series(clinic, consultation, desk_user) -> TreatmentSeries:
    """The consultation's three sessions with Dr Patel, from 09:00 on Wednesday 3 March at the
    earliest, booked by the desk at 11:00 on Tuesday 2 March."""
    with time_machine.travel(at(2, 11), tick=False):
        return booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9))


@pytest.fixture
def world(clinic, consultation, series, desk_user):
    """The clinic mid-flow, seen at 11:00 on Tuesday 2 March 2027 (the clock stays there until
    the test moves it): the patient's series booked, and another patient's consultation booked
    for Thursday at 10:00."""
    with time_machine.travel(at(2, 11), tick=False) as clock:
        pending = consultation_visit(clinic=clinic, when=at(4, 10), desk_user=desk_user)
        yield {
            **clinic,
            "consultation": consultation,
            "patient": consultation.patient,
            "series": series,
            "pending_visit": pending,
            "clock": clock,
        }


# --- Staff logins, and a client signed in as each ---------------------------------------
@pytest.fixture
def desk_user(db) -> User:
    """Dana at the front desk (login "desk")."""
    return staff(roles.FRONT_DESK, username="desk", first_name="Dana", last_name="Desk")


@pytest.fixture
def clinic_admin_user(db) -> User:
    """The clinic admin (login "clinicadmin"), staff so the Django admin opens too. Not
    pytest-django's `admin_user`, a superuser, which the admin's own tests sign in as."""
    return staff(roles.CLINIC_ADMIN, username="clinicadmin", is_staff=True)


@pytest.fixture
def client_for():
    """How a login is signed in: a Django test client with a session, as the pages take it.
    tests/api/conftest.py swaps in API clients."""
    return signed_in


@pytest.fixture
def desk(client_for, desk_user):
    return client_for(desk_user)


@pytest.fixture
def admin(client_for, clinic_admin_user):
    return client_for(clinic_admin_user)


@pytest.fixture
def doctor(client_for, clinic):
    return client_for(clinic["provider"].user)


@pytest.fixture
def other_doctor(client_for, clinic):
    return client_for(clinic["other_provider"].user)
