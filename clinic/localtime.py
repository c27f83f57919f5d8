"""Wall-clock times at a location, turned into the UTC the database stores, with the two
daylight-saving cases said in words.

A clinic admin types "09:00 on 29 March" in the location's own zone. Twice a year that
is not one instant: in the spring the clocks skip an hour (the time does not exist), in
the autumn they repeat one (the time happens twice). The set-up pages refuse the first
with a sentence and resolve the second in the stated way below. Pure: no Django."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# An ambiguous time (the repeated hour in the autumn) is read as its FIRST occurrence
# when it starts something and as its SECOND when it ends something, so a closure or a
# time off typed across the repeated hour covers all of it rather than less.
FIRST, SECOND = "first", "second"


class LocalTimeMissing(ValueError):
    """A wall-clock time the clocks skip on that day; the message says which hour."""


@dataclass(frozen=True)
class Transition:
    """One change of the clocks, in local wall time: `before` jumps to `after`."""

    at_utc: datetime
    before: time
    after: time
    name_before: str
    name_after: str


def _offset(naive: datetime, zone: ZoneInfo, fold: int) -> timedelta:
    return naive.replace(tzinfo=zone, fold=fold).utcoffset() or timedelta(0)


def _transition_near(naive: datetime, zone: ZoneInfo) -> Transition:
    """The change of the clocks within a day of this wall time (there is one: the caller
    found the two offsets differ). Bisected to the minute on the UTC line."""
    low = (naive - timedelta(days=1)).replace(tzinfo=UTC)
    high = (naive + timedelta(days=1)).replace(tzinfo=UTC)
    start_offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == start_offset:
            low = middle
        else:
            high = middle
    # Clocks change on a whole minute: the first minute at or after the change is it.
    high = high.replace(second=0, microsecond=0)
    before, after = low.astimezone(zone), high.astimezone(zone)
    offset_before, offset_after = before.utcoffset(), after.utcoffset()
    wall_before = (high + offset_before).time()
    wall_after = (high + offset_after).time()
    return Transition(
        at_utc=high, before=wall_before, after=wall_after,
        name_before=before.tzname() or "", name_after=after.tzname() or "",
    )


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _hm(clock: time) -> str:
    return f"{clock:%H:%M}"


def gap_explanation(day: date, clock: time, zone_name: str) -> str | None:
    """Why this wall time does not exist on this day in this zone, or None if it does."""
    zone = ZoneInfo(zone_name)
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return None
    change = _transition_near(naive, zone)
    last_skipped = (datetime.combine(day, change.after) - timedelta(minutes=1)).time()
    return (
        f"{_hm(clock)} on {_day_words(day)} does not exist in {zone_name}: the clocks go forward from "
        f"{_hm(change.before)} to {_hm(change.after)} that night ({change.name_before} to {change.name_after}), "
        f"so {_hm(change.before)} to {_hm(last_skipped)} never happens. "
        f"Choose a time before {_hm(change.before)} or from {_hm(change.after)}."
    )


def ambiguity_note(day: date, clock: time, zone_name: str, *, occurrence: str = FIRST) -> str | None:
    """How a wall time that happens twice (clocks going back) was read, or None."""
    zone = ZoneInfo(zone_name)
    naive = datetime.combine(day, clock)
    if _offset(naive, zone, 0) == _offset(naive, zone, 1):
        return None
    change = _transition_near(naive, zone)
    chosen = change.name_before if occurrence == FIRST else change.name_after
    which = "first" if occurrence == FIRST else "second"
    return (
        f"{_hm(clock)} on {_day_words(day)} happens twice in {zone_name}: the clocks go back from "
        f"{_hm(change.before)} to {_hm(change.after)}. It was read as the {which} time ({chosen})."
    )


def local_to_utc(day: date, clock: time, zone_name: str, *, occurrence: str = FIRST) -> datetime:
    """The UTC instant of a wall time at a location. A time the clocks skip raises
    LocalTimeMissing with the explanation; a repeated one is read as `occurrence`."""
    problem = gap_explanation(day, clock, zone_name)
    if problem:
        raise LocalTimeMissing(problem)
    fold = 0 if occurrence == FIRST else 1
    return datetime.combine(day, clock).replace(tzinfo=ZoneInfo(zone_name), fold=fold).astimezone(UTC)


def local_midnight_utc(day: date, zone_name: str) -> datetime:
    """The start of a local day in UTC. Midnight itself is skipped in a few zones (the
    clocks going forward at 00:00): the day then starts at the first minute that exists."""
    zone = ZoneInfo(zone_name)
    naive = datetime.combine(day, time(0))
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return _transition_near(naive, zone).at_utc
    return aware.astimezone(UTC)


def local_label(moment: datetime, zone_name: str, *, with_date: bool = True) -> str:
    """How a stored instant reads on the set-up pages: "Sun 29 Mar 2026 09:00 (Europe/London, BST)"."""
    local = moment.astimezone(ZoneInfo(zone_name))
    when = f"{local:%a} {local.day} {local:%b %Y %H:%M}" if with_date else f"{local:%H:%M}"
    return f"{when} ({zone_name}, {local.tzname()})"
