"""When a closure closes the clinic: its own span, or each year's repeat of a yearly one.

A yearly closure is stored once, as its first year's span; every later year repeats the
same local dates and wall-clock times (09:00-12:00 on 24 December in London is 09:00 GMT
every year, and 25 March 09:00 is 09:00 GMT in one year and 09:00 BST in another), so the
repeats are worked out in the location's zone and only then turned into UTC."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

Span = tuple[datetime, datetime]


def wall_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC, read as the planner reads opening hours. DST: an
    ambiguous time (clocks going back) is its first occurrence; a time that does not exist
    (the hour skipped when clocks go forward) is the moment the clocks jump."""
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In the gap: fold=1 reads it with the later offset (before the jump), fold=0 with the
    # earlier one (after it); the jump is the first instant between them past `naive`.
    lo, hi = naive.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def closure_occurrences(closure, *, start: datetime, end: datetime) -> list[Span]:
    """The UTC spans of `closure` (or of each yearly repeat) that overlap [start, end)."""
    return occurrences(
        closure.starts_at, closure.ends_at, closure.location.time_zone,
        repeats_yearly=closure.repeats_yearly, start=start, end=end,
    )


def occurrences(
    starts_at: datetime, ends_at: datetime, time_zone: str, *, repeats_yearly: bool, start: datetime, end: datetime
) -> list[Span]:
    """The same as `closure_occurrences`, from the closure's fields alone (the loader reads
    rows, not models)."""
    if not repeats_yearly:
        return [(starts_at, ends_at)] if starts_at < end and ends_at > start else []
    zone = ZoneInfo(time_zone)
    # The first year's local wall-clock times, which every repeat keeps.
    local_start = starts_at.astimezone(zone).replace(tzinfo=None)
    local_end = ends_at.astimezone(zone).replace(tzinfo=None)
    span_years = local_end.year - local_start.year
    first_year = max(local_start.year, start.astimezone(zone).year - span_years - 1)
    last_year = end.astimezone(zone).year + 1
    spans = []
    for year in range(first_year, last_year + 1):
        shift = relativedelta(years=year - local_start.year)  # 29 February falls on the 28th
        a = wall_to_utc(local_start + shift, zone)
        b = wall_to_utc(local_end + shift, zone)
        if a < b and a < end and b > start:
            spans.append((a, b))
    return spans
