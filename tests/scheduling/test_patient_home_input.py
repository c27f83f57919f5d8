"""What a hostile or careless visitor types into the patient's own pages: every answer
is a page in words, never a server error, and nothing is changed by it."""

import pytest
from django.core.cache import cache

from scheduling.models import Appointment
from scheduling.patient_home_links import patient_home_url, visit_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("contact", ["a\x00@example.com", "\x00", "+44 20 7946\x00 0000"])
def test_a_nul_character_in_the_link_form_is_explained(client, clinic, contact):
    response = client.post("/my-link/", {"contact": contact, "date_of_birth": "1990-05-17"})
    assert response.status_code == 400
    assert "Please enter your email address or your phone number." in response.content.decode()


def test_a_nul_character_in_a_cancellation_reason_still_cancels_in_words(client, world):
    visit = world["series"].appointments.get(kind="session", session_number=2)
    response = client.post(patient_home_url(world["patient"]),
                           {"action": "cancel", "visit": visit_token(visit), "reason": "Un\x00well"})
    assert response.status_code == 200
    assert "Your visit is cancelled." in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED and visit.cancel_reason == "Unwell"


def test_hostile_numbers_and_tokens_are_answered_in_words(client, world):
    home = patient_home_url(world["patient"])
    two = world["series"].appointments.get(kind="session", session_number=2)
    move = f"{home}move/{visit_token(two)}/"
    for data in ({"start": "9" * 30}, {"start": "-99999999999"}, {"start": ""},
                 {"start": "1775000000", "provider": "9" * 30}, {"start": "1775000000", "provider": "x"},
                 {"start": "1775000000", "confirm": "1", "plan": "garbage"}):
        assert client.post(move, data).status_code == 400, data
    assert client.post(home, {"action": "claim", "offer": "9" * 30}).status_code == 400
    assert client.get(f"/my/{'a' * 5000}/").status_code == 403
    assert client.get(f"{home}move/{'a' * 3000}/").status_code == 403
    two.refresh_from_db()
    assert two.status == Appointment.Status.BOOKED


def test_a_stale_visit_link_leads_back_to_the_page_it_came_from(client, world):
    home = patient_home_url(world["patient"])
    two = world["series"].appointments.get(kind="session", session_number=2)
    stale = visit_token(two)
    client.post(home, {"action": "cancel", "visit": stale})
    response = client.get(f"{home}move/{stale}/")
    assert response.status_code == 410
    text = response.content.decode()
    assert f'href="{home}"' in text and "Back to your page" in text
    assert "Send me a new link" not in text, "the page link itself still works"

