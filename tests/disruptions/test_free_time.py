"""Yearly closures and rooms out of service: no free time is offered in them, and a booking
into them is refused."""

from datetime import timedelta

import pytest
import time_machine

from clinic.errors import Conflict
from clinic.models import Closure, RoomOutOfService
from scheduling import loader
from scheduling.planner import find_slots
from scheduling.services.booking import VisitSpec, slots_check_free
from tests.builders import at
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

DAY_START, DAY_END = at(10, 8), at(10, 20)  # Wednesday 10 March 2027


def _starts(location, protocol, *, kind="session", provider_id=None, room_id=None, plain=False, monkeypatch=None):
    if plain:
        monkeypatch.setattr(loader, "READERS", {})
    diary = loader.diary_load(location=location, start=DAY_START, end=DAY_END)
    found = find_slots(diary.location, loader.visit_shape(protocol, kind), DAY_START, DAY_END,
                       patient_busy=diary.patient_busy, limit=500, provider_id=provider_id)
    if room_id is not None:
        found = [slot for slot in found if slot.room_id == room_id]
    return found


@pytest.mark.parametrize("plain", [False, True])
def test_no_time_is_offered_in_a_yearly_closure_from_an_earlier_year(clinic, protocol, monkeypatch, plain):
    location = clinic["location"]
    Closure.objects.create(location=location, reason="Founders' day", repeats_yearly=True,
                           starts_at=at(10, 8, year=2024), ends_at=at(10, 13, year=2024))
    with time_machine.travel(at(1, 9), tick=False):
        found = _starts(location, protocol, plain=plain, monkeypatch=monkeypatch)
    assert found
    assert min(slot.start for slot in found) >= at(10, 13)


@pytest.mark.parametrize("plain", [False, True])
def test_no_time_is_offered_in_a_room_out_of_service(clinic, protocol, monkeypatch, plain):
    location, [room, other] = clinic["location"], clinic["rooms"]
    RoomOutOfService.objects.create(room=room, reason="Repairs", starts_at=at(10, 7), ends_at=at(10, 15))
    with time_machine.travel(at(1, 9), tick=False):
        found = _starts(location, protocol, plain=plain, monkeypatch=monkeypatch)
    in_room = [slot for slot in found if slot.room_id == room.pk]
    assert in_room and min(slot.start for slot in in_room) >= at(10, 15)
    # The other room is still offered in the morning.
    assert any(slot.room_id == other.pk and slot.start < at(10, 12) for slot in found)


def test_loading_the_diary_takes_one_query_with_closures_and_rooms_out_of_service(
    clinic, django_assert_num_queries
):
    location, [room, _] = clinic["location"], clinic["rooms"]
    Closure.objects.create(location=location, reason="Founders' day", repeats_yearly=True,
                           starts_at=at(10, 8, year=2024), ends_at=at(10, 13, year=2024))
    RoomOutOfService.objects.create(room=room, reason="Repairs", starts_at=at(10, 7), ends_at=at(10, 15))
    RoomOutOfService.objects.create(room=room, reason="Paint", starts_at=at(10, 16), ends_at=at(10, 17))
    with time_machine.travel(at(1, 9), tick=False), django_assert_num_queries(1):
        diary = loader.diary_load(location=location, start=DAY_START, end=DAY_END)
    assert [r.id for r in diary.location.rooms] == [r.pk for r in clinic["rooms"]]


def _spec(provider, room, start) -> VisitSpec:
    end = start + timedelta(minutes=30)
    return VisitSpec(kind="consultation", provider_id=provider.pk, room_id=room.pk, starts_at=start,
                     provider_starts_at=start, provider_ends_at=end, ends_at=end, room_ends_at=end)


def test_booking_into_a_yearly_closure_or_a_room_out_of_service_is_refused(clinic):
    location, provider, [room, other] = clinic["location"], clinic["provider"], clinic["rooms"]
    Closure.objects.create(location=location, reason="Founders' day", repeats_yearly=True,
                           starts_at=at(10, 8, year=2024), ends_at=at(10, 13, year=2024))
    RoomOutOfService.objects.create(room=room, reason="Repairs", starts_at=at(10, 14), ends_at=at(10, 15))
    patient = PatientFactory()
    with time_machine.travel(at(1, 9), tick=False):
        with pytest.raises(Conflict, match=r"The clinic is closed then \(Founders' day\)"):
            slots_check_free(location=location, patient=patient, visits=[_spec(provider, other, at(10, 9))])
        with pytest.raises(Conflict, match="Room 1 is out of service then"):
            slots_check_free(location=location, patient=patient, visits=[_spec(provider, room, at(10, 14))])
        slots_check_free(location=location, patient=patient, visits=[_spec(provider, other, at(10, 14))])
