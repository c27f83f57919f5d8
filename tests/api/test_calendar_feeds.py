"""iCalendar feeds per provider and per patient behind a rotatable secret."""

import pytest
from icalendar import Calendar

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.split("testserver", 1)[1]


def test_a_provider_feed_lists_their_visits_and_rotating_retires_the_old_address(world, doctor, client):
    url = doctor.get(f"/api/v1/providers/{world['provider'].pk}/calendar-feed/").json()["url"]
    response = client.get(_path(url))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    sessions = world["series"].appointments.filter(kind="session")
    assert {str(e["uid"]) for e in events} >= {f"appointment-{a.pk}@needlepoint" for a in sessions}
    assert any("Treatment session 1" in str(e["summary"]) for e in events)
    assert world["patient"].last_name not in response.content.decode(), "only the initial of a patient's surname"

    new_url = doctor.post(f"/api/v1/providers/{world['provider'].pk}/calendar-feed/rotate/").json()["url"]
    assert new_url != url
    assert client.get(_path(url)).status_code == 404
    assert client.get(_path(new_url)).status_code == 200


def test_a_patient_feed_has_only_that_patients_visits(world, desk, client):
    url = desk.get(f"/api/v1/patients/{world['patient'].pk}/calendar-feed/").json()["url"]
    events = Calendar.from_ical(client.get(_path(url)).content).walk("VEVENT")
    expected = world["patient"].appointments.filter(status__in=("booked", "confirmed", "checked_in", "completed"))
    assert len(events) == expected.count()
    assert client.get("/calendar/patients/not-a-token.ics").status_code == 404
    assert client.get("/calendar/rooms/anything.ics").status_code == 404
