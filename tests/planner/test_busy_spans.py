"""Busy time handed over as epoch-second spans plans exactly like the same time as Intervals."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.planner import BusySpans, Interval, LocationCalendar, ProviderCalendar, RoomCalendar, plan_series
import random

from tests.planner.synthetic import busy_location, series_request


def _as_spans(intervals) -> BusySpans:
    return BusySpans.from_pairs((int(i.start.timestamp()), int(i.end.timestamp())) for i in intervals)


def _merged(intervals):
    out = []
    for item in sorted(intervals, key=lambda i: i.start):
        if out and item.start <= out[-1].end:
            out[-1] = Interval(out[-1].start, max(out[-1].end, item.end))
        else:
            out.append(item)
    return out


def test_spans_and_intervals_give_the_same_plans():
    request = series_request(busy_location(seed=7, days=200), random.Random(3))
    location = request.location
    as_spans = LocationCalendar(
        tz=location.tz, opening_hours=location.opening_hours, closures=_as_spans(_merged(location.closures)),
        providers=tuple(ProviderCalendar(p.id, p.name, p.hours, _as_spans(_merged(p.time_off)), _as_spans(_merged(p.busy)))
                        for p in location.providers),
        rooms=tuple(RoomCalendar(r.id, r.name, _as_spans(_merged(r.busy))) for r in location.rooms),
        slot_minutes=location.slot_minutes,
    )
    from dataclasses import replace

    with_spans = plan_series(replace(request, location=as_spans, patient_busy=_as_spans(_merged(request.patient_busy))))
    with_intervals = plan_series(request)
    assert with_spans.best is not None
    assert with_spans.best == with_intervals.best
    assert with_spans.alternatives == with_intervals.alternatives


@pytest.mark.parametrize("starts, ends", [([10, 5], [20, 8]), ([0, 10], [15, 20]), ([5], [5]), ([1, 2], [3])])
def test_spans_must_be_sorted_disjoint_and_non_empty(starts, ends):
    with pytest.raises(ValueError):
        BusySpans(starts, ends)


def test_spans_read_back_as_intervals():
    start = datetime(2027, 3, 1, 9, tzinfo=UTC)
    spans = BusySpans([int(start.timestamp())], [int((start + timedelta(hours=1)).timestamp())])
    assert list(spans) == [Interval(start, start + timedelta(hours=1))]
