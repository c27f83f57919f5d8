"""The re-planning board as the desk and clinic admins use it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.models import Closure
from scheduling.disruptions import visits_disrupted
from scheduling.models import Appointment
from tests.builders import LONDON, sessions

pytestmark = pytest.mark.django_db
URL = reverse("frontdesk:replan")


def _close_session_2_week(world):
    second = sessions(world["series"])[1]
    start = second.starts_at.astimezone(LONDON).replace(hour=0, minute=0)
    Closure.objects.create(location=world["location"], reason="Refurbishment", starts_at=start,
                           ends_at=start + timedelta(days=7))
    return second


def test_the_board_lists_the_disrupted_visit_with_its_reason_and_proposal(world, desk):
    second = _close_session_2_week(world)
    html = desk.get(URL).content.decode()
    assert "Session 2 of 3" in html and world["patient"].full_name in html
    assert "The clinic is closed: Refurbishment (" in html
    assert "Proposed:" in html and "Later visits follow:" in html
    assert "1 of these belong to treatment series" in html or "2 of these belong to treatment series" in html
    assert f"{second.starts_at.astimezone(LONDON):%H:%M}" in html
    assert "Times on this page are in Europe/London time." in html


def test_accept_all_from_the_page_empties_the_board(world, admin):
    _close_session_2_week(world)
    html = admin.get(URL).content.decode()
    values = [part.split('"')[0] for part in html.split('name="choice" value="')[1:]]
    response = admin.post(URL, {"action": "accept", "choice": values[:1], "location": world["location"].pk})
    assert response.status_code == 302
    assert visits_disrupted() == []
    page = admin.get(URL).content.decode()
    assert "Nothing to re-plan." in page
    # The same stale form sent again: a sentence, nothing moves twice.
    again = admin.post(URL, {"action": "accept", "choice": values[:1]}, follow=True).content.decode()
    assert "was changed by someone else since this board was shown" in again


def test_cancel_needs_a_reason_and_then_cancels(world, desk):
    second = _close_session_2_week(world)
    html = desk.get(URL).content.decode()
    visit_value = html.split('name="visit" value="')[1].split('"')[0]
    page = desk.post(URL, {"action": "cancel", "visit": visit_value, "reason": " "}, follow=True).content.decode()
    assert "Give a reason for the cancellation." in page
    desk.post(URL, {"action": "cancel", "visit": visit_value, "reason": "Clinic closed"})
    second.refresh_from_db()
    assert second.status == Appointment.Status.CANCELLED


@pytest.mark.parametrize("value", ["", "nonsense", "1:2:3", "x:y:z:w:1", "99999999:abc:99999999999999999999:1:1"])
def test_unreadable_choices_get_a_sentence_not_an_error(world, desk, value):
    _close_session_2_week(world)
    response = desk.post(URL, {"action": "accept", "choice": value}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "could not be read" in text or "Choose a time first." in text or "no longer exists" in text


def test_providers_may_not_open_the_board(world, doctor):
    assert doctor.get(URL).status_code == 403


def _dashboard_count(client) -> int:
    html = client.get(reverse("frontdesk:dashboard")).content.decode()
    return int(html.split('<span id="fig-disrupted">')[1].split("<")[0])


def test_the_dashboard_counts_disrupted_visits_until_the_board_is_worked(world, admin):
    assert _dashboard_count(admin) == 0
    _close_session_2_week(world)
    assert _dashboard_count(admin) >= 1  # session 2, and its healing check in the same week
    html = admin.get(URL).content.decode()
    assert 'id="accept-all"' in html
    admin.post(URL, {"action": "accept_all", "location": world["location"].pk})
    assert _dashboard_count(admin) == 0


def _close_both_patients_week(world):
    second = _close_session_2_week(world)
    pending = world["pending_visit"]
    start = pending.starts_at.astimezone(LONDON).replace(hour=0, minute=0)
    Closure.objects.create(location=world["location"], reason="Flood", starts_at=start,
                           ends_at=start + timedelta(days=1))
    return second, pending


def test_a_long_board_shows_every_visit_page_by_page(world, desk, monkeypatch):
    from frontdesk.views import replan as board

    monkeypatch.setattr(board, "PATIENTS_PER_PAGE", 1)
    second, pending = _close_both_patients_week(world)
    first_page = desk.get(URL, {"location": world["location"].pk}).content.decode()
    second_page = desk.get(URL, {"location": world["location"].pk, "page": 2}).content.decode()
    names = {second.patient.full_name, pending.patient.full_name}
    assert {n for n in names if n in first_page} != {n for n in names if n in second_page}
    assert all(n in first_page + second_page for n in names)
    assert "Patients 1-1 of 2" in first_page and "Next page" in first_page
    assert "Patients 2-2 of 2" in second_page and "Previous page" in second_page
    # A page past the end, or not a number, shows the last or the first page, not an error.
    assert desk.get(URL, {"location": world["location"].pk, "page": 99}).status_code == 200
    assert desk.get(URL, {"location": world["location"].pk, "page": "x"}).status_code == 200


def test_accept_all_moves_every_patient_not_only_those_on_the_page(world, admin, monkeypatch):
    from frontdesk.views import replan as board

    monkeypatch.setattr(board, "PATIENTS_PER_PAGE", 1)
    _close_both_patients_week(world)
    assert _dashboard_count(admin) >= 2
    html = admin.get(URL, {"location": world["location"].pk}).content.decode()
    assert 'id="accept-all"' in html
    response = admin.post(URL, {"action": "accept_all", "location": world["location"].pk}, follow=True)
    assert response.status_code == 200
    assert "for 2 patients" in response.content.decode()
    assert _dashboard_count(admin) == 0
