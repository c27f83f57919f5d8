"""The schedule draws closures, partial closures, days off, time off and rooms out of
service as hatched blocks with their words, in the day and the week views."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clinic.models import Closure, RoomOutOfService, TimeOff, WorkingHours
from tests.builders import at

pytestmark = pytest.mark.django_db
URL = reverse("frontdesk:schedule")


def _get(client, **query) -> str:
    return client.get(URL, {"date": "2027-03-04", **query}).content.decode()


def test_a_partial_closure_is_drawn_across_the_day_with_its_local_times(world, desk):
    Closure.objects.create(location=world["location"], reason="Staff training", starts_at=at(4, 9),
                           ends_at=at(4, 12))
    day = _get(desk)
    assert 'class="shade shade-closure across"' in day
    assert "Closed: Staff training (09:00-12:00 GMT)" in day
    # 09:00 is an hour into a day drawn from 08:00 to 20:00.
    assert f"top:{100 / 12:.3f}%;height:{300 / 12:.3f}%" in day
    week = _get(desk, view="week")
    assert '<li class="shade-note shade-closure">Closed: Staff training (09:00-12:00 GMT)</li>' in week


def test_a_yearly_whole_day_closure_is_drawn_in_a_later_year(world, desk):
    Closure.objects.create(location=world["location"], reason="Founders' day", repeats_yearly=True,
                           starts_at=at(4, 0, year=2025), ends_at=at(5, 0, year=2025))
    assert "Closed: Founders&#x27; day (all day Thu 4 Mar)" in _get(desk)


def test_time_off_and_a_day_off_are_drawn_in_the_providers_column(world, desk):
    TimeOff.objects.create(provider=world["provider"], reason="Dentist", starts_at=at(4, 14), ends_at=at(4, 16))
    WorkingHours.objects.filter(provider=world["other_provider"], weekday=3).delete()  # Thursdays
    day = _get(desk)
    assert "Dr Asha Patel on time off: Dentist (14:00-16:00 GMT)" in day
    assert "Chidi Okafor: day off (does not work here on Thursdays)" in day
    week = _get(desk, view="week")
    assert "Chidi Okafor: day off (does not work here on Thursdays)" in week
    assert week.count("Chidi Okafor: day off") == 1  # Thursday only


def test_a_room_out_of_service_is_drawn_in_the_rooms_view(world, desk):
    room = world["rooms"][0]
    RoomOutOfService.objects.create(room=room, reason="New floor", starts_at=at(4, 8),
                                    ends_at=at(4, 8) + timedelta(days=2))
    day = _get(desk, by="room")
    assert "Room 1 out of service: New floor (Thu 4 Mar 08:00 to Sat 6 Mar 08:00 GMT)" in day
    assert "Room 1 out of service" not in _get(desk)  # the providers' view shows providers
