"""When PostgreSQL rolls a change back because another desk's change got in its way (a
deadlock), the desk gets a 409 asking to try again, never a 500; nothing was saved."""

import threading
import time
from datetime import timedelta
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connections, transaction
from django.db.models import F
from django.test import Client
from rest_framework.test import APIClient

from clinic.middleware import rolled_back_for_another
from scheduling.models import Appointment
from tests import factories
from tests.conftest import london


def _deadlock() -> OperationalError:
    """The error Django raises for a deadlock PostgreSQL broke."""
    try:
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    except psycopg.errors.DeadlockDetected as cause:
        error = OperationalError("deadlock detected")
        error.__cause__ = cause
        return error


@pytest.fixture
def visit(location, provider):
    return factories.AppointmentFactory(location=location, provider=provider, starts_at=london(2027, 3, 2, 10))


@pytest.mark.django_db
def test_the_api_answers_409_and_asks_to_try_again(visit, desk_user):
    client = APIClient()
    client.force_authenticate(desk_user)
    with mock.patch("scheduling.services.appointment_cancel", side_effect=_deadlock()):
        response = client.post(f"/api/v1/appointments/{visit.pk}/cancel/", {"reason": "Unwell"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "concurrent_change"
    assert "try again" in response.json()["detail"]
    assert response["Retry-After"] == "1"
    visit.refresh_from_db()
    assert visit.status == "booked"


@pytest.mark.django_db
def test_a_page_goes_back_with_the_message(visit, desk_user):
    client = Client()
    client.force_login(desk_user)
    back = f"/visits/{visit.pk}/"
    with mock.patch("scheduling.services.appointment_cancel", side_effect=_deadlock()):
        response = client.post(f"/visits/{visit.pk}/cancel/", {"reason": "Unwell"}, HTTP_REFERER=back)
    assert response.status_code == 302
    assert response["Location"] == back
    page = client.get(back)
    assert "try again" in page.content.decode()


@pytest.mark.django_db
def test_a_page_never_goes_back_to_another_site(visit, desk_user):
    client = Client()
    client.force_login(desk_user)
    with mock.patch("scheduling.services.appointment_cancel", side_effect=_deadlock()):
        response = client.post(f"/visits/{visit.pk}/cancel/", {"reason": "Unwell"},
                               HTTP_REFERER="https://elsewhere.example/")
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_other_database_errors_are_not_taken_for_a_concurrent_change():
    assert not rolled_back_for_another(OperationalError("server closed the connection"))
    assert rolled_back_for_another(_deadlock())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_desks_moving_the_same_visits_in_opposite_order_is_a_recognised_deadlock():
    """A real deadlock between two desks: one of them is rolled back with the error the
    middleware turns into a 409."""
    location = factories.LocationFactory()
    provider = factories.ProviderFactory(location=location)
    first, second = (factories.AppointmentFactory(location=location, provider=provider,
                                                  starts_at=london(2027, 3, day, 10)) for day in (2, 16))
    both_started, errors = threading.Barrier(2), []

    def desk(ids):
        try:
            with transaction.atomic():
                for index, pk in enumerate(ids):
                    later = timedelta(minutes=15)
                    Appointment.objects.filter(pk=pk).update(
                        starts_at=F("starts_at") + later, provider_starts_at=F("provider_starts_at") + later,
                        provider_ends_at=F("provider_ends_at") + later, ends_at=F("ends_at") + later,
                        room_ends_at=F("room_ends_at") + later)
                    if index == 0:
                        both_started.wait(5)
                        time.sleep(0.2)
        except Exception as error:  # noqa: BLE001 - inspected below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(order,)) for order in ([first.pk, second.pk], [second.pk, first.pk])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1
    assert rolled_back_for_another(errors[0])
