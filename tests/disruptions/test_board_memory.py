"""What earlier proposals on one board took is kept out of later ones, whichever UTC dates
their times fall on (the board files them by date to stay fast)."""

from datetime import UTC, datetime, timedelta

from scheduling.planner import PlannedVisit
from scheduling.services.replan import _Taken


def _visit(start: datetime, *, provider=1, room=5, minutes=60) -> PlannedVisit:
    end = start + timedelta(minutes=minutes)
    return PlannedVisit(kind="consultation", number=0, provider_id=provider, room_id=room, start=start,
                        provider_start=start, provider_end=end, end=end, room_end=end,
                        window_start=start.date(), window_end=start.date(), local_date=start.date())


def test_a_time_taken_across_utc_midnight_clashes_on_both_dates():
    taken = _Taken()
    # 10:30-11:30 in Sydney in summer is 23:30-00:30 UTC.
    taken.add([_visit(datetime(2027, 1, 10, 23, 30, tzinfo=UTC))], patient_id=7)
    assert taken.clashes([_visit(datetime(2027, 1, 11, 0, 0, tzinfo=UTC), room=6)], patient_id=8)  # same provider
    assert taken.clashes([_visit(datetime(2027, 1, 10, 23, 0, tzinfo=UTC), provider=2)], patient_id=8)  # room
    assert taken.clashes([_visit(datetime(2027, 1, 11, 0, 15, tzinfo=UTC), provider=2, room=6)], patient_id=7)


def test_times_next_to_a_taken_one_are_free():
    taken = _Taken()
    taken.add([_visit(datetime(2027, 1, 10, 23, 30, tzinfo=UTC))], patient_id=7)
    assert not taken.clashes([_visit(datetime(2027, 1, 11, 0, 30, tzinfo=UTC))], patient_id=7)
    assert not taken.clashes([_visit(datetime(2027, 1, 10, 22, 30, tzinfo=UTC))], patient_id=7)
    assert not taken.clashes([_visit(datetime(2027, 1, 11, 0, 0, tzinfo=UTC), provider=2, room=6)], patient_id=8)
