"""Yearly closures keep their local dates and wall-clock times every year, across daylight saving."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from clinic.closures import closure_occurrences, occurrences
from clinic.models import Closure
from tests import factories

pytestmark = pytest.mark.django_db


def _local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_one_off_closure_gives_its_own_span_only_when_it_overlaps():
    location = factories.LocationFactory()
    closure = Closure.objects.create(
        location=location, reason="Staff training",
        starts_at=_local("Europe/London", 2027, 3, 3, 9), ends_at=_local("Europe/London", 2027, 3, 3, 12),
    )
    assert closure_occurrences(closure, start=_utc(2027, 3, 1), end=_utc(2027, 3, 10)) == [
        (_utc(2027, 3, 3, 9), _utc(2027, 3, 3, 12))
    ]
    assert closure_occurrences(closure, start=_utc(2027, 3, 3, 12), end=_utc(2027, 3, 10)) == []
    assert closure_occurrences(closure, start=_utc(2028, 3, 1), end=_utc(2028, 3, 10)) == []


@pytest.mark.parametrize(
    ("zone", "first", "later", "expected_utc"),
    [
        # London: 09:00 GMT in winter 2027, 09:00 BST (08:00 UTC) on the same date in 2028.
        ("Europe/London", (2027, 3, 26, 9), (2028, 3, 1), (2028, 3, 26, 8)),
        # New York: clocks go forward on 14 March 2027 but 12 March 2028.
        ("America/New_York", (2027, 3, 13, 9), (2028, 3, 1), (2028, 3, 13, 13)),
        # Sydney: summer time ends on 4 April 2027 and 2 April 2028 (southern hemisphere).
        ("Australia/Sydney", (2027, 4, 3, 9), (2028, 3, 1), (2028, 4, 2, 23)),
    ],
)
def test_yearly_closure_keeps_its_local_wall_clock_time_across_daylight_saving(zone, first, later, expected_utc):
    location = factories.LocationFactory(time_zone=zone)
    starts = _local(zone, *first)
    closure = Closure.objects.create(
        location=location, reason="Staff training", repeats_yearly=True,
        starts_at=starts, ends_at=starts.replace(hour=12),
    )
    start = _utc(*later)
    found = closure_occurrences(closure, start=start, end=start.replace(month=12))
    assert len(found) == 1
    a, b = found[0]
    assert a == _utc(*expected_utc)
    assert (a.astimezone(ZoneInfo(zone)).hour, b.astimezone(ZoneInfo(zone)).hour) == (9, 12)
    # The UTC offset differs from the first year's, so a fixed UTC repeat would be an hour out.
    assert a.astimezone(ZoneInfo(zone)).utcoffset() != starts.utcoffset()


def test_yearly_closure_repeats_every_year_in_range_and_not_before_its_first_year():
    location = factories.LocationFactory()
    closure = Closure.objects.create(
        location=location, reason="Christmas", repeats_yearly=True,
        starts_at=_local("Europe/London", 2026, 12, 25), ends_at=_local("Europe/London", 2026, 12, 27),
    )
    found = closure_occurrences(closure, start=_utc(2020, 1, 1), end=_utc(2029, 1, 1))
    assert [a.date().isoformat() for a, _ in found] == ["2026-12-25", "2027-12-25", "2028-12-25"]
    # A span that began the year before still counts (New Year closures).
    new_year = occurrences(
        _local("Europe/London", 2026, 12, 31), _local("Europe/London", 2027, 1, 2), "Europe/London",
        repeats_yearly=True, start=_utc(2030, 1, 1), end=_utc(2030, 1, 1, 12),
    )
    assert new_year == [(_utc(2029, 12, 31), _utc(2030, 1, 2))]


def test_yearly_closure_in_the_spring_gap_starts_when_the_clocks_jump():
    # 01:30 on 28 March 2027 does not exist in London: the closure starts at 02:00 BST (01:00 UTC).
    found = occurrences(
        _local("Europe/London", 2026, 3, 28, 1, 30), _local("Europe/London", 2026, 3, 28, 5), "Europe/London",
        repeats_yearly=True, start=_utc(2027, 3, 1), end=_utc(2027, 4, 1),
    )
    assert found == [(_utc(2027, 3, 28, 1), _utc(2027, 3, 28, 4))]
