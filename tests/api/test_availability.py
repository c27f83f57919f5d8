"""Availability: free slots as the planner finds them, kept briefly but never stale after a booking."""

import pytest

pytestmark = pytest.mark.django_db


def test_availability_shows_a_booking_at_once_despite_the_cache(world, desk):
    question = {
        "location": world["location"].pk,
        "kind": "consultation",
        "provider": world["other_provider"].pk,
        "start": "2027-03-05T00:00:00Z",
        "end": "2027-03-06T00:00:00Z",
        "limit": 200,
    }
    before = desk.get("/api/v1/availability/", question).json()
    first = before[0]["starts_at"]
    booked = desk.post(
        "/api/v1/consultations/",
        {
            "patient": world["patient"].pk,
            "location": world["location"].pk,
            "provider": world["other_provider"].pk,
            "starts_at": first,
        },
        format="json",
    )
    assert booked.status_code == 201
    after = desk.get("/api/v1/availability/", question).json()
    assert first not in [slot["starts_at"] for slot in after]


def test_slots_for_one_provider_are_that_providers_and_inside_the_day(world, desk):
    slots = desk.get(
        "/api/v1/availability/",
        {
            "location": world["location"].pk,
            "kind": "session",
            "areas": ["face", "neck"],
            "provider": world["provider"].pk,
            "start": "2027-03-08T00:00:00Z",
            "end": "2027-03-09T00:00:00Z",
        },
    ).json()
    assert slots and {s["provider"] for s in slots} == {world["provider"].pk}
    assert all("2027-03-08" <= s["starts_at"] < "2027-03-09" for s in slots)
    assert all(s["room"] is not None for s in slots), "a session needs a room"


def test_one_providers_slots_match_the_planners_answer_for_that_provider(world, desk):
    from datetime import datetime

    from scheduling import services

    question = {
        "location": world["location"].pk,
        "kind": "consultation",
        "limit": 7,
        "start": "2027-03-09T00:00:00Z",
        "end": "2027-03-10T00:00:00Z",
    }
    everyone = desk.get("/api/v1/availability/", question).json()
    mine = desk.get("/api/v1/availability/", {**question, "provider": world["provider"].pk}).json()
    direct = services.availability_find(
        location=world["location"],
        kind="consultation",
        provider=world["provider"],
        start=datetime.fromisoformat("2027-03-09T00:00:00+00:00"),
        end=datetime.fromisoformat("2027-03-10T00:00:00+00:00"),
        limit=7,
    )
    assert len(everyone) == len(mine) == 7
    assert [s["starts_at"] for s in mine] == [v.start.isoformat().replace("+00:00", "Z") for v in direct]
    assert [s["room"] for s in mine] == [v.room_id for v in direct]


def test_a_provider_who_does_not_work_there_is_a_400(world, desk):
    from tests import factories

    elsewhere = factories.ProviderFactory(location=factories.LocationFactory())
    response = desk.get(
        "/api/v1/availability/",
        {
            "location": world["location"].pk,
            "kind": "consultation",
            "provider": elsewhere.pk,
            "start": "2027-03-09T00:00:00Z",
            "end": "2027-03-10T00:00:00Z",
        },
    )
    assert response.status_code == 400 and "provider" in response.json()["fields"]
