"""Wall-clock times at a location turned into UTC, and the two daylight-saving cases said
in words (clinic.localtime): no database needed."""

from datetime import UTC, date, datetime, time

import pytest

from clinic.localtime import (
    FIRST,
    SECOND,
    LocalTimeMissing,
    ambiguity_note,
    gap_explanation,
    local_label,
    local_midnight_utc,
    local_to_utc,
)


@pytest.mark.parametrize(
    ("zone", "winter", "summer", "winter_utc_hour", "summer_utc_hour"),
    [
        # London: GMT until 29 March 2026, BST after; back on 25 October.
        ("Europe/London", date(2026, 3, 28), date(2026, 3, 30), 9, 8),
        # New York: EST until 8 March 2026, EDT after.
        ("America/New_York", date(2026, 3, 7), date(2026, 3, 9), 14, 13),
        # Sydney: AEDT (summer, +11) until 5 April 2026, AEST (+10) after.
        ("Australia/Sydney", date(2026, 4, 6), date(2026, 4, 4), 23, 22),
    ],
)
def test_nine_oclock_is_stored_with_the_offset_of_its_own_day(zone, winter, summer, winter_utc_hour, summer_utc_hour):
    at_winter = local_to_utc(winter, time(9), zone)
    at_summer = local_to_utc(summer, time(9), zone)
    assert at_winter.hour == winter_utc_hour and at_winter.tzinfo is UTC
    assert at_summer.hour == summer_utc_hour


def test_london_spring_gap_is_one_to_two_in_the_morning_not_two_thirty():
    assert gap_explanation(date(2026, 3, 29), time(2, 30), "Europe/London") is None
    words = gap_explanation(date(2026, 3, 29), time(1, 30), "Europe/London")
    assert words == (
        "01:30 on 29 March 2026 does not exist in Europe/London: the clocks go forward from 01:00 to 02:00 that "
        "night (GMT to BST), so 01:00 to 01:59 never happens. Choose a time before 01:00 or from 02:00."
    )
    with pytest.raises(LocalTimeMissing, match="01:30 on 29 March 2026 does not exist"):
        local_to_utc(date(2026, 3, 29), time(1, 30), "Europe/London")


def test_new_york_and_sydney_skip_two_to_three():
    new_york = gap_explanation(date(2026, 3, 8), time(2, 30), "America/New_York")
    assert new_york.startswith("02:30 on 8 March 2026 does not exist in America/New_York: the clocks go forward "
                               "from 02:00 to 03:00 that night (EST to EDT)")
    sydney = gap_explanation(date(2026, 10, 4), time(2, 15), "Australia/Sydney")
    assert "from 02:00 to 03:00 that night (AEST to AEDT)" in sydney
    assert gap_explanation(date(2026, 10, 4), time(3, 0), "Australia/Sydney") is None


def test_a_repeated_time_starts_at_its_first_and_ends_at_its_second_occurrence():
    day, clock = date(2026, 10, 25), time(1, 30)  # London: 01:00-02:00 happens twice
    first = local_to_utc(day, clock, "Europe/London", occurrence=FIRST)
    second = local_to_utc(day, clock, "Europe/London", occurrence=SECOND)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    assert second == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    note = ambiguity_note(day, clock, "Europe/London", occurrence=SECOND)
    assert note == ("01:30 on 25 October 2026 happens twice in Europe/London: the clocks go back from 02:00 to "
                    "01:00. It was read as the second time (GMT).")
    assert ambiguity_note(day, time(9), "Europe/London") is None
    sydney = ambiguity_note(date(2026, 4, 5), time(2, 30), "Australia/Sydney")
    assert "from 03:00 to 02:00" in sydney and "first time (AEDT)" in sydney


def test_a_local_day_is_23_or_25_hours_on_the_days_the_clocks_change():
    spring = local_midnight_utc(date(2026, 3, 30), "Europe/London") - local_midnight_utc(date(2026, 3, 29),
                                                                                          "Europe/London")
    autumn = local_midnight_utc(date(2026, 10, 26), "Europe/London") - local_midnight_utc(date(2026, 10, 25),
                                                                                           "Europe/London")
    assert spring.total_seconds() == 23 * 3600 and autumn.total_seconds() == 25 * 3600


def test_a_skipped_midnight_starts_the_day_at_the_first_minute_that_exists():
    # Santiago moves its clocks forward at 00:00 (to 01:00) on 6 September 2026.
    start = local_midnight_utc(date(2026, 9, 6), "America/Santiago")
    assert start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)


def test_a_stored_instant_reads_in_the_location_zone_with_its_name():
    moment = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert local_label(moment, "Europe/London") == "Wed 1 Jul 2026 09:00 (Europe/London, BST)"
    assert local_label(moment, "America/New_York", with_date=False) == "04:00 (America/New_York, EDT)"
