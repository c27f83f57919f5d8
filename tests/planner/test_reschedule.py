"""plan_reschedule: move one session, change as little else as possible."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduling.planner import Preferences, plan_reschedule, plan_series

from .builders import clinic, local, provider, request, rules, span, whole_days
from .checker import series_problems

LONDON = "Europe/London"
# Sessions 21-42 days apart, 28 on target: room to move a little.
PROTOCOL = rules(min_days=21, target_days=28, max_days=42)


def booked_series(location, protocol=PROTOCOL):
    req = request(location, protocol)
    best = plan_series(req).best
    assert [v.local_date for v in best.sessions] == [date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 26)]
    return req, best


def same_slot(a, b) -> bool:
    def slot(v):
        return (v.start, v.provider_id, v.room_id, v.end, v.room_end)

    return slot(a) == slot(b)


def at(day: int, month: int, hour: int = 10, minute: int = 0):
    return local(LONDON, 2027, month, day, hour, minute)


def test_moving_session_2_a_little_keeps_session_3_where_it_was():
    req, plan = booked_series(clinic())
    result = plan_reschedule(req, plan.visits, 2, at(1, 4))

    assert result.ok, result.problem
    assert series_problems(req, result.visits) == []
    assert [c.number for c in result.changes] == [2]
    change = result.changes[0]
    assert change.old == plan.sessions[1]
    assert change.new.start == at(1, 4)
    assert change.new.provider_id == plan.sessions[1].provider_id
    sessions = result.sessions
    assert sessions[0] == plan.sessions[0]
    assert same_slot(sessions[2], plan.sessions[2])
    # A session that stays keeps its slot; its window follows the session before it.
    assert (sessions[2].window_start, sessions[2].window_end) == (date(2027, 4, 22), date(2027, 5, 13))
    # Session 2's healing check follows it; the others are carried over as booked.
    checks = {v.number: v for v in result.visits if v.kind == "healing_check"}
    assert checks[1] == plan.healing_checks[0]
    assert checks[3] == plan.healing_checks[2]
    assert checks[2].local_date == date(2027, 4, 5)  # 4 April is a Sunday
    assert [v for v in result.visits if v.kind == "review"] == [plan.review]


def test_moving_session_2_later_pushes_session_3_only_as_far_as_needed():
    req, plan = booked_series(clinic())
    result = plan_reschedule(req, plan.visits, 2, at(12, 4))

    assert result.ok, result.problem
    assert series_problems(req, result.visits) == []
    assert [c.number for c in result.changes] == [2, 3]
    moved_on = result.changes[1]
    # 21 days after 12 April, the shortest interval: one week later than booked.
    assert moved_on.new.local_date == date(2027, 5, 3)
    assert moved_on.new.provider_id == moved_on.old.provider_id
    old_time = moved_on.old.start.astimezone(at(1, 1).tzinfo).time()
    assert moved_on.new.start.astimezone(at(1, 1).tzinfo).time() == old_time
    # The review follows the new last session.
    review = next(v for v in result.visits if v.kind == "review")
    assert review.local_date == date(2027, 5, 31)


def test_moving_session_2_so_far_that_session_3_has_no_day_left_is_a_problem():
    location = clinic(closures=[whole_days(LONDON, date(2027, 5, 1), date(2027, 5, 31))])
    req, plan = booked_series(location)
    result = plan_reschedule(req, plan.visits, 2, at(12, 4))

    assert not result.ok
    assert result.visits == () and result.changes == ()
    problem = result.problem
    assert problem.session_number == 3
    assert problem.message == (
        "Session 3 could not be placed between Mon 3 May and Mon 24 May 2027: "
        "the clinic is closed on all 22 of those days."
    )


def test_earlier_sessions_never_move():
    req, plan = booked_series(clinic())
    result = plan_reschedule(req, plan.visits, 3, at(10, 5))
    assert result.ok
    assert result.sessions[:2] == plan.sessions[:2]
    assert [c.number for c in result.changes] == [3]

    too_late = plan_reschedule(req, plan.visits, 3, at(14, 6))
    assert not too_late.ok
    assert too_late.problem.reasons == {"interval": 1}
    assert too_late.problem.message == (
        "Session 3 cannot move to Mon 14 Jun 2027 at 10:00: it must be 21-42 days after session 2, "
        "so between Mon 19 Apr and Mon 10 May 2027."
    )


def test_moving_session_1_can_push_the_whole_series():
    req, plan = booked_series(clinic())
    result = plan_reschedule(req, plan.visits, 1, at(15, 3))
    assert result.ok
    assert series_problems(req, result.visits) == []
    # Session 2 (29 March) would be 14 days later: it moves to 5 April, 21 days on;
    # session 3 (26 April) is then still 21 days after it and stays.
    assert [c.number for c in result.changes] == [1, 2]
    assert result.sessions[1].local_date == date(2027, 4, 5)
    assert same_slot(result.sessions[2], plan.sessions[2])


def test_the_moved_session_keeps_its_provider_when_free_and_changes_when_not():
    location = clinic(providers=[provider(1, busy=[span(at(1, 4, 10), at(1, 4, 11))]), provider(2)])
    req, plan = booked_series(location)
    assert plan.sessions[1].provider_id == 1
    free = plan_reschedule(req, plan.visits, 2, at(1, 4, 14))
    assert free.changes[0].new.provider_id == 1
    taken = plan_reschedule(req, plan.visits, 2, at(1, 4, 10))
    assert taken.ok
    assert taken.changes[0].new.provider_id == 2
    assert same_slot(taken.sessions[2], plan.sessions[2])


def test_a_named_provider_who_is_busy_then_gives_a_problem():
    location = clinic(providers=[provider(1, busy=[span(at(1, 4, 10), at(1, 4, 11))]), provider(2)])
    req, plan = booked_series(location)
    result = plan_reschedule(req, plan.visits, 2, at(1, 4, 10), provider_id=1)
    assert not result.ok
    assert result.problem.message == "Session 2 cannot move to Thu 1 Apr 2027 at 10:00: Dr A is already booked then."
    assert result.problem.reasons == {"providers_fully_booked": 1}


def test_a_time_off_the_slot_grid_or_when_closed_is_refused():
    req, plan = booked_series(clinic())
    off_grid = plan_reschedule(req, plan.visits, 2, at(1, 4, 10, 7))
    assert off_grid.problem.reasons == {"off_grid": 1}
    assert "15-minute grid" in off_grid.problem.message
    sunday = plan_reschedule(req, plan.visits, 2, at(4, 4, 10))
    assert sunday.problem.reasons == {"closed": 1}


def test_a_later_session_whose_slot_was_taken_meanwhile_is_moved_minimally():
    _, plan = booked_series(clinic())
    third = plan.sessions[2]
    # The clinic has since closed for session 3's slot (e.g. a staff meeting).
    blocked = clinic(closures=[span(third.start, third.room_end)])
    req = request(blocked, PROTOCOL)
    result = plan_reschedule(req, plan.visits, 2, at(30, 3, 8, 30))
    assert result.ok
    assert series_problems(req, result.visits) == []
    assert [c.number for c in result.changes] == [2, 3]
    new_third = result.changes[1].new
    assert new_third.local_date == third.local_date  # same day, next free time
    assert new_third.start != third.start


def test_booked_must_hold_every_session():
    req, plan = booked_series(clinic())
    with pytest.raises(ValueError):
        plan_reschedule(req, plan.sessions[:2], 2, at(1, 4))


def test_named_provider_preference_applies_to_sessions_moved_on():
    location = clinic(providers=[provider(1), provider(2)])
    req = request(location, PROTOCOL, preferences=Preferences(provider_id=2))
    plan = plan_series(req).best
    result = plan_reschedule(req, plan.visits, 2, at(12, 4))
    assert result.ok
    assert {v.provider_id for v in result.visits} == {2}
    assert result.sessions[2].local_date == date(2027, 5, 3)
    assert result.sessions[2].start - plan.sessions[2].start == timedelta(days=7)
