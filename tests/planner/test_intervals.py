"""The interval arithmetic under the planner, against plain sets of integers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.planner import Interval
from scheduling.planner.availability import _LazyTimeline
from scheduling.planner.intervals import (
    Timeline,
    intersect,
    merge,
    starts_inside,
    starts_overlapping,
    subtract,
)

spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)


def points(spans_) -> set[int]:
    return {t for lo, hi in spans_ for t in range(lo, hi)}


def well_formed(spans_) -> bool:
    return all(lo < hi for lo, hi in spans_) and all(a[1] < b[0] for a, b in zip(spans_, spans_[1:], strict=False))


@settings(max_examples=200)
@given(spans, spans)
def test_merge_intersect_and_subtract_agree_with_sets(a, b):
    ma, mb = merge(a), merge(b)
    assert well_formed(ma) and points(ma) == points(a)
    assert points(intersect(ma, mb)) == points(a) & points(b)
    assert points(subtract(ma, mb)) == points(a) - points(b)


@settings(max_examples=200)
@given(spans, st.integers(0, 5), st.integers(1, 6))
def test_start_sets_mean_what_they_say(free, offset, length):
    free = merge(free)
    inside = points(starts_inside(free, offset, length))
    overlapping = points(starts_overlapping(free, offset, length))
    for start in range(-20, 80):
        phase = set(range(start + offset, start + offset + length))
        assert (start in inside) == (phase <= points(free))
        assert (start in overlapping) == bool(phase & points(free))


@settings(max_examples=200)
@given(spans, st.integers(0, 70), st.integers(1, 20))
def test_timeline_finds_what_meets_a_window(busy, lo, length):
    timeline = Timeline(busy)
    hi = lo + length
    window = set(range(lo, hi))
    assert timeline.overlaps(lo, hi) == bool(points(busy) & window)
    assert points(timeline.within(lo, hi)) & window == points(busy) & window


@settings(max_examples=200)
@given(spans, st.integers(0, 70), st.integers(1, 20), st.booleans())
def test_bookings_searched_as_given_or_converted_give_the_same_answers(busy, lo, length, as_given):
    # Sorted, disjoint UTC bookings are searched as they are; anything else is converted.
    base = datetime(2027, 3, 1, tzinfo=UTC)
    minute = timedelta(minutes=1)
    booked = merge(busy) if as_given else busy
    intervals = tuple(Interval(base + a * minute, base + b * minute) for a, b in booked)
    lazy = _LazyTimeline(intervals).get()
    reference = Timeline((int((base + a * minute).timestamp()), int((base + b * minute).timestamp())) for a, b in busy)
    t0 = int(base.timestamp())
    window = (t0 + lo * 60, t0 + (lo + length) * 60)
    assert lazy.overlaps(*window) == reference.overlaps(*window)
    assert points(merge(lazy.within(*window))) & set(range(*window)) == points(reference.within(*window)) & set(
        range(*window))
