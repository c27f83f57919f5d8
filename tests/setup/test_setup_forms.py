"""The set-up forms in the clinic's words: locations, weeks of hours, rooms, the protocol,
screening rules. Every error is a sentence, what was typed stays, every change is
audited with its old and new values."""

import pytest
from django.urls import reverse

from clinic.models import AuditEntry, Location, OpeningHours, Room, WorkingHours
from patients.models import ScreeningRule
from tests import factories

pytestmark = pytest.mark.django_db


def _location_data(**changes) -> dict:
    data = {"name": "Harbour Clinic", "time_zone": "Australia/Sydney", "address": "1 Quay St",
            "phone": "+61 2 5550 0000", "email": "hello@harbour.example", "late_cancel_notice_hours": "24",
            "slot_minutes": "15"}
    data.update(changes)
    return data


def test_a_location_is_added_with_its_zone_and_audited(admin):
    response = admin.post(reverse("frontdesk:setup-location-new"), _location_data())
    location = Location.objects.get(name="Harbour Clinic")
    assert response.url == reverse("frontdesk:setup-opening-hours", args=[location.pk])
    assert location.time_zone == "Australia/Sydney" and location.slug == "harbour-clinic"
    assert AuditEntry.objects.filter(object_type="location", action="created", object_id=str(location.pk)).exists()


def test_a_location_change_is_audited_old_and_new(admin, location):
    admin.post(reverse("frontdesk:setup-location", args=[location.pk]), _location_data(
        name=location.name, time_zone="Europe/London", slot_minutes="10", phone="+44 20 7946 0999"))
    location.refresh_from_db()
    assert location.slot_minutes == 10
    entry = AuditEntry.objects.get(object_type="location", action="updated")
    assert entry.changes["slot_minutes"] == [15, 10]
    assert entry.changes["phone"] == ["+44 20 7946 0000", "+44 20 7946 0999"]


@pytest.mark.parametrize(("changes", "words"), [
    ({"time_zone": "Mars/Olympus"}, "Choose the time zone from the list"),
    ({"slot_minutes": "90"}, "The slot grid can be at most 60 minutes."),
    ({"slot_minutes": "ten"}, "Enter a whole number."),
    ({"email": "not an email"}, "Give an email address such as hello@clinic.example."),
    ({"late_cancel_notice_hours": "-1"}, "The notice period cannot be negative."),
])
def test_a_bad_location_value_is_a_sentence_and_nothing_is_lost(admin, changes, words):
    response = admin.post(reverse("frontdesk:setup-location-new"), _location_data(**changes))
    body = response.content.decode()
    assert response.status_code == 400 and words in body
    assert 'value="Harbour Clinic"' in body and "1 Quay St" in body
    assert not Location.objects.filter(name="Harbour Clinic").exists()


def test_opening_hours_are_a_week_table_with_a_lunch_break(admin, location):
    data = {"d0_1_start": "09:00", "d0_1_end": "13:00", "d0_2_start": "14:00", "d0_2_end": "18:00",
            "d5_1_start": "10:00", "d5_1_end": "14:00"}
    response = admin.post(reverse("frontdesk:setup-opening-hours", args=[location.pk]), data)
    assert response.status_code == 302
    rows = sorted((r.weekday, f"{r.opens:%H:%M}", f"{r.closes:%H:%M}") for r in OpeningHours.objects.filter(
        location=location))
    assert rows == [(0, "09:00", "13:00"), (0, "14:00", "18:00"), (5, "10:00", "14:00")]
    entry = AuditEntry.objects.get(action="opening_hours_set")
    before, after = entry.changes["opening_hours"]
    assert "Tuesday 08:00-20:00" in before and after == ["Monday 09:00-13:00", "Monday 14:00-18:00",
                                                         "Saturday 10:00-14:00"]


@pytest.mark.parametrize(("data", "words"), [
    ({"d1_1_start": "18:00", "d1_1_end": "09:00"}, "Tuesday: the opening hours must end after they start"),
    ({"d1_1_start": "09:00"}, "Tuesday: give both the start and the end of the opening hours"),
    ({"d1_1_start": "09:00", "d1_1_end": "13:00", "d1_2_start": "12:00", "d1_2_end": "18:00"},
     "Tuesday: two spans overlap"),
    ({"d1_1_start": "nine", "d1_1_end": "13:00"}, "Tuesday: give a time such as 09:00."),
])
def test_a_bad_week_is_refused_in_words_and_keeps_the_old_hours(admin, location, data, words):
    response = admin.post(reverse("frontdesk:setup-opening-hours", args=[location.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400 and words in body
    for value in data.values():
        assert f'value="{value}"' in body
    assert OpeningHours.objects.filter(location=location).count() == 7


def test_a_provider_cannot_work_at_two_locations_at_once(admin, clinic):
    provider = clinic["provider"]
    other = factories.LocationFactory(name="Second site")
    url = reverse("frontdesk:setup-provider", args=[provider.pk]) + f"?location={other.pk}"
    response = admin.post(url, {"location": other.pk, "d2_1_start": "09:00", "d2_1_end": "12:00"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Wednesday: Dr Asha Patel already works at Riverside Clinic Marylebone from 08:00 to 20:00" in body
    assert not WorkingHours.objects.filter(location=other).exists()


def test_working_hours_at_one_location_are_set_and_audited(admin, clinic):
    provider, location = clinic["provider"], clinic["location"]
    data = {f"d{d}_1_start": "09:00" for d in range(5)} | {f"d{d}_1_end": "17:00" for d in range(5)}
    response = admin.post(reverse("frontdesk:setup-provider", args=[provider.pk]), {"location": location.pk, **data})
    assert response.status_code == 302
    assert WorkingHours.objects.filter(provider=provider).count() == 5
    entry = AuditEntry.objects.get(action="working_hours_set", object_id=str(provider.pk))
    assert "Sunday 08:00-20:00" in entry.changes["working_hours"][0]
    assert "Sunday 08:00-20:00" not in entry.changes["working_hours"][1]


def test_rooms_are_added_renamed_and_taken_out_of_use(admin, clinic):
    location, room = clinic["location"], clinic["rooms"][0]
    response = admin.post(reverse("frontdesk:setup-rooms", args=[location.pk]), {"name": "Room 2"})
    assert response.status_code == 400
    assert "Another room at this location already has that name." in response.content.decode()
    admin.post(reverse("frontdesk:setup-rooms", args=[location.pk]), {"name": "Laser room"})
    assert Room.objects.filter(location=location, name="Laser room").exists()
    admin.post(reverse("frontdesk:setup-room", args=[room.pk]), {"name": "Garden room"})
    admin.post(reverse("frontdesk:setup-room-active", args=[room.pk]), {"active": "no"})
    room.refresh_from_db()
    assert room.name == "Garden room" and room.is_active is False
    entries = AuditEntry.objects.filter(object_type="room", action="updated", object_id=str(room.pk))
    assert {tuple(e.changes.get("name", [])) for e in entries} >= {("Room 1", "Garden room")}
    assert any(e.changes.get("is_active") == [True, False] for e in entries)


def _rule_data(**changes) -> dict:
    data = {"condition": "tattoo_recent", "label": "A tattoo on the face in the last month", "effect": "block",
            "block_outcome": "deferred", "lookback_days": "", "defer_days": "30", "is_active": "on", "notes": ""}
    data.update(changes)
    return data


def test_a_screening_rule_is_added_through_its_service(admin):
    response = admin.post(reverse("frontdesk:setup-screening-new"), _rule_data())
    assert response.status_code == 302
    rule = ScreeningRule.objects.get(condition="tattoo_recent")
    assert rule.defer_days == 30
    entry = AuditEntry.objects.get(object_type="screeningrule", action="created")
    assert entry.changes["defer_days"] == [None, 30] and entry.changes["effect"] == [None, "block"]


@pytest.mark.parametrize(("changes", "words"), [
    ({"effect": "caution"}, "A caution does not block"),
    ({"block_outcome": ""}, "A rule that blocks must say whether the series is deferred"),
    ({"defer_days": ""}, "A deferral needs a date"),
    ({"condition": "Tattoo Recent!"}, "Use lower-case letters, digits, - and _ only"),
])
def test_a_screening_rule_that_breaks_a_rule_is_refused_in_words(admin, changes, words):
    response = admin.post(reverse("frontdesk:setup-screening-new"), _rule_data(**changes))
    body = response.content.decode()
    assert response.status_code == 400 and words in body
    assert "A tattoo on the face in the last month" in body
    assert "screening_rule_" not in body and "Constraint" not in body


def test_a_location_kept_in_an_old_zone_name_can_still_be_saved(admin):
    location = factories.LocationFactory(time_zone="US/Eastern")
    response = admin.post(reverse("frontdesk:setup-location", args=[location.pk]), _location_data(
        name=location.name, time_zone="US/Eastern", phone=""))
    assert response.status_code == 302
