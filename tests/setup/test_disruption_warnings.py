"""A set-up change that would leave booked visits where they cannot happen warns first:
the visits (patient, visit, local time with the zone, provider) and how many belong to
series; nothing is saved until the admin chooses to save anyway, and then the visits wait
on the re-plan board."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from clinic.models import Closure, OpeningHours, RoomOutOfService, TimeOff, WorkingHours
from tests.builders import sessions

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _day_of(visit) -> str:
    return visit.starts_at.astimezone(LONDON).date().isoformat()


def _closure_over(admin, world, visit, **extra):
    day = _day_of(visit)
    data = {"reason": "Staff training", "starts_on": day, "starts_time": "", "ends_on": day, "ends_time": ""}
    data.update(extra)
    return admin.post(reverse("frontdesk:setup-closures", args=[world["location"].pk]), data)


def test_a_closure_over_a_booked_session_warns_and_saves_nothing(admin, world):
    session = sessions(world["series"])[0]
    response = _closure_over(admin, world, session)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Saving this would disrupt 1 booked visit" in body
    assert world["patient"].full_name in body and "Treatment session 1 of 3" in body
    assert "Dr Asha Patel" in body and "(Europe/London, GMT)" in body
    assert "1 of these belongs to treatment series" in body
    assert "Save anyway and re-plan these" in body
    assert not Closure.objects.exists()
    assert 'value="Staff training"' in body


def test_saving_anyway_keeps_the_visit_booked_and_sends_it_to_the_board(admin, world):
    session = sessions(world["series"])[0]
    response = _closure_over(admin, world, session, confirm="replan")
    assert response.status_code == 302
    assert Closure.objects.count() == 1
    session.refresh_from_db()
    assert session.status == "booked"
    page = admin.get(response.url).content.decode()
    assert "1 booked visit here sits in a closure" in page


def test_a_closure_that_disrupts_nothing_saves_at_once(admin, world):
    response = admin.post(reverse("frontdesk:setup-closures", args=[world["location"].pk]), {
        "reason": "Deep clean", "starts_on": "2027-03-07", "ends_on": "2027-03-07"})
    assert response.status_code == 302 and Closure.objects.filter(reason="Deep clean").exists()


def test_shorter_opening_hours_warn_about_the_visits_left_outside(admin, world):
    session = sessions(world["series"])[0]
    weekday = session.starts_at.astimezone(LONDON).weekday()
    data = {}
    for day in range(7):
        data[f"d{day}_1_start"], data[f"d{day}_1_end"] = "08:00", "20:00"
    data[f"d{weekday}_1_start"], data[f"d{weekday}_1_end"] = "14:00", "20:00"
    url = reverse("frontdesk:setup-opening-hours", args=[world["location"].pk])
    body = admin.post(url, data).content.decode()
    assert "Saving this would disrupt" in body and world["patient"].full_name in body
    assert not OpeningHours.objects.filter(location=world["location"], opens="14:00").exists()
    admin.post(url, {**data, "confirm": "replan"})
    assert OpeningHours.objects.filter(location=world["location"], weekday=weekday, opens="14:00").exists()


def test_time_off_and_working_hours_warn_for_the_provider(admin, world):
    session = sessions(world["series"])[0]
    day = _day_of(session)
    provider = world["provider"]
    url = reverse("frontdesk:setup-time-off", args=[provider.pk])
    data = {"location": world["location"].pk, "reason": "Leave", "starts_on": day, "ends_on": day}
    body = admin.post(url, data).content.decode()
    assert "Saving this would disrupt" in body and "Treatment session 1 of 3" in body
    assert not TimeOff.objects.exists()
    weekday = session.starts_at.astimezone(LONDON).weekday()
    hours = {f"d{d}_1_start": "08:00" for d in range(7)} | {f"d{d}_1_end": "20:00" for d in range(7)}
    hours.pop(f"d{weekday}_1_start"), hours.pop(f"d{weekday}_1_end")
    hours_url = reverse("frontdesk:setup-provider", args=[provider.pk]) + f"?location={world['location'].pk}"
    body = admin.post(hours_url, hours).content.decode()
    assert "Saving this would disrupt" in body
    assert WorkingHours.objects.filter(provider=provider, weekday=weekday).exists()


def test_a_room_out_of_service_warns_about_its_visits(admin, world):
    session = sessions(world["series"])[0]
    local = session.starts_at.astimezone(LONDON)
    url = reverse("frontdesk:setup-room-out-of-service", args=[session.room_id])
    data = {"reason": "Laser servicing", "starts_on": local.date().isoformat(), "ends_on": local.date().isoformat(),
            "starts_time": f"{local:%H:%M}", "ends_time": f"{local + timedelta(hours=2):%H:%M}"}
    body = admin.post(url, data).content.decode()
    assert "Saving this would disrupt" in body and "is out of service: Laser servicing" in body
    assert not RoomOutOfService.objects.exists()
    response = admin.post(url, {**data, "confirm": "replan"})
    assert response.status_code == 302 and RoomOutOfService.objects.count() == 1


def test_a_new_time_zone_warns_about_the_visits_it_would_move_out_of_hours(admin, world):
    location = world["location"]
    data = {"name": location.name, "time_zone": "Pacific/Auckland", "address": location.address,
            "phone": location.phone, "email": "", "late_cancel_notice_hours": "24", "slot_minutes": "15"}
    body = admin.post(reverse("frontdesk:setup-location", args=[location.pk]), data).content.decode()
    assert "Saving this would disrupt" in body and world["patient"].full_name in body
    location.refresh_from_db()
    assert location.time_zone == "Europe/London"


def test_taking_a_room_out_of_use_says_how_many_visits_still_use_it(admin, world):
    session = sessions(world["series"])[0]
    response = admin.post(reverse("frontdesk:setup-room-active", args=[session.room_id]), {"active": "no"},
                          follow=True)
    body = response.content.decode()
    assert "still use" in body and "take the room out of service for those dates" in body
