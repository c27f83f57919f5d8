"""Closures and time off are typed in the location's own time: 09:00-12:00 local is stored
as the right UTC on both sides of each zone's change of the clocks, a time the clocks skip
is refused with the reason, and a repeated one is read in the stated way."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from clinic.models import AuditEntry, Closure, TimeOff
from tests import factories

pytestmark = pytest.mark.django_db


def _closure(admin, location, **fields):
    data = {"reason": "Staff training", "starts_on": "", "starts_time": "", "ends_on": "", "ends_time": ""}
    data.update(fields)
    return admin.post(reverse("frontdesk:setup-closures", args=[location.pk]), data)


# Each zone's 2027 change and the UTC of 09:00 and 12:00 local the day before and after.
CASES = [
    ("Europe/London", "2027-03-27", (9, 12), "2027-03-29", (8, 11)),
    ("Europe/London", "2027-10-30", (8, 11), "2027-11-01", (9, 12)),
    ("America/New_York", "2027-03-13", (14, 17), "2027-03-15", (13, 16)),
    ("America/New_York", "2027-11-06", (13, 16), "2027-11-08", (14, 17)),
    ("Australia/Sydney", "2027-04-03", (22, 1), "2027-04-05", (23, 2)),
    ("Australia/Sydney", "2027-10-02", (23, 2), "2027-10-04", (22, 1)),
]


@pytest.mark.parametrize(("zone", "before", "before_utc", "after", "after_utc"), CASES)
def test_a_morning_closure_is_stored_at_the_utc_of_its_own_day(admin, zone, before, before_utc, after, after_utc):
    location = factories.LocationFactory(time_zone=zone)
    for day, (start_hour, end_hour) in ((before, before_utc), (after, after_utc)):
        response = _closure(admin, location, starts_on=day, starts_time="09:00", ends_on=day, ends_time="12:00")
        assert response.status_code == 302, response.content.decode()
        closure = Closure.objects.filter(location=location).latest("pk")
        assert closure.starts_at.astimezone(UTC).hour == start_hour
        assert closure.ends_at.astimezone(UTC).hour == end_hour
        assert (closure.ends_at - closure.starts_at).total_seconds() == 3 * 3600


@pytest.mark.parametrize(("zone", "day", "clock", "words"), [
    ("Europe/London", "2027-03-28", "01:30",
     "01:30 on 28 March 2027 does not exist in Europe/London: the clocks go forward from 01:00 to 02:00"),
    ("America/New_York", "2027-03-14", "02:30",
     "02:30 on 14 March 2027 does not exist in America/New_York: the clocks go forward from 02:00 to 03:00"),
    ("Australia/Sydney", "2027-10-03", "02:00",
     "02:00 on 3 October 2027 does not exist in Australia/Sydney: the clocks go forward from 02:00 to 03:00"),
])
def test_a_time_the_clocks_skip_is_refused_with_the_reason_and_nothing_typed_is_lost(admin, zone, day, clock, words):
    location = factories.LocationFactory(time_zone=zone)
    response = _closure(admin, location, reason="Night works", starts_on=day, starts_time=clock, ends_on=day,
                        ends_time="06:00")
    body = response.content.decode()
    assert response.status_code == 400
    assert words in body
    assert 'value="Night works"' in body and f'value="{day}"' in body and f'value="{clock}"' in body
    assert not Closure.objects.filter(location=location).exists()


def test_a_closure_across_the_repeated_hour_covers_all_of_it_and_says_how_it_was_read(admin):
    location = factories.LocationFactory(time_zone="Europe/London")
    response = _closure(admin, location, starts_on="2027-10-31", starts_time="01:15", ends_on="2027-10-31",
                        ends_time="01:45")
    closure = Closure.objects.get(location=location)
    # 01:15 BST (00:15 UTC) to 01:45 GMT (01:45 UTC): both 01:15-01:45s are closed.
    assert closure.starts_at == datetime(2027, 10, 31, 0, 15, tzinfo=UTC)
    assert closure.ends_at == datetime(2027, 10, 31, 1, 45, tzinfo=UTC)
    page = admin.get(response.url).content.decode()
    assert "happens twice in Europe/London" in page and "read as the first time (BST)" in page


def test_whole_days_run_from_local_midnight_and_a_yearly_closure_is_kept_as_one(admin):
    location = factories.LocationFactory(time_zone="America/New_York")
    response = _closure(admin, location, reason="Christmas", starts_on="2027-12-24", ends_on="2027-12-26",
                        repeats_yearly="on")
    assert response.status_code == 302
    closure = Closure.objects.get(location=location)
    assert closure.repeats_yearly is True
    assert closure.starts_at == datetime(2027, 12, 24, 5, 0, tzinfo=UTC)
    assert closure.ends_at == datetime(2027, 12, 27, 5, 0, tzinfo=UTC)
    page = admin.get(reverse("frontdesk:setup-closures", args=[location.pk])).content.decode()
    assert "Christmas" in page and "Every year" in page
    assert "Fri 24 Dec 2027 00:00 (America/New_York, EST)" in page


def test_errors_are_sentences_and_keep_what_was_typed(admin):
    location = factories.LocationFactory()
    response = _closure(admin, location, reason="Works", starts_on="2027-05-02", starts_time="12:00",
                        ends_on="2027-05-01", ends_time="09:00")
    body = response.content.decode()
    assert "The last day must be on or after the first day." in body
    assert 'value="Works"' in body and 'value="2027-05-02"' in body
    response = _closure(admin, location, starts_on="2027-05-02", starts_time="12:00", ends_on="2027-05-02")
    assert "Give both times for a span of hours, or leave both empty for whole days." in response.content.decode()
    response = _closure(admin, location, starts_on="2027-05-02", starts_time="12:00", ends_on="2027-05-02",
                        ends_time="09:00")
    assert "The end must be after the start." in response.content.decode()
    assert "constraint" not in response.content.decode().lower()
    assert not Closure.objects.exists()


def test_a_closure_is_audited_with_its_values_and_can_be_removed(admin, clinic_admin_user):
    location = factories.LocationFactory()
    _closure(admin, location, starts_on="2027-05-03", starts_time="09:00", ends_on="2027-05-03", ends_time="12:00")
    closure = Closure.objects.get()
    entry = AuditEntry.objects.get(action="created", object_type="closure")
    assert entry.actor == clinic_admin_user
    assert entry.changes["reason"] == [None, "Staff training"]
    assert entry.changes["starts_at"] == [None, "2027-05-03T08:00:00+00:00"]
    admin.post(reverse("frontdesk:setup-closure-delete", args=[closure.pk]))
    assert not Closure.objects.exists()
    removed = AuditEntry.objects.get(action="deleted", object_type="closure")
    assert removed.changes["reason"] == ["Staff training", None]


def test_time_off_is_typed_in_the_chosen_location_time(admin, clinic):
    provider = clinic["provider"]
    new_york = factories.LocationFactory(time_zone="America/New_York")
    response = admin.post(reverse("frontdesk:setup-time-off", args=[provider.pk]), {
        "location": new_york.pk, "reason": "Conference", "starts_on": "2027-06-01", "starts_time": "09:00",
        "ends_on": "2027-06-01", "ends_time": "17:00"})
    assert response.status_code == 302
    off = TimeOff.objects.get(provider=provider)
    assert off.starts_at == datetime(2027, 6, 1, 13, 0, tzinfo=UTC)
    entry = AuditEntry.objects.get(object_type="timeoff", action="created")
    assert entry.changes["reason"] == [None, "Conference"]


def test_a_closure_is_shown_in_local_time_for_editing_and_its_change_is_audited(admin):
    location = factories.LocationFactory(time_zone="Australia/Sydney")
    _closure(admin, location, starts_on="2027-07-05", starts_time="09:00", ends_on="2027-07-05", ends_time="12:00")
    closure = Closure.objects.get(location=location)
    url = reverse("frontdesk:setup-closure", args=[closure.pk])
    body = admin.get(url).content.decode()
    assert 'value="2027-07-05"' in body and 'value="09:00"' in body and 'value="12:00"' in body
    response = admin.post(url, {"reason": "Staff training", "starts_on": "2027-07-05", "starts_time": "13:00",
                                "ends_on": "2027-07-05", "ends_time": "17:00"})
    assert response.status_code == 302
    closure.refresh_from_db()
    assert closure.starts_at == datetime(2027, 7, 5, 3, 0, tzinfo=UTC)  # 13:00 AEST
    entry = AuditEntry.objects.get(object_type="closure", action="updated")
    assert entry.changes["starts_at"] == ["2027-07-04T23:00:00+00:00", "2027-07-05T03:00:00+00:00"]
