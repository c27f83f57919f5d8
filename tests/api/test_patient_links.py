"""Signed links: a patient confirms or cancels the one visit their reminder is about."""

from datetime import timedelta

import pytest
import time_machine

from clinic.models import AuditEntry
from scheduling.models import Appointment
from scheduling.patient_links import patient_link_token, patient_link_url
from tests.builders import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(world):
    first = world["series"].appointments.get(kind="session", session_number=2)
    second = world["series"].appointments.get(kind="session", session_number=3)
    return first, second


def _api(appointment_id, token, action=""):
    return f"/api/v1/patient-links/{appointment_id}/{token}/{action + '/' if action else ''}"


def test_the_link_confirms_its_own_visit(client, visits):
    visit, _ = visits
    token = patient_link_token(visit)
    seen = client.get(_api(visit.pk, token))
    assert seen.status_code == 200 and seen.json()["can_confirm"] is True
    assert "notes" not in seen.json()
    assert client.post(_api(visit.pk, token, "confirm")).status_code == 200
    visit.refresh_from_db()
    assert visit.status == "confirmed"
    assert AuditEntry.objects.filter(object_id=str(visit.pk), action="confirmed", actor_label="patient link").exists()
    again = client.post(_api(visit.pk, token, "confirm"))
    assert again.status_code == 409, "a second click changes nothing"


def test_the_link_cancels_its_own_visit_and_nothing_else(client, visits):
    visit, other = visits
    token = patient_link_token(visit)
    assert client.post(_api(other.pk, token, "cancel"), {}, content_type="application/json").status_code == 403
    assert client.get(_api(other.pk, token)).status_code == 403
    other.refresh_from_db()
    assert other.status == "booked"
    response = client.post(
        _api(visit.pk, token, "cancel"), {"reason": "Away that week"}, content_type="application/json"
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.cancel_reason == "Away that week"


def test_an_altered_link_is_refused(client, visits):
    visit, _ = visits
    token = patient_link_token(visit)
    assert client.get(_api(visit.pk, token[:-2] + "xx")).status_code == 403


def test_the_link_expires(client, visits, settings):
    visit, _ = visits
    token = patient_link_token(visit)
    with time_machine.travel(at(2, 11) + timedelta(days=settings.PATIENT_LINK_MAX_AGE_DAYS, minutes=1)):
        expired = client.post(_api(visit.pk, token, "confirm"))
    assert expired.status_code == 410
    assert "expired" in expired.json()["detail"]
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_the_page_shows_the_visit_and_confirms_it(client, visits):
    visit, other = visits
    page = client.get(patient_link_url(visit))
    assert page.status_code == 200
    assert b"Confirm I will come" in page.content and b"Marylebone" in page.content
    done = client.post(patient_link_url(visit), {"action": "confirm"})
    assert b"your visit is confirmed" in done.content
    assert Appointment.objects.get(pk=visit.pk).status == "confirmed"
    wrong = patient_link_url(visit).replace(f"/{visit.pk}/", f"/{other.pk}/")
    assert client.post(wrong, {"action": "cancel"}).status_code == 403
    assert Appointment.objects.get(pk=other.pk).status == "booked"


def test_a_late_cancellation_from_the_link_is_marked(client, world):
    visit = world["series"].appointments.get(kind="session", session_number=1)
    world["clock"].move_to(visit.starts_at - timedelta(hours=3))
    client.post(_api(visit.pk, patient_link_token(visit), "cancel"), {}, content_type="application/json")
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.late_cancellation is True
