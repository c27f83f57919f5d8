"""find_slots: free single-visit slots, e.g. for booking a consultation."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import VisitShape, find_slot_rows, find_slots

from .builders import clinic, local, provider, room, span
from .checker import Slot, slot_problems

LONDON = "Europe/London"
ZONE = ZoneInfo(LONDON)
CONSULTATION = VisitShape(prep_minutes=0, provider_minutes=30, turnover_minutes=0)


def at(hour: int, minute: int = 0):
    return local(LONDON, 2027, 3, 1, hour, minute)


def wall(visit) -> time:
    return visit.start.astimezone(ZONE).time()


def busy_monday():
    return clinic(
        providers=[provider(1, busy=[span(at(10), at(11))])],
        rooms=[room(1, [span(at(12), at(13))]), room(2, [span(at(12), at(14))])],
        closures=[span(at(16), at(18))],
    )


def test_free_slots_avoid_bookings_rooms_patient_and_closures():
    location = busy_monday()
    patient = [span(at(15), at(15, 30))]
    slots = find_slots(location, CONSULTATION, at(0), at(0) + timedelta(days=1), patient_busy=patient)

    expected = [time(9, 0), time(9, 15), time(9, 30), time(11, 0), time(11, 15), time(11, 30)]
    expected += [time(h, m) for h in (13, 14) for m in (0, 15, 30, 45) if (h, m) <= (14, 30)]
    expected += [time(15, 30)]
    assert [wall(s) for s in slots] == expected
    for s in slots:
        assert s.kind == "consultation" and s.number == 1
        assert not slot_problems(location, Slot(s.start, s.provider_id, s.room_id, CONSULTATION), patient,
                                 at(0), at(0) + timedelta(days=1))
    # Room 2 is busy until 14:00, so earlier afternoon slots take room 1.
    assert {s.room_id for s in slots if wall(s) < time(14, 0) and wall(s) > time(12)} == {1}


def test_one_slot_per_start_and_provider_earliest_first():
    location = clinic(providers=[provider(1), provider(2)])
    slots = find_slots(location, CONSULTATION, at(0), at(0) + timedelta(days=1), limit=6)
    assert [(wall(s), s.provider_id) for s in slots] == [
        (time(9, 0), 1), (time(9, 0), 2), (time(9, 15), 1), (time(9, 15), 2), (time(9, 30), 1), (time(9, 30), 2)]
    # Slots are alternatives for one booking, so each may take the first free room.
    assert slots[0].room_id == slots[1].room_id == 1


def test_provider_filter_limit_and_kind():
    location = clinic(providers=[provider(1), provider(2)])
    slots = find_slots(location, CONSULTATION, at(0), at(0) + timedelta(days=7), provider_id=2, limit=3,
                       kind="follow_up")
    assert len(slots) == 3
    assert {s.provider_id for s in slots} == {2}
    assert {s.kind for s in slots} == {"follow_up"}
    assert find_slots(location, CONSULTATION, at(0), at(1), limit=0) == []


def test_slots_lie_wholly_inside_the_range_asked_for():
    location = clinic()
    slots = find_slots(location, CONSULTATION, at(9, 10), at(10, 0))
    assert [(wall(s), s.provider_id) for s in slots] == [(time(9, 15), 1), (time(9, 15), 2),
                                                        (time(9, 30), 1), (time(9, 30), 2)]
    assert all(s.room_end <= at(10, 0) and s.start >= at(9, 10) for s in slots)


def test_slots_skip_weekends_and_closed_days():
    location = clinic()
    saturday = local(LONDON, 2027, 3, 6)
    assert find_slots(location, CONSULTATION, saturday, saturday + timedelta(days=2)) == []


def test_slot_rows_by_kind_are_each_kinds_own_slots():
    """Several kinds from one look at the diary: each kind gets what find_slots alone
    would give it, including kinds that share a shape and a phone visit without a room."""
    location = clinic(
        providers=[provider(1, busy=[span(at(10), at(11))]), provider(2, busy=[span(at(13), at(15))])],
        rooms=[room(1, [span(at(12), at(13))]), room(2, [span(at(9), at(10, 30))])],
        closures=[span(at(16), at(18))],
    )
    session = VisitShape(prep_minutes=30, provider_minutes=60, turnover_minutes=15)
    shapes = {
        "consultation": CONSULTATION,
        "session": session,
        "maintenance": session,
        "healing_check": VisitShape(0, 15, 0, needs_room=False),
        "review": CONSULTATION,
    }
    start, end = at(0), at(0) + timedelta(days=3)
    found = find_slot_rows(location, shapes, start, end, limit=40)
    assert set(found) == set(shapes)
    for kind, shape in shapes.items():
        visits = found[kind].visits()
        assert visits == find_slots(location, shape, start, end, limit=40, kind=kind)
        assert len(visits) == 40 and {s.kind for s in visits} == {kind}
        for p in (1, 2):
            assert found[kind].visits(provider_id=p, limit=7) == find_slots(
                location, shape, start, end, provider_id=p, limit=40, kind=kind)[:7]
    assert {s.room_id for s in found["healing_check"].visits()} == {None}
    assert all(not rows.rows for rows in find_slot_rows(location, shapes, start, end, limit=0).values())
