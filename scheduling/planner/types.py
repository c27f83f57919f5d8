"""The planner's inputs and outputs: plain frozen dataclasses, no Django.

A loader turns the database into these (see the package docstring for what it
must include and exclude); services turn the outputs back into appointments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from operator import le, lt
from zoneinfo import ZoneInfo


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open span [start, end) of real time; aware datetimes, UTC in practice."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _aware(self.start, "Interval.start")
        _aware(self.end, "Interval.end")
        if self.end < self.start:
            raise ValueError(f"Interval ends before it starts: {self.start} > {self.end}")


class BusySpans:
    """Busy time as sorted, disjoint [start, end) spans of whole epoch seconds (UTC).

    A loader that already has merged spans in seconds (PostgreSQL's range_agg does
    that) hands them over like this instead of as `Interval`s: building tens of
    thousands of datetimes costs far more than planning with them."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: Sequence[int], ends: Sequence[int]) -> None:
        starts, ends = tuple(starts), tuple(ends)
        if len(starts) != len(ends):
            raise ValueError("BusySpans needs as many ends as starts")
        if not (all(map(lt, starts, ends)) and all(map(le, ends, starts[1:]))):
            raise ValueError("BusySpans must be sorted, disjoint and non-empty spans")
        self.starts = starts
        self.ends = ends

    @classmethod
    def merged(cls, starts: Sequence[int], ends: Sequence[int]) -> BusySpans:
        """From spans the caller already keeps sorted and disjoint (a loader whose
        database merged them): no check, which would cost a pass over every span."""
        spans = cls.__new__(cls)
        spans.starts, spans.ends = tuple(starts), tuple(ends)
        return spans

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> BusySpans:
        pairs = list(pairs)
        return cls([lo for lo, _ in pairs], [hi for _, hi in pairs])

    def __len__(self) -> int:
        return len(self.starts)

    def __bool__(self) -> bool:
        return bool(self.starts)

    def __iter__(self):
        """As `Interval`s, for code that wants datetimes (slow; for small lists)."""
        for lo, hi in zip(self.starts, self.ends, strict=True):
            yield Interval(datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BusySpans) and (self.starts, self.ends) == (other.starts, other.ends)

    def __hash__(self) -> int:
        return hash((self.starts, self.ends))

    def __repr__(self) -> str:
        return f"BusySpans({len(self)} spans)"


Busy = tuple[Interval, ...] | BusySpans


@dataclass(frozen=True, slots=True)
class VisitShape:
    """How one visit occupies people and rooms, phase by phase.

    From the start the patient holds a room for prep (numbing cream: the
    provider is free meanwhile), then the provider treats (provider, room and
    patient busy), then the patient leaves and the room is turned over (room
    only). A phone visit needs no room, so it has no turnover either.
    """

    prep_minutes: int
    provider_minutes: int
    turnover_minutes: int
    needs_room: bool = True

    def __post_init__(self) -> None:
        if self.prep_minutes < 0 or self.turnover_minutes < 0:
            raise ValueError("prep and turnover minutes cannot be negative")
        if self.provider_minutes < 1:
            raise ValueError("a visit needs at least one minute with the provider")

    @property
    def patient_minutes(self) -> int:
        return self.prep_minutes + self.provider_minutes

    @property
    def room_minutes(self) -> int:
        """Minutes from the start until the room (or, by phone, the clinic) is free again."""
        return self.patient_minutes + (self.turnover_minutes if self.needs_room else 0)


Span = tuple[time, time]
_MIDNIGHT = time(0)


def _parse_time(value: time | str) -> tuple[time, bool]:
    """A time, plus whether it was written as "24:00" (the end of the day)."""
    if isinstance(value, time):
        return value, False
    text = value.strip()
    if text in ("24:00", "24:00:00"):
        return _MIDNIGHT, True
    return time.fromisoformat(text), False


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening or working hours: for each weekday (0=Monday) some local (start, end) spans.

    An end of 00:00 (or "24:00" when built from text) means midnight at the end of
    that day. Spans never run past midnight: a clinic day ends at local midnight,
    so a visit always lies within the local date it starts on. Overlapping and
    touching spans are merged.
    """

    days: tuple[tuple[Span, ...], ...] = ((),) * 7
    # Seconds since local midnight per weekday, 86400 meaning the following midnight.
    seconds: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("WeeklyHours needs exactly 7 weekdays, Monday first")
        normalised: list[tuple[Span, ...]] = []
        seconds: list[tuple[tuple[int, int], ...]] = []
        for weekday, spans in enumerate(self.days):
            pairs: list[tuple[int, int]] = []
            for start, end in spans:
                lo = _seconds(start)
                hi = 86400 if end == _MIDNIGHT else _seconds(end)
                if hi <= lo:
                    raise ValueError(
                        f"weekday {weekday}: span {start}-{end} is empty or runs past midnight; "
                        "split overnight hours at midnight"
                    )
                pairs.append((lo, hi))
            pairs.sort()
            merged: list[tuple[int, int]] = []
            for lo, hi in pairs:
                if merged and lo <= merged[-1][1]:
                    merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
                else:
                    merged.append((lo, hi))
            seconds.append(tuple(merged))
            normalised.append(
                tuple(
                    (time(lo // 3600, lo % 3600 // 60, lo % 60), _MIDNIGHT if hi == 86400 else
                     time(hi // 3600, hi % 3600 // 60, hi % 60))
                    for lo, hi in merged
                )
            )
        object.__setattr__(self, "days", tuple(normalised))
        object.__setattr__(self, "seconds", tuple(seconds))

    @classmethod
    def build(cls, spec: Mapping[int, Iterable[tuple[time | str, time | str]]]) -> WeeklyHours:
        """Build from {weekday: [(start, end), ...]}; times as `time` or "HH:MM" text ("24:00" allowed)."""
        days: list[list[Span]] = [[] for _ in range(7)]
        for weekday, spans in spec.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
            for start, end in spans:
                start_time, start_is_24 = _parse_time(start)
                if start_is_24:
                    raise ValueError("a span cannot start at 24:00")
                end_time, _ = _parse_time(end)
                days[weekday].append((start_time, end_time))
        return cls(tuple(tuple(spans) for spans in days))

    @classmethod
    def on(cls, weekdays: Iterable[int], *spans: tuple[time | str, time | str]) -> WeeklyHours:
        """The same spans on each of the given weekdays, e.g. `WeeklyHours.on(range(5), ("09:00", "17:00"))`."""
        return cls.build({weekday: spans for weekday in weekdays})

    def spans(self, weekday: int) -> tuple[Span, ...]:
        return self.days[weekday]


def weekly_hours(spec: Mapping[int, Iterable[tuple[time | str, time | str]]]) -> WeeklyHours:
    """Shorthand for `WeeklyHours.build`."""
    return WeeklyHours.build(spec)


@dataclass(frozen=True, slots=True)
class ProviderDiary:
    """A provider at one location. `hours` are local; `busy` is the provider phase of
    their existing active appointments (not the patient's numbing time)."""

    id: int
    name: str
    hours: WeeklyHours
    time_off: Busy = ()
    busy: Busy = ()


@dataclass(frozen=True, slots=True)
class RoomDiary:
    """A treatment room; `busy` is existing occupation including prep and turnover."""

    id: int
    name: str
    busy: Busy = ()


@dataclass(frozen=True, slots=True)
class LocationDiary:
    """Everything the planner knows about one clinic location. Hours are local to `tz`;
    candidate start times are every `slot_minutes` of local wall-clock time from midnight."""

    tz: str
    opening_hours: WeeklyHours
    closures: Busy
    providers: tuple[ProviderDiary, ...]
    rooms: tuple[RoomDiary, ...]
    slot_minutes: int = 15

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # fail early on an unknown zone name
        if not 1 <= self.slot_minutes <= 1440:
            raise ValueError("slot_minutes must be between 1 and 1440")
        if len({p.id for p in self.providers}) != len(self.providers):
            raise ValueError("provider ids must be unique")
        if len({r.id for r in self.rooms}) != len(self.rooms):
            raise ValueError("room ids must be unique")

    def provider(self, provider_id: int) -> ProviderDiary:
        for candidate in self.providers:
            if candidate.id == provider_id:
                return candidate
        raise KeyError(f"no provider {provider_id} at this location")


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the desk asked for.

    `provider_id` is always hard: if the desk asks for Dr X, every visit the planner
    proposes (sessions and their follow-ups) is with Dr X. `weekdays` (0=Monday) and
    the hours are soft: they rank plans but exclude none, unless `strict` is True,
    when every visit must fall on a preferred weekday and the patient's whole time in
    the clinic (start..end) within [earliest_time, latest_time] local time.
    """

    provider_id: int | None = None
    weekdays: frozenset[int] | None = None
    earliest_time: time | None = None
    latest_time: time | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.weekdays is not None:
            object.__setattr__(self, "weekdays", frozenset(self.weekdays))
            if not self.weekdays or not all(0 <= w <= 6 for w in self.weekdays):
                raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True, slots=True)
class SeriesRules:
    """A protocol's numbers, as the planner reads them.

    Day counts are between local calendar dates, bounds inclusive. The planner
    relies on a healing check falling strictly between its session and the next
    one (1 <= healing_check_min_days, healing_check_max_days < min_interval_days):
    then no two visits of a series share a local date except, possibly, the last
    healing check and the review, which are placed together.
    """

    session_count: int
    min_interval_days: int
    target_interval_days: int
    max_interval_days: int
    session: VisitShape
    healing_check: VisitShape | None
    healing_check_min_days: int
    healing_check_max_days: int
    review: VisitShape | None
    review_min_days: int
    review_max_days: int
    maintenance: VisitShape
    maintenance_min_days: int
    maintenance_max_days: int

    def __post_init__(self) -> None:
        if self.session_count < 1:
            raise ValueError("a series needs at least one session")
        if not 1 <= self.min_interval_days <= self.target_interval_days <= self.max_interval_days:
            raise ValueError("need 1 <= min_interval_days <= target_interval_days <= max_interval_days")
        if self.healing_check is not None:
            if not 1 <= self.healing_check_min_days <= self.healing_check_max_days:
                raise ValueError("need 1 <= healing_check_min_days <= healing_check_max_days")
            if self.session_count > 1 and self.healing_check_max_days >= self.min_interval_days:
                raise ValueError("a healing check must come before the next session: "
                                 "healing_check_max_days must be less than min_interval_days")
        if self.review is not None and not 1 <= self.review_min_days <= self.review_max_days:
            raise ValueError("need 1 <= review_min_days <= review_max_days")
        if not 1 <= self.maintenance_min_days <= self.maintenance_max_days:
            raise ValueError("need 1 <= maintenance_min_days <= maintenance_max_days")


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """One planning question.

    The busy data (providers', rooms', `patient_busy`) comes from existing active
    appointments; when re-planning a series the loader must leave out that series'
    own visits, which are passed separately as `booked`. Every visit the planner
    proposes starts at or after `earliest_start` and has left the room by `horizon_end`.
    """

    location: LocationDiary
    rules: SeriesRules
    patient_busy: Busy
    earliest_start: datetime
    horizon_end: datetime
    preferences: Preferences = Preferences()
    alternatives: int = 3

    def __post_init__(self) -> None:
        _aware(self.earliest_start, "earliest_start")
        _aware(self.horizon_end, "horizon_end")
        if self.alternatives < 0:
            raise ValueError("alternatives cannot be negative")
        if self.horizon_end <= self.earliest_start:
            raise ValueError("horizon_end must be after earliest_start")
        if self.preferences.provider_id is not None:
            self.location.provider(self.preferences.provider_id)  # KeyError if unknown


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    """One proposed visit, all times UTC.

    start..end is the patient's time in the clinic, provider_start..provider_end the
    provider's, start..room_end the room's (room_end == end for a phone visit, which
    has room_id None). window_start..window_end is the local date range that applied,
    local_date the location's local date of start.
    """

    kind: str
    number: int
    provider_id: int
    room_id: int | None
    start: datetime
    provider_start: datetime
    provider_end: datetime
    end: datetime
    room_end: datetime
    window_start: date
    window_end: date
    # The location's local date of `start` (what the interval rules count in).
    local_date: date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole proposal; `score` is higher for better plans (0 would be a perfect one)."""

    visits: tuple[PlannedVisit, ...]
    score: float

    def of_kind(self, kind: str) -> tuple[PlannedVisit, ...]:
        return tuple(v for v in self.visits if v.kind == kind)

    @property
    def sessions(self) -> tuple[PlannedVisit, ...]:
        return self.of_kind("session")

    @property
    def healing_checks(self) -> tuple[PlannedVisit, ...]:
        return self.of_kind("healing_check")

    @property
    def review(self) -> PlannedVisit | None:
        reviews = self.of_kind("review")
        return reviews[0] if reviews else None

    @property
    def maintenance(self) -> tuple[PlannedVisit, ...]:
        return self.of_kind("maintenance")

    @property
    def main_visits(self) -> tuple[PlannedVisit, ...]:
        """The sessions, or for a maintenance plan its maintenance visits."""
        return self.sessions or self.maintenance

    @property
    def completion(self) -> datetime | None:
        """When the patient leaves the last session (or maintenance visit)."""
        main = self.main_visits
        return main[-1].end if main else None

    @property
    def provider_ids(self) -> tuple[int, ...]:
        """Providers of the sessions in order of first appearance."""
        return tuple(dict.fromkeys(v.provider_id for v in self.main_visits))

    @property
    def key(self) -> tuple[tuple[date | None, int], ...]:
        """What makes two plans different: each session's local date and provider."""
        return tuple((v.local_date, v.provider_id) for v in self.main_visits)


@dataclass(frozen=True, slots=True)
class Problem:
    """Why nothing could be planned, for the front desk.

    `reasons` counts days (or, for a single requested time, 1) per cause; the keys
    are listed in `scheduling.planner.problems.REASONS`.
    """

    session_number: int | None
    kind: str
    window_start: date
    window_end: date
    message: str
    reasons: dict[str, int]


@dataclass(frozen=True, slots=True)
class PlanResult:
    best: Plan | None
    alternatives: tuple[Plan, ...]
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.best is not None

    @property
    def plans(self) -> tuple[Plan, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives


@dataclass(frozen=True, slots=True)
class SessionChange:
    number: int
    old: PlannedVisit
    new: PlannedVisit


@dataclass(frozen=True, slots=True)
class RescheduleResult:
    """The series after a move: `visits` is the full new list (sessions and follow-ups,
    in time order), `changes` the sessions that moved, old -> new. Empty plus a
    `problem` when the move cannot be done."""

    visits: tuple[PlannedVisit, ...]
    changes: tuple[SessionChange, ...]
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def sessions(self) -> tuple[PlannedVisit, ...]:
        return tuple(v for v in self.visits if v.kind == "session")
