"""Closures, time off and rooms out of service that would not mean what the admin meant:
a yearly closure a year long or more (it would close the clinic for good), and the same
span saved twice (a double click). Each is refused in a sentence with what was typed kept."""

import pytest
from django.urls import reverse

from clinic.models import Closure, RoomOutOfService, TimeOff

pytestmark = pytest.mark.django_db


def _span(**changes) -> dict:
    data = {"reason": "Staff training", "starts_on": "2031-06-02", "starts_time": "09:00",
            "ends_on": "2031-06-02", "ends_time": "12:00"}
    data.update(changes)
    return data


def test_a_yearly_closure_of_a_year_or_more_is_refused_in_words(admin, location):
    url = reverse("frontdesk:setup-closures", args=[location.pk])
    response = admin.post(url, _span(starts_on="2031-01-01", ends_on="2031-12-31", starts_time="", ends_time="",
                                     repeats_yearly="on", confirm="replan"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "A closure that repeats every year must be shorter than a year" in body
    assert 'value="2031-12-31"' in body and not Closure.objects.exists()
    # The same dates once, not every year, are a long closure the clinic may mean.
    once = admin.post(url, _span(starts_on="2031-01-01", ends_on="2031-12-31", starts_time="", ends_time="",
                                 confirm="replan"))
    assert once.status_code == 302 and Closure.objects.count() == 1


def test_the_same_closure_twice_is_refused_not_saved_twice(admin, location):
    url = reverse("frontdesk:setup-closures", args=[location.pk])
    assert admin.post(url, _span(confirm="replan")).status_code == 302
    again = admin.post(url, _span(confirm="replan"))
    assert again.status_code == 400
    assert "This closure is already saved" in again.content.decode()
    assert Closure.objects.count() == 1


def test_the_same_time_off_or_room_spell_twice_is_refused(admin, clinic):
    provider, room = clinic["provider"], clinic["rooms"][0]
    url = reverse("frontdesk:setup-time-off", args=[provider.pk])
    data = _span(reason="Annual leave", confirm="replan", location=str(clinic["location"].pk))
    assert admin.post(url, data).status_code == 302
    again = admin.post(url, data)
    assert again.status_code == 400 and "This time off is already saved" in again.content.decode()
    assert TimeOff.objects.count() == 1
    url = reverse("frontdesk:setup-room-out-of-service", args=[room.pk])
    assert admin.post(url, _span(reason="Laser servicing", confirm="replan")).status_code == 302
    again = admin.post(url, _span(reason="Laser servicing", confirm="replan"))
    assert again.status_code == 400 and "is already out of service then" in again.content.decode()
    assert RoomOutOfService.objects.count() == 1
