"""Availability: free slots as the planner finds them, kept briefly but never stale after a booking."""

import threading
import time
from datetime import UTC, timedelta
from unittest import mock
from urllib.parse import urlparse

import pytest

from scheduling.planner import SlotRows
from scheduling.services import availability
from tests.builders import at

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


def _day(question: dict, day: int) -> dict:
    return {**question, "start": f"2027-03-{day:02d}T00:00:00Z", "end": f"2027-03-{day + 1:02d}T00:00:00Z"}


def _starts(client, question) -> list[str]:
    response = client.get("/api/v1/availability/", question)
    assert response.status_code == 200, response.json()
    return [slot["starts_at"] for slot in response.json()]


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_a_hold_shows_at_once_and_its_release_gives_the_time_back(world, desk, desk_user):
    from scheduling import services
    from scheduling.planner import Preferences
    from tests.builders import eligible_consultation

    consultation = eligible_consultation(clinic=world, when=at(2, 12))
    world["clock"].move_to(at(2, 12, 30))
    plan = services.series_propose(
        consultation=consultation,
        location=world["location"],
        earliest_start=at(8, 9),
        preferences=Preferences(provider_id=world["other_provider"].pk),
    ).best
    first = plan.sessions[0]
    question = _day(
        {
            "location": world["location"].pk,
            "kind": "session",
            "areas": ["face"],
            "provider": first.provider_id,
            "limit": 200,
        },
        first.local_date.day,
    )
    assert _iso(first.start) in _starts(desk, question)

    hold = services.series_hold(consultation=consultation, location=world["location"], plan=plan, held_by=desk_user)
    assert _iso(first.start) not in _starts(desk, question)

    services.hold_release(hold=hold, released_by=desk_user)
    assert _iso(first.start) in _starts(desk, question)


def test_a_cancelled_visit_gives_its_time_back_at_once(world, desk):
    visit = world["pending_visit"]
    question = _day(
        {"location": world["location"].pk, "kind": "consultation", "provider": visit.provider_id, "limit": 200},
        visit.starts_at.astimezone(UTC).day,
    )
    assert _iso(visit.starts_at) not in _starts(desk, question)
    response = desk.post(f"/api/v1/appointments/{visit.pk}/cancel/", {"reason": "Patient is unwell"}, format="json")
    assert response.status_code == 200
    assert _iso(visit.starts_at) in _starts(desk, question)


def test_a_repeated_question_is_answered_with_one_query_after_the_login(world, desk, django_assert_num_queries):
    question = _day({"location": world["location"].pk, "kind": "consultation", "limit": 5}, 9)
    first = desk.get("/api/v1/availability/", question)
    with django_assert_num_queries(1):  # the diary's fingerprint; nothing is looked up
        again = desk.get("/api/v1/availability/", question)
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Type"] == "application/json"


def test_one_providers_answer_is_written_from_the_slots_kept_for_everyone(world, desk, django_assert_num_queries):
    question = _day({"location": world["location"].pk, "kind": "consultation", "limit": 5}, 9)
    everyone = desk.get("/api/v1/availability/", question).json()
    with django_assert_num_queries(1):  # the diary's fingerprint; no location or provider is looked up
        mine = desk.get("/api/v1/availability/", {**question, "provider": world["provider"].pk}).json()
    assert mine and {slot["provider"] for slot in mine} == {world["provider"].pk}
    assert {slot["starts_at"] for slot in mine} & {slot["starts_at"] for slot in everyone}


def test_a_kept_answer_reads_the_same_as_a_fresh_one(world, desk):
    from django.core.cache import cache

    question = _day({"location": world["location"].pk, "kind": "session", "areas": ["face", "neck"], "limit": 7}, 8)
    for provider in (None, world["provider"].pk, world["other_provider"].pk):
        asked = {**question, "provider": provider} if provider else question
        kept = desk.get("/api/v1/availability/", asked)
        kept = desk.get("/api/v1/availability/", asked)  # the second comes from the kept answer
        cache.clear()
        fresh = desk.get("/api/v1/availability/", asked)
        assert kept.status_code == fresh.status_code == 200
        assert kept.json() == fresh.json() and len(fresh.json()) == 7


def test_an_indented_or_browsable_answer_is_rendered_afresh(world, desk):
    question = _day({"location": world["location"].pk, "kind": "consultation", "limit": 3}, 9)
    compact = desk.get("/api/v1/availability/", question)
    desk.get("/api/v1/availability/", question)
    indented = desk.get("/api/v1/availability/", question, HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b"\n  " in indented.content
    assert indented.json() == compact.json()
    page = desk.get("/api/v1/availability/", question, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


def test_ids_that_are_not_plain_numbers_are_a_400_even_when_the_question_was_answered(world, desk):
    question = _day({"location": world["location"].pk, "kind": "consultation"}, 9)
    assert desk.get("/api/v1/availability/", question).status_code == 200
    for location in (f"{world['location'].pk}.0", f"x{world['location'].pk}", "99999999"):
        response = desk.get("/api/v1/availability/", {**question, "location": location})
        assert response.status_code == 400 and "location" in response.json()["fields"]


def test_a_provider_from_elsewhere_is_a_400_even_when_the_location_was_answered(world, desk):
    from tests import factories

    elsewhere = factories.ProviderFactory(location=factories.LocationFactory())
    question = _day({"location": world["location"].pk, "kind": "consultation"}, 9)
    assert desk.get("/api/v1/availability/", question).status_code == 200
    response = desk.get("/api/v1/availability/", {**question, "provider": elsewhere.pk})
    assert response.status_code == 400 and "provider" in response.json()["fields"]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London"])
def test_slots_are_written_as_their_declared_fields_would_write_them(world, zone):
    from dataclasses import replace
    from datetime import datetime

    from django.utils import timezone
    from rest_framework import serializers

    from scheduling import services
    from scheduling.api.serializers import SlotOut

    slots = services.availability_find(
        location=world["location"],
        kind="session",
        start=datetime.fromisoformat("2027-03-29T00:00:00+00:00"),  # the clocks went forward the day before
        end=datetime.fromisoformat("2027-03-30T00:00:00+00:00"),
        limit=20,
    )
    slots.append(replace(slots[0], room_id=None))
    with timezone.override(zone):
        written = SlotOut(slots, many=True).data
        by_field = [serializers.Serializer.to_representation(SlotOut(), slot) for slot in slots]
    assert written == by_field and [list(row) for row in written] == [list(row) for row in by_field]
    assert written[-1]["room"] is None


@pytest.mark.parametrize(
    "kind,areas,first,last",
    [
        ("consultation", [], "2027-03-08T00:00:00+00:00", "2027-03-09T00:00:00+00:00"),  # a Monday
        ("session", ["face", "neck"], "2027-03-14T00:00:00+00:00", "2027-03-15T00:00:00+00:00"),  # a Sunday
        ("review", [], "2027-03-10T09:30:00+00:00", "2027-03-10T13:00:00+00:00"),  # part of a day
        ("consultation", [], "2027-03-27T23:00:00+00:00", "2027-03-29T23:00:00+00:00"),  # London's clock change
        ("session", ["face"], "2027-03-11T00:00:00+00:00", "2027-03-17T00:00:00+00:00"),  # into the next week
    ],
)
def test_answers_are_the_planners_for_the_range_asked_first_and_again(world, desk, kind, areas, first, last):
    from datetime import datetime

    from scheduling import services

    question = {"location": world["location"].pk, "kind": kind, "start": first, "end": last, "limit": 200}
    if areas:
        question["areas"] = areas
    fresh = desk.get("/api/v1/availability/", question).json()
    answered = desk.get("/api/v1/availability/", question).json()
    direct = services.availability_find(
        location=world["location"],
        kind=kind,
        start=datetime.fromisoformat(first),
        end=datetime.fromisoformat(last),
        areas=areas or None,
        limit=200,
    )
    assert answered == fresh
    assert answered and [(s["starts_at"], s["provider"], s["room"]) for s in answered] == [
        (_iso(v.start), v.provider_id, v.room_id) for v in direct
    ]


def test_desks_asking_the_same_new_question_at_once_ask_the_planner_once(clinic):
    """The first desk works the answer out; the others wait for it instead of asking the
    planner again, and all get the same slots."""
    calls, started = [], threading.Event()

    def slow_slots(**kwargs):
        calls.append(kwargs["kind"])
        started.set()
        time.sleep(0.2)
        return availability.SharedSlots(SlotRows("session", (0, 0), (0, 0, 0), ()), frozenset({clinic["provider"].pk}))

    answers = []
    start = at(2, 8)
    def ask():
        answers.append(availability.availability_shared(
            location=clinic["location"], kind="session", start=start, end=start + timedelta(days=1), areas=[],
            fingerprint=("quiet diary",)))

    with mock.patch.object(availability, "_everyones_slots", side_effect=slow_slots):
        first = threading.Thread(target=ask)
        first.start()
        started.wait(2)
        others = [threading.Thread(target=ask) for _ in range(3)]
        for thread in others:
            thread.start()
        for thread in [first, *others]:
            thread.join(5)
    assert calls == ["session"]
    assert len(answers) == 4 and all(answer == answers[0] for answer in answers)


def test_one_question_keeps_every_kinds_slots_for_that_range(world, desk, django_assert_num_queries):
    """The first question for a day reads the diary once; another kind of visit for the
    same day is then answered without asking the planner, and reads as a fresh answer."""
    from django.core.cache import cache

    question = _day({"location": world["location"].pk, "kind": "consultation", "limit": 30}, 10)
    assert desk.get("/api/v1/availability/", question).status_code == 200
    kept = {}
    for kind in ("session", "maintenance", "healing_check", "review"):
        with mock.patch.object(availability, "availability_every_kind", side_effect=AssertionError("asked again")):
            with django_assert_num_queries(1):  # the diary's fingerprint only
                kept[kind] = desk.get("/api/v1/availability/", {**question, "kind": kind})
    cache.clear()
    for kind, answer in kept.items():
        fresh = desk.get("/api/v1/availability/", {**question, "kind": kind})
        assert answer.status_code == fresh.status_code == 200
        assert answer.json() == fresh.json() and fresh.json(), kind
        assert {slot["kind"] for slot in fresh.json()} == {kind}


def _book_consultation(desk, world, provider, starts_at: str) -> None:
    booked = desk.post(
        "/api/v1/consultations/",
        {"patient": world["patient"].pk, "location": world["location"].pk, "provider": provider.pk,
         "starts_at": starts_at},
        format="json",
    )
    assert booked.status_code == 201, booked.json()


def test_a_booking_changes_every_kinds_kept_slots(world, desk):
    question = _day({"location": world["location"].pk, "kind": "review", "limit": 200,
                     "provider": world["other_provider"].pk}, 11)
    before = desk.get("/api/v1/availability/", {**question, "kind": "consultation"}).json()
    _book_consultation(desk, world, world["other_provider"], before[0]["starts_at"])
    after = desk.get("/api/v1/availability/", question).json()
    assert before[0]["starts_at"] not in [slot["starts_at"] for slot in after]


@pytest.mark.redis
def test_answers_are_shared_through_redis_as_the_web_workers_share_them(world, desk, settings,
                                                                        django_assert_num_queries):
    """With DJANGO_CACHE_URL on Redis (production), kept slots and answers survive the
    trip through it: another kind for the same day and a repeated question are answered
    from Redis, and a booking still shows at once."""
    from django.core.cache import cache

    broker = urlparse(settings.CELERY_BROKER_URL)
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache",
                                   "LOCATION": f"redis://{broker.hostname}:{broker.port or 6379}/14"}}
    cache.clear()
    question = _day({"location": world["location"].pk, "kind": "consultation", "limit": 50,
                     "provider": world["provider"].pk}, 12)
    first = desk.get("/api/v1/availability/", question).json()
    with django_assert_num_queries(1):  # the diary's fingerprint only
        assert desk.get("/api/v1/availability/", question).json() == first
    with mock.patch.object(availability, "availability_every_kind", side_effect=AssertionError("asked again")):
        with django_assert_num_queries(1):
            sessions = desk.get("/api/v1/availability/", {**question, "kind": "session"}).json()
    assert sessions and {slot["kind"] for slot in sessions} == {"session"}
    _book_consultation(desk, world, world["provider"], first[0]["starts_at"])
    assert first[0]["starts_at"] not in [slot["starts_at"] for slot in
                                         desk.get("/api/v1/availability/", question).json()]
    cache.clear()


@pytest.mark.parametrize("kind", ["consultation", "session", "healing_check"])
def test_a_day_that_has_passed_has_no_free_slots(world, desk, kind):
    from django.utils import timezone

    yesterday = (timezone.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    question = {"location": world["location"].pk, "kind": kind, "start": yesterday.isoformat(),
                "end": (yesterday + timedelta(days=1)).isoformat()}
    for provider in (None, world["provider"].pk):
        asked = {**question, "provider": provider} if provider else question
        for _ in range(2):  # worked out, then kept
            answer = desk.get("/api/v1/availability/", asked)
            assert answer.status_code == 200 and answer.json() == []


def test_the_shared_slots_refuse_a_kind_of_visit_that_does_not_exist(clinic):
    from clinic.errors import InvalidRequest

    start = at(2, 8)
    with pytest.raises(InvalidRequest, match="Unknown kind of visit"):
        availability.availability_shared(location=clinic["location"], kind="facial", start=start,
                                         end=start + timedelta(days=1), areas=[])
