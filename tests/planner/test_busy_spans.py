"""Busy time handed over as epoch-second spans plans exactly like the same time as Intervals."""

import os
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling.planner import (
    BusySpans,
    Interval,
    LocationDiary,
    ProviderDiary,
    RoomDiary,
    find_slots,
    plan_maintenance,
    plan_series,
)
from tests.planner.strategies import series_requests
from tests.planner.synthetic import busy_location, series_request

QUICK = settings(max_examples=int(os.environ.get("PLANNER_EXAMPLES", "60")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


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
    as_spans = LocationDiary(
        tz=location.tz, opening_hours=location.opening_hours, closures=_as_spans(_merged(location.closures)),
        providers=tuple(ProviderDiary(p.id, p.name, p.hours, _as_spans(_merged(p.time_off)), _as_spans(_merged(p.busy)))
                        for p in location.providers),
        rooms=tuple(RoomDiary(r.id, r.name, _as_spans(_merged(r.busy))) for r in location.rooms),
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


def _loaded(intervals, split: bool) -> BusySpans:
    """Busy time as the loader hands it over: merged epoch-second spans, some of them
    (with `split`) cut in two touching pieces as separate bookings would be."""
    pairs = []
    for item in _merged(intervals):
        lo, hi = int(item.start.timestamp()), int(item.end.timestamp())
        if split and hi - lo >= 120:
            pairs += [(lo, lo + 60), (lo + 60, hi)]
        else:
            pairs.append((lo, hi))
    return BusySpans.from_pairs(pairs)


def _as_loaded(request, split: bool):
    from dataclasses import replace

    location = request.location
    loaded = LocationDiary(
        tz=location.tz, opening_hours=location.opening_hours, closures=_loaded(location.closures, split),
        providers=tuple(ProviderDiary(p.id, p.name, p.hours, _loaded(p.time_off, split), _loaded(p.busy, split))
                        for p in location.providers),
        rooms=tuple(RoomDiary(r.id, r.name, _loaded(r.busy, split)) for r in location.rooms),
        slot_minutes=location.slot_minutes,
    )
    return replace(request, location=loaded, patient_busy=_loaded(request.patient_busy, split))


@QUICK
@given(series_requests(), st.booleans(), st.integers(-3, 2))
def test_random_requests_plan_alike_from_spans_and_intervals(request, split, days_before):
    # The property tests check plans from Intervals against a brute-force search; spans,
    # the loader's form, take other paths through the availability and must agree.
    loaded = _as_loaded(request, split)
    assert plan_series(loaded) == plan_series(request)
    after = request.earliest_start + timedelta(days=days_before)
    assert plan_maintenance(loaded, after, 2) == plan_maintenance(request, after, 2)
    shape = request.rules.session
    end = request.earliest_start + timedelta(days=5)
    assert (find_slots(loaded.location, shape, request.earliest_start, end, patient_busy=loaded.patient_busy)
            == find_slots(request.location, shape, request.earliest_start, end, patient_busy=request.patient_busy))
