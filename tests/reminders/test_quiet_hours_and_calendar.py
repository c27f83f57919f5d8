"""Pure helpers: quiet hours in the patient's zone (DST included) and calendar files."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from scheduling.ical import CalendarEvent, calendar_build
from scheduling.reminders.quiet_hours import Placement, QuietHours, place_outside_quiet_hours

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours.parse("21:00-08:00")


def at(day: int, hour: int, minute: int = 0, month: int = 3, zone=LONDON) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=zone)


def test_parse_reads_a_span_and_empty_means_none():
    assert NIGHT == QuietHours(starts=time(21), ends=time(8))
    assert QuietHours.parse("") is None and QuietHours.parse(None) is None


def test_the_night_is_quiet_and_the_day_is_not():
    assert (
        NIGHT.contains(at(1, 21), LONDON) and NIGHT.contains(at(2, 3), LONDON) and NIGHT.contains(at(2, 7, 59), LONDON)
    )
    assert not NIGHT.contains(at(2, 8), LONDON) and not NIGHT.contains(at(1, 20, 59), LONDON)


def test_quiet_hours_follow_the_patients_zone_not_utc():
    tokyo = ZoneInfo("Asia/Tokyo")
    noon_utc = datetime(2027, 3, 1, 12, tzinfo=UTC)  # 21:00 in Tokyo
    assert NIGHT.contains(noon_utc, tokyo) and not NIGHT.contains(noon_utc, LONDON)


def test_a_text_due_at_night_waits_for_8_local_even_across_the_clock_change():
    # Clocks go forward in London at 01:00 on Sunday 28 March 2027.
    due = at(27, 23)
    placed = place_outside_quiet_hours(due=due, zone=LONDON, quiet=NIGHT, visit_starts_at=None, now=due)
    when, deferred = placed.due, placed.deferred
    assert deferred and when == at(28, 8) and when.astimezone(UTC).hour == 7
    assert when.astimezone(UTC) - due.astimezone(UTC) == timedelta(hours=8)  # an hour of the night vanished


def test_a_text_whose_morning_would_be_after_the_visit_goes_by_email_if_the_patient_takes_email():
    due = at(2, 6)  # a 2-hour reminder for an 08:00 visit
    placed = place_outside_quiet_hours(
        due=due, zone=LONDON, quiet=NIGHT, visit_starts_at=at(2, 8), now=at(1, 12), email_ok=True
    )
    assert placed == Placement(due, "email")


def test_without_email_it_goes_the_evening_before():
    due = at(2, 6)
    placed = place_outside_quiet_hours(due=due, zone=LONDON, quiet=NIGHT, visit_starts_at=at(2, 8), now=at(1, 12))
    assert placed == Placement(at(1, 20, 59), "sms", deferred=True)


def test_when_even_the_evening_has_passed_no_text_goes_in_quiet_hours():
    due = at(2, 6)
    placed = place_outside_quiet_hours(due=due, zone=LONDON, quiet=NIGHT, visit_starts_at=at(2, 8), now=at(1, 22))
    assert placed.held and "no text is sent" in placed.reason


def test_a_daytime_text_is_not_moved_and_no_quiet_hours_moves_nothing():
    assert place_outside_quiet_hours(
        due=at(2, 12), zone=LONDON, quiet=NIGHT, visit_starts_at=None, now=at(1, 1)
    ) == Placement(at(2, 12), "sms")
    assert place_outside_quiet_hours(
        due=at(2, 3), zone=LONDON, quiet=None, visit_starts_at=None, now=at(1, 1)
    ) == Placement(at(2, 3), "sms")


def test_calendar_file_has_one_event_per_visit_in_utc_with_escaped_text():
    stamp = datetime(2027, 6, 1, tzinfo=UTC)
    calendar = calendar_build(
        product="-//Needlepoint//Reminders//EN",
        method="PUBLISH",
        events=[
            CalendarEvent(
                uid="appointment-1@needlepoint",
                stamp=stamp,
                starts_at=at(1, 10, month=7),
                ends_at=at(1, 11, month=7),
                summary="Treatment session 1 of 3 at Riverside Clinic",
                location="1 River St, London; Floor 2",
            ),
            CalendarEvent(
                uid="appointment-2@needlepoint",
                stamp=stamp,
                starts_at=at(29, 10, month=7),
                ends_at=at(29, 11, month=7),
                summary="Treatment session 2 of 3 at Riverside Clinic",
            ),
        ],
    ).decode()
    lines = calendar.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert all(len(line.encode()) <= 75 for line in lines)
    first, second = Calendar.from_ical(calendar).walk("VEVENT")
    assert [str(first["uid"]), str(second["uid"])] == ["appointment-1@needlepoint", "appointment-2@needlepoint"]
    # 10:00 in London in summer is 09:00 UTC, written as UTC (no zone for the reader to know).
    assert "TZID" not in first["dtstart"].params
    assert first.decoded("dtstart") == datetime(2027, 7, 1, 9, tzinfo=UTC)
    assert first.decoded("dtstart").utcoffset() == timedelta(0)
    assert str(first["location"]) == "1 River St, London; Floor 2"  # escaped in the file, whole when read
    assert "LOCATION" not in second


def test_long_calendar_lines_are_folded():
    calendar = calendar_build(
        product="-//Needlepoint//Reminders//EN",
        events=[CalendarEvent(uid="u", stamp=at(1, 9), starts_at=at(1, 10), ends_at=at(1, 11), summary="x" * 200)],
    ).decode()
    summary_at = calendar.index("SUMMARY:")
    unfolded = calendar[summary_at:].replace("\r\n ", "").split("\r\n")[0]
    assert unfolded == "SUMMARY:" + "x" * 200
    assert str(Calendar.from_ical(calendar).walk("VEVENT")[0]["summary"]) == "x" * 200
