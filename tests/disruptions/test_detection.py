"""Booked visits a later change leaves in the way are found, each with its reason in words."""

from datetime import time, timedelta

import pytest

from clinic.models import Closure, OpeningHours, RoomOutOfService, TimeOff, WorkingHours
from scheduling.disruptions import disruptions_preview, visits_disrupted
from tests.builders import at, sessions

pytestmark = pytest.mark.django_db


def _first_session(world):
    return sessions(world["series"])[0]


def test_nothing_is_disrupted_in_a_clinic_as_booked(world):
    assert visits_disrupted() == []


def test_a_closure_over_a_session_is_found_with_its_reason_in_local_time(world):
    visit = _first_session(world)
    local = visit.starts_at.astimezone(at(1, 0).tzinfo)
    Closure.objects.create(
        location=world["location"], reason="Staff training",
        starts_at=local.replace(hour=8, minute=0), ends_at=local.replace(hour=12, minute=0),
    )
    found = visits_disrupted()
    assert [d.appointment.pk for d in found] == [visit.pk]
    assert found[0].reasons == ("The clinic is closed: Staff training (08:00-12:00 GMT).",)


def test_a_yearly_closure_from_an_earlier_year_is_found(world):
    visit = _first_session(world)
    local = visit.starts_at.astimezone(at(1, 0).tzinfo)
    Closure.objects.create(
        location=world["location"], reason="Founders' day", repeats_yearly=True,
        starts_at=local.replace(year=2025, hour=0, minute=0),
        ends_at=local.replace(year=2025, hour=0, minute=0) + timedelta(days=1),
    )
    found = visits_disrupted()
    assert [d.appointment.pk for d in found] == [visit.pk]
    assert found[0].reasons[0].startswith("The clinic is closed: Founders' day (all day ")


def test_time_off_is_found_for_the_provider_only(world):
    visit = _first_session(world)
    TimeOff.objects.create(
        provider=visit.provider, reason="Conference",
        starts_at=visit.starts_at - timedelta(hours=1), ends_at=visit.ends_at + timedelta(hours=1),
    )
    TimeOff.objects.create(
        provider=world["other_provider"], starts_at=visit.starts_at, ends_at=visit.ends_at + timedelta(days=60),
    )
    found = visits_disrupted()
    assert [d.appointment.pk for d in found] == [visit.pk]
    assert found[0].reasons[0].startswith("Dr Asha Patel is on time off: Conference (")


def test_shorter_working_hours_and_a_day_off_are_found(world):
    visit = _first_session(world)
    weekday = visit.starts_at.astimezone(at(1, 0).tzinfo).weekday()
    hours = WorkingHours.objects.get(provider=visit.provider, weekday=weekday)
    hours.starts, hours.ends = time(14), time(20)
    hours.save()
    found = visits_disrupted(provider_ids=[visit.provider_id])
    assert visit.pk in [d.appointment.pk for d in found]
    reason = next(d for d in found if d.appointment.pk == visit.pk).reasons[0]
    assert reason.startswith("Dr Asha Patel works 14:00-20:00 on ") and "not at this time" in reason
    hours.delete()
    found = visits_disrupted(provider_ids=[visit.provider_id])
    reason = next(d for d in found if d.appointment.pk == visit.pk).reasons[0]
    assert reason.startswith("Dr Asha Patel does not work at Riverside Clinic Marylebone on ")


def test_opening_hours_cut_short_are_found(world):
    visit = _first_session(world)
    weekday = visit.starts_at.astimezone(at(1, 0).tzinfo).weekday()
    OpeningHours.objects.filter(location=world["location"], weekday=weekday).update(opens=time(15))
    found = visits_disrupted(location_ids=[world["location"].pk])
    reasons = next(d for d in found if d.appointment.pk == visit.pk).reasons
    assert any("is open 15:00-20:00 on" in r for r in reasons)


def test_a_room_out_of_service_is_found_for_that_room_only(world):
    visit = _first_session(world)
    RoomOutOfService.objects.create(
        room=visit.room, reason="New laser fitted",
        starts_at=visit.starts_at, ends_at=visit.starts_at + timedelta(hours=1),
    )
    found = visits_disrupted(room_ids=[visit.room_id])
    assert [d.appointment.pk for d in found] == [visit.pk]
    assert found[0].reasons[0].startswith(f"{visit.room.name} is out of service: New laser fitted (")
    other = [r for r in world["rooms"] if r.pk != visit.room_id][0]
    assert visits_disrupted(room_ids=[other.pk]) == []


def test_visits_already_started_or_cancelled_are_not_disrupted(world):
    visit = _first_session(world)
    Closure.objects.create(
        location=world["location"], reason="Flood", starts_at=visit.starts_at, ends_at=visit.ends_at,
    )
    world["clock"].move_to(visit.starts_at + timedelta(minutes=5))
    assert visits_disrupted() == []


def test_preview_lists_what_a_change_would_disrupt_and_saves_nothing(world):
    visit = _first_session(world)

    def close():
        Closure.objects.create(
            location=world["location"], reason="Staff training", starts_at=visit.starts_at, ends_at=visit.ends_at,
        )

    found = disruptions_preview(apply=close, location_ids=[world["location"].pk])
    assert [d.appointment.pk for d in found] == [visit.pk]
    assert found[0].appointment.patient == world["patient"]
    assert not Closure.objects.exists()
    assert visits_disrupted() == []


def test_detection_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for visit in sessions(world["series"]):
        Closure.objects.create(location=world["location"], reason="Works", starts_at=visit.starts_at,
                               ends_at=visit.ends_at)
    # Locations, closures, JIT off for the scan, then per location (one here): opening and
    # working hours, time off, rooms out of service, and the visits.
    with django_assert_max_num_queries(8):
        found = visits_disrupted()
        assert len(found) == 3 and all(d.appointment.patient.first_name for d in found)


@pytest.mark.parametrize(
    ("zone", "day", "words"),
    [
        # Each a day just after the clocks changed there: a fixed UTC offset would be an hour out.
        ("Europe/London", (2027, 3, 29), "09:00-12:00 BST"),
        ("America/New_York", (2027, 3, 15), "09:00-12:00 EDT"),
        ("Australia/Sydney", (2027, 4, 5), "09:00-12:00 AEST"),
    ],
)
def test_a_closure_in_local_hours_finds_the_visit_at_that_local_time_after_a_clock_change(db, zone, day, words):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from scheduling import services
    from tests import factories

    tz = ZoneInfo(zone)
    location = factories.LocationFactory(time_zone=zone)
    provider = factories.ProviderFactory(location=location)
    factories.RoomFactory(location=location)
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=tz), tick=False):
        inside = services.consultation_book(patient=factories.PatientFactory(), location=location, provider=provider,
                                            starts_at=datetime(*day, 11, 30, tzinfo=tz))
        after = services.consultation_book(patient=factories.PatientFactory(), location=location, provider=provider,
                                           starts_at=datetime(*day, 12, 0, tzinfo=tz))
        Closure.objects.create(location=location, reason="Staff training", repeats_yearly=True,
                               starts_at=datetime(day[0] - 1, *day[1:], 9, tzinfo=tz),
                               ends_at=datetime(day[0] - 1, *day[1:], 12, tzinfo=tz))
        found = visits_disrupted(location_ids=[location.pk])
    assert [d.appointment.pk for d in found] == [inside.pk]
    assert after.pk not in [d.appointment.pk for d in found]
    assert found[0].reasons == (f"The clinic is closed: Staff training ({words}).",)
