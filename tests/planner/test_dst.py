"""Daylight saving: local wall-clock times, skipped and repeated hours, real durations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.planner import Interval, VisitShape, WeeklyHours, find_slots, plan_series

from .builders import UTC, clinic, local, local_dates, local_times, provider, request, room, rules
from .checker import series_problems

EVERY_DAY = range(7)
PHONE_15 = VisitShape(0, 15, 0, needs_room=False)
PHONE_30 = VisitShape(0, 30, 0, needs_room=False)

# Spring forward (a wall-clock hour is skipped) and fall back (one is repeated) in 2027.
SPRING = {
    "America/New_York": (date(2027, 3, 14), time(2, 0)),  # 02:00 -> 03:00
    "Europe/London": (date(2027, 3, 28), time(1, 0)),  # 01:00 -> 02:00
    "Australia/Sydney": (date(2027, 10, 3), time(2, 0)),  # 02:00 -> 03:00
}
FALL = {
    "America/New_York": (date(2027, 11, 7), time(1, 0)),  # 02:00 -> 01:00: 01:xx twice
    "Europe/London": (date(2027, 10, 31), time(1, 0)),  # 02:00 -> 01:00
    "Australia/Sydney": (date(2027, 4, 4), time(2, 0)),  # 03:00 -> 02:00: 02:xx twice
}


def night_clinic(tz: str, opening=("00:00", "06:00"), slot_minutes: int = 15):
    """A clinic (and provider) open at night every day, so the changes at 01:00-03:00 bite."""
    hours = WeeklyHours.on(EVERY_DAY, opening)
    return clinic(tz=tz, opening=hours, providers=[provider(1, hours)], rooms=[room(1)], slot_minutes=slot_minutes)


def night_slots(tz: str, day: date, shape=PHONE_15, **kwargs):
    location = night_clinic(tz, **kwargs)
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return find_slots(location, shape, start, end, limit=500)


@pytest.mark.parametrize("tz", sorted(SPRING))
def test_series_across_the_change_keeps_its_local_time(tz):
    change, _ = SPRING[tz]
    zone = ZoneInfo(tz)
    hours = WeeklyHours.on(EVERY_DAY, ("10:00", "18:00"))
    location = clinic(tz=tz, opening=hours, providers=[provider(1, hours)])
    protocol = rules(min_days=7, target_days=7, max_days=7, healing_days=(1, 6), review_days=(7, 14))
    earliest = datetime.combine(change - timedelta(days=3), time(0), zone)
    req = request(location, protocol, earliest=earliest, horizon=earliest + timedelta(days=60))

    best = plan_series(req).best

    assert series_problems(req, best.visits) == []
    assert local_times(best.sessions, tz) == [time(10, 0)] * 3
    first, second = best.sessions[:2]
    assert (second.local_date - first.local_date).days == 7
    # Seven local days, but one hour less (or more) of real time.
    assert second.start - first.start == timedelta(days=7) - timedelta(hours=1)
    assert all(v.start.tzinfo is UTC for v in best.visits)


@pytest.mark.parametrize("tz", sorted(FALL))
def test_series_across_fall_back_keeps_its_local_time(tz):
    change, _ = FALL[tz]
    zone = ZoneInfo(tz)
    location = clinic(tz=tz)
    earliest = datetime.combine(change - timedelta(days=14), time(0), zone)
    req = request(location, earliest=earliest)
    best = plan_series(req).best
    assert series_problems(req, best.visits) == []
    times = local_times(best.sessions, tz)
    assert times == [times[0]] * 3
    first, second = best.sessions[:2]
    assert second.start - first.start == timedelta(days=28, hours=1)


@pytest.mark.parametrize("tz", sorted(SPRING))
def test_spring_forward_gap_times_are_never_offered(tz):
    day, gap_start = SPRING[tz]
    zone = ZoneInfo(tz)
    slots = night_slots(tz, day)
    walls = [s.start.astimezone(zone).time() for s in slots]
    assert not [w for w in walls if w.hour == gap_start.hour]
    # The wall clock jumps from hh:45 to the next hour + 1, and the real time is contiguous.
    before = time(gap_start.hour - 1, 45)
    after = time(gap_start.hour + 1, 0)
    i = walls.index(before)
    assert walls[i + 1] == after
    assert slots[i + 1].start - slots[i].start == timedelta(minutes=15)
    # Visits take real minutes: the one at hh:45 ends at the jump.
    assert slots[i].end - slots[i].start == timedelta(minutes=15)
    assert slots[i].end.astimezone(zone).time() == after
    # Six wall-clock hours from midnight hold five real ones.
    assert len(slots) == 5 * 4 - 0  # 00:00..05:45 minus the skipped hour, every 15 minutes


def test_spring_forward_night_series_is_never_placed_in_the_gap():
    # New York, a clinic open only 02:00-03:00 at night: on 14 March that hour does not exist.
    tz = "America/New_York"
    hours = WeeklyHours.on(EVERY_DAY, ("02:00", "03:00"))
    location = clinic(tz=tz, opening=hours, providers=[provider(1, hours)], rooms=[room(1)])
    protocol = rules(session_count=3, min_days=7, target_days=7, max_days=8, session=VisitShape(0, 30, 0),
                     healing_check=None, review=None)
    earliest = local(tz, 2027, 3, 7)
    req = request(location, protocol, earliest=earliest, horizon=earliest + timedelta(days=30))
    best = plan_series(req).best
    assert series_problems(req, best.visits) == []
    # Starting on the 7th would force an 8-day interval; the 8th keeps all of them on target.
    assert local_dates(best.sessions, tz) == [date(2027, 3, 8), date(2027, 3, 15), date(2027, 3, 22)]
    assert not find_slots(location, VisitShape(0, 30, 0), local(tz, 2027, 3, 14), local(tz, 2027, 3, 15))
    assert local_times(best.sessions, tz) == [time(2, 0)] * 3


@pytest.mark.parametrize("tz", sorted(FALL))
def test_repeated_hour_is_offered_once_at_its_first_occurrence(tz):
    day, repeated = FALL[tz]
    zone = ZoneInfo(tz)
    slots = night_slots(tz, day)
    locals_ = [s.start.astimezone(zone) for s in slots]
    repeated_slots = [t for t in locals_ if t.hour == repeated.hour]
    assert [t.minute for t in repeated_slots] == [0, 15, 30, 45]
    # fold=0: the first pass, still on summer time.
    assert all(t.fold == 0 for t in repeated_slots)
    summer = datetime.combine(day, repeated, zone).utcoffset()
    assert all(t.utcoffset() == summer for t in repeated_slots)
    # The second pass (one real hour) is skipped: hh:45 is followed by hh+1:00,
    # an hour and a quarter of real time later.
    i = locals_.index(repeated_slots[-1])
    assert slots[i + 1].start - slots[i].start == timedelta(minutes=75)
    # Seven real hours in six wall-clock ones, one of them not offered twice.
    assert len(slots) == 6 * 4


def test_a_visit_across_fall_back_lasts_its_real_minutes():
    tz = "America/New_York"
    zone = ZoneInfo(tz)
    slots = night_slots(tz, date(2027, 11, 7), shape=PHONE_30)
    visit = next(s for s in slots if s.start == datetime(2027, 11, 7, 5, 45, tzinfo=UTC))  # 01:45 EDT
    assert visit.start.astimezone(zone).time() == time(1, 45)
    assert visit.end == datetime(2027, 11, 7, 6, 15, tzinfo=UTC)
    ends = visit.end.astimezone(zone)
    assert (ends.time(), ends.fold) == (time(1, 15), 1)  # 01:15 EST, after the clocks went back


def test_closing_time_inside_the_gap_means_the_moment_the_clocks_jump():
    # Open until 02:30 on the New York spring-forward night: 02:30 never happens, so the
    # clinic closes at 03:00 EDT (= 02:00 EST). A 30-minute visit starts at 01:30 at the latest.
    tz = "America/New_York"
    zone = ZoneInfo(tz)
    slots = night_slots(tz, date(2027, 3, 14), shape=PHONE_30, opening=("00:00", "02:30"))
    last = slots[-1]
    assert last.start.astimezone(zone).time() == time(1, 30)
    assert last.end == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)


def test_opening_time_inside_the_gap_opens_when_the_clocks_jump():
    tz = "America/New_York"
    zone = ZoneInfo(tz)
    slots = night_slots(tz, date(2027, 3, 14), opening=("02:30", "05:00"))
    assert slots[0].start.astimezone(zone).time() == time(3, 0)
    assert slots[0].start == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)


def test_closing_time_inside_the_repeated_hour_is_its_first_occurrence():
    # Open until 01:30 on the New York fall-back night: the first 01:30 (EDT, 05:30Z).
    tz = "America/New_York"
    slots = night_slots(tz, date(2027, 11, 7), shape=PHONE_30, opening=("00:00", "01:30"))
    assert slots[-1].end == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)


def test_sydney_series_across_april_change_counts_local_days():
    tz = "Australia/Sydney"
    req = request(clinic(tz=tz), earliest=local(tz, 2027, 3, 1))
    best = plan_series(req).best
    assert series_problems(req, best.visits) == []
    assert local_dates(best.sessions, tz) == [date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 26)]
    assert local_times(best.sessions, tz) == [time(8, 30)] * 3
    offsets = [v.start.astimezone(ZoneInfo(tz)).utcoffset() for v in best.sessions]
    assert offsets == [timedelta(hours=11), timedelta(hours=11), timedelta(hours=10)]


def test_busy_time_given_in_local_time_during_the_repeated_hour_means_the_real_instant():
    # The patient is busy 01:00-01:30 EST (fold=1, the second pass: 06:00-06:30Z). That
    # blocks the 30-minute visit at 01:45 EDT (05:45-06:15Z), not the ones at 01:00-01:15 EDT.
    tz = "America/New_York"
    zone = ZoneInfo(tz)
    busy = [Interval(local(tz, 2027, 11, 7, 1, 0, fold=1), local(tz, 2027, 11, 7, 1, 30, fold=1))]
    location = night_clinic(tz)
    start = datetime.combine(date(2027, 11, 7), time(0), zone)
    slots = find_slots(location, PHONE_30, start, start + timedelta(hours=7), patient_busy=busy)
    starts = {s.start for s in slots}
    assert datetime(2027, 11, 7, 5, 45, tzinfo=UTC) not in starts
    assert datetime(2027, 11, 7, 5, 0, tzinfo=UTC) in starts
    assert datetime(2027, 11, 7, 5, 15, tzinfo=UTC) in starts
