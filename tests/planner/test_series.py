"""plan_series: whole series, completeness, preferences, ranking and problems."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.planner import (
    Preferences,
    VisitShape,
    WeeklyHours,
    find_slots,
    plan_series,
)

from .builders import (
    SESSION,
    clinic,
    local,
    local_dates,
    local_times,
    provider,
    request,
    room,
    rules,
    span,
    utc,
    whole_days,
)
from .checker import series_problems

LONDON = "Europe/London"
EVERY_DAY = range(7)


def assert_valid(req, result):
    assert result.best is not None, result.problem
    for plan in result.plans:
        assert series_problems(req, plan.visits) == []


def test_plain_clinic_gets_a_whole_series_on_target_with_one_provider():
    req = request(clinic())
    result = plan_series(req)

    assert_valid(req, result)
    best = result.best
    assert result.problem is None
    assert local_dates(best.sessions, LONDON) == [date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 26)]
    assert len(set(best.provider_ids)) == 1
    assert [v.number for v in best.healing_checks] == [1, 2, 3]
    assert best.review is not None and best.review.local_date == date(2027, 5, 24)
    # The healing check comes as soon as its window opens.
    assert [v.local_date for v in best.healing_checks] == [date(2027, 3, 4), date(2027, 4, 1), date(2027, 4, 29)]
    assert best.completion == best.sessions[-1].end


def test_session_window_and_phases_are_reported():
    req = request(clinic())
    best = plan_series(req).best
    first, second = best.sessions[:2]
    # The request runs 365 days to midnight UTC on 29 February 2028: its last local day is the 28th.
    assert (first.window_start, first.window_end) == (date(2027, 3, 1), date(2028, 2, 28))
    assert (second.window_start, second.window_end) == (date(2027, 3, 29), date(2027, 4, 12))
    assert first.provider_start - first.start == timedelta(minutes=30)
    assert first.room_end - first.end == timedelta(minutes=10)


def test_phone_healing_check_takes_no_room():
    best = plan_series(request(clinic())).best
    for check in best.healing_checks:
        assert check.room_id is None
        assert check.room_end == check.end
    assert best.review.room_id is not None


def test_planner_finds_a_series_where_earliest_day_greedy_gets_stuck():
    # Sessions 7-14 days apart; the clinic is closed 2-7 and 15-22 March. Greedy puts
    # session 1 on 1 March and session 2 on 8 March, its earliest free day (and on
    # target), which leaves session 3 nowhere to go: every day 7-14 days later is closed.
    location = clinic(
        opening=WeeklyHours.on(EVERY_DAY, ("08:00", "18:00")),
        providers=[provider(1, WeeklyHours.on(EVERY_DAY, ("08:00", "18:00")))],
        rooms=1,
        closures=[whole_days(LONDON, date(2027, 3, 2), date(2027, 3, 7)),
                  whole_days(LONDON, date(2027, 3, 15), date(2027, 3, 22))],
    )
    protocol = rules(min_days=7, target_days=7, max_days=14, healing_check=None, review=None)
    # The series has to be over by 23 March, so session 1 must be on 1 March.
    req = request(location, protocol, horizon=utc(2027, 3, 24))

    result = plan_series(req)

    assert_valid(req, result)
    days = local_dates(result.best.sessions, LONDON)
    assert days[0] == date(2027, 3, 1)
    # Greedy would take 8 March for session 2: it is free...
    assert find_slots(location, SESSION, utc(2027, 3, 8), utc(2027, 3, 9), limit=1)
    # ...but every day 7-14 days after it is closed.
    assert not find_slots(location, SESSION, utc(2027, 3, 15), utc(2027, 3, 23), limit=1)
    assert days[1] != date(2027, 3, 8)
    assert days[1] in [date(2027, 3, d) for d in range(9, 15)]
    assert days[2] == date(2027, 3, 23)


def test_series_spans_the_horizon_only_when_it_fits():
    req = request(clinic(), horizon=utc(2027, 5, 1))  # no room for a review after 26 April
    result = plan_series(req)
    assert result.best is None
    assert result.problem.session_number == 3
    assert "review" in result.problem.message


def test_named_provider_is_the_only_provider_even_when_another_could_start_sooner():
    b_off = whole_days(LONDON, date(2027, 3, 1), date(2027, 3, 12))
    location = clinic(providers=[provider(1), provider(2, time_off=[b_off])])
    req = request(location, preferences=Preferences(provider_id=2))

    result = plan_series(req)

    assert_valid(req, result)
    for plan in result.plans:
        assert {v.provider_id for v in plan.visits} == {2}
    assert result.best.sessions[0].local_date == date(2027, 3, 15)


def test_named_provider_who_is_fully_booked_gives_a_problem_naming_them():
    busy = span(utc(2027, 3, 1), utc(2028, 3, 1))
    location = clinic(providers=[provider(1), provider(2, busy=[busy], name="Dr Lee")])
    req = request(location, preferences=Preferences(provider_id=2))

    result = plan_series(req)

    assert result.best is None
    problem = result.problem
    assert problem.session_number == 1 and problem.kind == "session"
    assert problem.message.startswith("Session 1 could not be placed between Mon 1 Mar 2027 and")
    assert "Dr Lee is fully booked" in problem.message
    assert problem.reasons["providers_fully_booked"] > 0
    assert sum(problem.reasons.values()) == (problem.window_end - problem.window_start).days + 1


def test_infeasible_clinic_problem_names_the_session_and_counts_days_per_cause():
    # Open every day with two providers; bookings leave only 12 Feb, 26 Feb (and
    # nothing after) for sessions 14-28 days apart. Session 3 would need a day
    # between 12 and 26 March: four are closed and both providers are booked on the rest.
    every_day = WeeklyHours.on(EVERY_DAY, ("09:00", "17:00"))
    free_days = {date(2027, 2, 12), date(2027, 2, 26)}
    busy = [whole_days(LONDON, date(2027, 2, 12) + timedelta(days=i), date(2027, 2, 12) + timedelta(days=i))
            for i in range(45) if date(2027, 2, 12) + timedelta(days=i) not in free_days]
    location = clinic(
        opening=every_day,
        providers=[provider(1, every_day, busy=busy), provider(2, every_day, busy=busy)],
        rooms=1,
        closures=[whole_days(LONDON, date(2027, 3, 13), date(2027, 3, 16))],
    )
    protocol = rules(min_days=14, target_days=14, max_days=28, healing_check=None, review=None)
    req = request(location, protocol, earliest=utc(2027, 2, 12), horizon=utc(2027, 3, 27))

    result = plan_series(req)

    assert result.best is None
    assert result.problem.message == (
        "Session 3 could not be placed between Fri 12 Mar and Fri 26 Mar 2027: the clinic is closed "
        "on 4 of those days, and every provider is fully booked on the other 11."
    )
    assert result.problem.reasons == {"closed": 4, "providers_fully_booked": 11}
    assert (result.problem.window_start, result.problem.window_end) == (date(2027, 3, 12), date(2027, 3, 26))


def test_closure_on_the_target_day_moves_the_session_one_day():
    location = clinic(closures=[whole_days(LONDON, date(2027, 3, 29), date(2027, 3, 29))])
    req = request(location)
    result = plan_series(req)
    assert_valid(req, result)
    assert local_dates(result.best.sessions, LONDON)[1] == date(2027, 3, 30)


def test_time_off_inside_a_window_waits_for_the_provider_when_there_is_only_one():
    off = whole_days(LONDON, date(2027, 3, 29), date(2027, 4, 2))
    req = request(clinic(providers=[provider(1, time_off=[off])]))
    result = plan_series(req)
    assert_valid(req, result)
    # Saturday 3 April: the clinic is open but the provider does not work weekends.
    assert local_dates(result.best.sessions, LONDON)[1] == date(2027, 4, 5)


def test_time_off_inside_a_window_prefers_a_colleague_for_the_whole_series():
    off = whole_days(LONDON, date(2027, 3, 29), date(2027, 4, 2))
    req = request(clinic(providers=[provider(1, time_off=[off]), provider(2)]))
    result = plan_series(req)
    assert_valid(req, result)
    assert set(result.best.provider_ids) == {2}
    assert local_dates(result.best.sessions, LONDON) == [date(2027, 3, 1), date(2027, 3, 29), date(2027, 4, 26)]


def test_fully_booked_provider_inside_a_window_is_worked_around():
    day_busy = span(local(LONDON, 2027, 3, 29, 0), local(LONDON, 2027, 3, 30, 0))
    req = request(clinic(providers=[provider(1, busy=[day_busy])]))
    result = plan_series(req)
    assert_valid(req, result)
    assert local_dates(result.best.sessions, LONDON)[1] == date(2027, 3, 30)


def test_mixed_providers_when_nobody_can_do_the_whole_series():
    # Dr A is away from 22 March to the end of April, Dr B until 19 March and again in
    # May and June: neither can give all three sessions before mid-July, together they can.
    a_off = [whole_days(LONDON, date(2027, 3, 22), date(2027, 4, 30))]
    b_off = [whole_days(LONDON, date(2027, 3, 1), date(2027, 3, 19)),
             whole_days(LONDON, date(2027, 5, 1), date(2027, 6, 30))]
    location = clinic(providers=[provider(1, time_off=a_off), provider(2, time_off=b_off)])
    req = request(location, horizon=utc(2027, 7, 15))
    for only in (1, 2):
        assert plan_series(request(location, horizon=utc(2027, 7, 15),
                                   preferences=Preferences(provider_id=only))).best is None
    result = plan_series(req)
    assert_valid(req, result)
    providers = [v.provider_id for v in result.best.sessions]
    assert set(providers) == {1, 2}
    assert sum(a != b for a, b in zip(providers, providers[1:], strict=False)) == 1


def test_soft_weekday_preference_changes_the_ranking_but_excludes_nothing():
    location = clinic()
    plain = plan_series(request(location)).best
    thursdays = plan_series(request(location, preferences=Preferences(weekdays=frozenset({3})))).best
    assert [d.weekday() for d in local_dates(plain.sessions, LONDON)] == [0, 0, 0]
    assert [d.weekday() for d in local_dates(thursdays.sessions, LONDON)] == [3, 3, 3]
    assert thursdays.sessions[0].local_date == date(2027, 3, 4)

    # With every Thursday closed the soft preference still yields a plan...
    thursdays_closed = clinic(opening=WeeklyHours.on([0, 1, 2, 4, 5], ("08:00", "18:00")))
    soft = plan_series(request(thursdays_closed, preferences=Preferences(weekdays=frozenset({3}))))
    assert soft.best is not None
    # ...while a strict one does not, and says why.
    strict = plan_series(request(thursdays_closed, preferences=Preferences(weekdays=frozenset({3}), strict=True)))
    assert strict.best is None
    assert set(strict.problem.reasons) == {"outside_preferred_days", "closed"}
    assert "not among the patient's preferred days" in strict.problem.message


def test_strict_weekdays_hold_for_every_visit():
    req = request(clinic(), preferences=Preferences(weekdays=frozenset({1, 3}), strict=True))
    result = plan_series(req)
    assert_valid(req, result)
    for plan in result.plans:
        assert {v.local_date.weekday() for v in plan.visits} <= {1, 3}


def test_soft_preferred_hours_move_sessions_to_the_afternoon():
    prefs = Preferences(earliest_time=time(14, 0), latest_time=time(17, 0))
    result = plan_series(request(clinic(), preferences=prefs))
    assert all(t >= time(14, 0) for t in local_times(result.best.sessions, LONDON))
    plain = plan_series(request(clinic())).best
    # Numbing from 08:30 in the room, treatment when the provider starts at 09:00.
    assert local_times(plain.sessions, LONDON) == [time(8, 30)] * 3


def test_strict_preferred_hours_bound_the_whole_visit():
    prefs = Preferences(earliest_time=time(10, 0), latest_time=time(11, 0), strict=True)
    req = request(clinic(), preferences=prefs)
    result = plan_series(req)
    assert_valid(req, result)
    zone = ZoneInfo(LONDON)
    for visit in result.best.visits:
        assert visit.start.astimezone(zone).time() >= time(10, 0)
        assert visit.end.astimezone(zone).time() <= time(11, 0)


def test_sessions_keep_a_similar_time_of_day():
    # Dr A is booked at 09:00-12:00 on the first Monday only: the series starts at 12:30
    # (prep from 12:00) and keeps that time later though mornings are free then.
    morning = span(local(LONDON, 2027, 3, 1, 9, 0), local(LONDON, 2027, 3, 1, 12, 30))
    req = request(clinic(providers=[provider(1, busy=[morning])]))
    best = plan_series(req).best
    times = local_times(best.sessions, LONDON)
    assert times[0] == times[1] == times[2] == time(12, 0)


def test_alternatives_are_distinct_valid_and_ranked():
    req = request(clinic(providers=3), alternatives=3)
    result = plan_series(req)
    assert_valid(req, result)
    plans = result.plans
    assert len(plans) == 4
    assert len({p.key for p in plans}) == 4
    scores = [p.score for p in plans]
    assert scores == sorted(scores, reverse=True)


def test_alternatives_come_from_later_days_when_there_is_one_provider():
    req = request(clinic(providers=1), alternatives=2)
    result = plan_series(req)
    assert_valid(req, result)
    assert len(result.plans) == 3
    assert len({p.key for p in result.plans}) == 3


def test_no_alternatives_when_none_asked_for():
    result = plan_series(request(clinic(), alternatives=0))
    assert result.best is not None and result.alternatives == ()


def test_healing_check_and_review_sharing_a_day_do_not_collide():
    # One provider, one room, open 09:00-09:45 on the day after the last session: the
    # 15-minute healing check (in the room) and the 30-minute review must share it.
    every_day = WeeklyHours.on(EVERY_DAY, ("09:00", "17:00"))
    short_day = date(2027, 3, 6)
    opening = WeeklyHours.build({w: [("09:00", "17:00")] for w in range(7) if w != short_day.weekday()}
                                | {short_day.weekday(): [("09:00", "09:45")]})
    location = clinic(opening=opening, providers=[provider(1, every_day)], rooms=[room(1)])
    check = VisitShape(0, 15, 0)
    protocol = rules(session_count=3, min_days=2, target_days=2, max_days=2, healing_check=check,
                     healing_days=(1, 1), review=VisitShape(0, 20, 10), review_days=(1, 1))
    req = request(location, protocol, earliest=utc(2027, 3, 1), horizon=utc(2027, 3, 7))
    result = plan_series(req)
    assert_valid(req, result)
    assert local_dates(result.best.sessions, LONDON) == [date(2027, 3, 1), date(2027, 3, 3), date(2027, 3, 5)]
    last_check = result.best.healing_checks[-1]
    assert last_check.local_date == result.best.review.local_date == short_day


def test_two_room_visits_need_a_free_room():
    busy = [span(utc(2027, 3, 1), utc(2028, 3, 1))]
    location = clinic(rooms=[room(1, busy), room(2, busy)])
    result = plan_series(request(location))
    assert result.best is None
    assert result.problem.reasons.get("no_room_free", 0) > 0
    assert "no room is free" in result.problem.message


def test_patient_busy_days_are_avoided_and_reported():
    location = clinic(opening=WeeklyHours.on(EVERY_DAY, ("09:00", "12:00")))
    patient = [span(utc(2027, 3, 1), utc(2028, 3, 1))]
    result = plan_series(request(location, patient_busy=patient))
    assert result.best is None
    assert "the patient already has appointments" in result.problem.message


def test_rules_that_let_a_healing_check_reach_the_next_session_are_refused():
    with pytest.raises(ValueError, match="healing check must come before the next session"):
        rules(min_days=5, target_days=5, max_days=6, healing_days=(3, 7))


def test_last_healing_check_and_review_take_the_rooms_that_let_both_fit():
    # On 6 March the clinic is open 09:00-10:00 and room 2 is taken from 09:45. The
    # healing check (09:00, room until 09:45 with turnover) must use room 2, so the
    # review can follow at 09:15 in room 1 (room until 10:00); the first free room for
    # the check, room 1, would leave the review nowhere.
    every_day = WeeklyHours.on(EVERY_DAY, ("09:00", "17:00"))
    short_day = date(2027, 3, 6)
    opening = WeeklyHours.build({w: [("09:00", "17:00")] for w in range(7) if w != short_day.weekday()}
                                | {short_day.weekday(): [("09:00", "10:00")]})
    location = clinic(opening=opening, providers=[provider(1, every_day)],
                      rooms=[room(1), room(2, [span(local(LONDON, 2027, 3, 6, 9, 45), local(LONDON, 2027, 3, 6, 10))])])
    slow_turnover = VisitShape(0, 15, 30)
    protocol = rules(session_count=3, min_days=2, target_days=2, max_days=2, healing_check=slow_turnover,
                     healing_days=(1, 1), review=slow_turnover, review_days=(1, 1))
    req = request(location, protocol, earliest=utc(2027, 3, 1), horizon=utc(2027, 3, 7))
    result = plan_series(req)
    assert_valid(req, result)
    check, review = result.best.healing_checks[-1], result.best.review
    assert (check.room_id, review.room_id) == (2, 1)
    assert check.start == local(LONDON, 2027, 3, 6, 9, 0)
    assert review.start == local(LONDON, 2027, 3, 6, 9, 15)
