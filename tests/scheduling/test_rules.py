"""The time rules the services, the pages and the reminders all ask (scheduling.rules)."""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from scheduling.rules import cancellation_is_late, next_session, session_window, visit_allows

LONDON = ZoneInfo("Europe/London")
PROTOCOL = SimpleNamespace(min_interval_days=28, max_interval_days=42)


def visit(number=None, start=datetime(2027, 3, 2, 10, tzinfo=LONDON), status="booked", notice_hours=24):
    return SimpleNamespace(session_number=number, starts_at=start, status=status,
                           location=SimpleNamespace(late_cancel_notice_hours=notice_hours))


def test_the_window_keeps_the_wall_clock_across_the_clock_change():
    """Six weeks after 10:00 on 2 March (GMT) is 10:00 on 13 April (BST), not 11:00."""
    opens, closes = session_window(datetime(2027, 3, 2, 10, tzinfo=UTC), protocol=PROTOCOL, zone=LONDON)
    assert (opens.date().isoformat(), opens.hour) == ("2027-03-30", 10)
    assert (closes.date().isoformat(), closes.hour, closes.utcoffset().seconds) == ("2027-04-13", 10, 3600)


def test_the_next_session_is_the_first_missing_after_a_booked_one():
    series = SimpleNamespace(session_count=4, protocol=PROTOCOL)
    first, second = visit(1), visit(2, start=datetime(2027, 4, 6, 10, tzinfo=LONDON))
    due = next_session(series, [first, second], zone=LONDON)
    assert (due.number, due.previous) == (3, second)
    assert due.window_closes_at.date().isoformat() == "2027-05-18"


def test_no_next_session_when_all_are_booked_or_none_is():
    series = SimpleNamespace(session_count=2, protocol=PROTOCOL)
    assert next_session(series, [visit(1), visit(2)], zone=LONDON) is None
    assert next_session(series, [], zone=LONDON) is None


def test_a_cancellation_inside_the_notice_period_is_late():
    ten = datetime(2027, 3, 2, 10, tzinfo=LONDON)
    assert cancellation_is_late(visit(start=ten), datetime(2027, 3, 1, 10, 30, tzinfo=LONDON))
    assert not cancellation_is_late(visit(start=ten), datetime(2027, 3, 1, 10, tzinfo=LONDON))


def test_what_a_visit_allows_follows_its_status_and_whether_it_is_ahead():
    ten = datetime(2027, 3, 2, 10, tzinfo=LONDON)
    before, after = datetime(2027, 2, 20, tzinfo=LONDON), datetime(2027, 3, 2, 11, tzinfo=LONDON)
    booked = visit_allows(visit(start=ten), before)
    assert (booked.confirm, booked.change, booked.late_if_cancelled) == (True, True, False)
    confirmed = visit_allows(visit(start=ten, status="confirmed"), before)
    assert (confirmed.confirm, confirmed.change) == (False, True)
    assert visit_allows(visit(start=ten, status="cancelled"), before).change is False
    assert visit_allows(visit(start=ten), after).change is False
