"""The Needlepoint scheduling planner: pure Python over frozen dataclasses.

It imports nothing from Django. A loader turns the database into a
`LocationDiary` (opening hours, closures, providers with working hours, time off
and the provider phase of their active appointments, rooms with their occupation
including prep and turnover), the patient's busy intervals and the protocol's
`SeriesRules`; the planner answers with plans, all times in UTC.

Entry points
- `plan_series(request)`: a whole initial series (sessions, a healing check after
  each, a review after the last), best first plus alternatives, or a `Problem`.
- `plan_reschedule(request, booked, moved_number, new_start, provider_id=None)`:
  move one session and re-plan only what has to change. The request's busy data
  must not contain the series' own visits (the loader leaves them out; they come
  in as `booked`). An explicit `provider_id` for the moved session wins over a
  named provider in the preferences.
- `plan_maintenance(request, after, count=1)`: maintenance visits after a series.
- `find_slots(location, shape, start, end, ...)`: free slots for a single visit.
- `find_slot_rows(location, shapes, start, end, limit)`: the same for several kinds of
  visit at once, with any provider and no patient, kept compact as `SlotRows`.

Hard rules (every visit returned keeps them)
- Opening hours: the patient's time start..end AND the room's turnover up to
  room_end lie inside one opening span of the visit's local date, and outside
  closures. Spans end by local midnight, so no visit crosses midnight.
- The provider phase lies inside that provider's working hours, outside their time
  off, and does not meet their busy intervals; start..room_end does not meet the
  room's busy intervals; start..end does not meet the patient's. The visits of one
  plan do not collide with each other either.
- Sessions are min..max days apart, counted between local calendar dates (so four
  weeks after 10:00 on a Tuesday is 10:00 on a Tuesday across DST); a healing check
  k lies healing_check_min..max days after session k, the review review_min..max
  days after the last session, maintenance visits maintenance_min..max days apart.
- Every visit starts at or after `earliest_start` and has left the room by
  `horizon_end`.
- A named provider (`Preferences.provider_id`) is hard: every visit of the plan is
  with that provider. Preferred weekdays and hours are soft (they rank plans),
  unless `Preferences.strict`, when every visit must keep them (the patient's time
  start..end inside [earliest_time, latest_time]).
- The protocol must put each healing check strictly between its session and the
  next (`SeriesRules` refuses anything else); that is what makes the search both
  complete and fast (see `chain_days`).

Daylight saving (see `clock`)
- Start times are the location's local wall-clock times on the `slot_minutes` grid
  from local midnight, generated per local date and converted with zoneinfo.
- A wall-clock time that does not exist (the spring-forward gap) is never offered.
- An ambiguous wall-clock time (fall back) is its first occurrence (fold=0); the
  repeated hour is not offered a second time. Opening and working hour bounds follow
  the same rule, and a bound inside a gap means the moment the clocks jump.
- Durations are real elapsed minutes: a 30-minute visit at 01:45 EST on the New York
  spring-forward night ends at 03:15 EDT.

Soft ranking (deterministic; see the weights in `weights`): the same provider for the
whole series, intervals close to the target, a similar local time of day across
sessions, the patient's preferred weekdays and hours, earliest completion. Plans
score higher when better (0 would be perfect). Alternatives differ from the best
and from each other in some session's local date or provider. Single-provider
series are tried for the few providers who can start soonest, not for everyone.

Problems (`Problem.reasons` keys, see `problems.REASONS`): for the first session
that cannot be placed, each day of its window counted under the first rule that
rules it out, in this order: outside the period, not a preferred day (strict),
clinic closed, outside preferred hours (strict), no provider working, provider
time off, providers fully booked, no room free, patient busy, no healing check
after it, no review after it, or not reachable from the session before.
"""

from .problems import REASONS
from .reschedule import plan_reschedule
from .series import plan_maintenance, plan_series
from .slots import SlotRows, find_slot_rows, find_slots
from .types import (
    BusySpans,
    Interval,
    LocationDiary,
    Plan,
    PlannedVisit,
    PlanResult,
    Preferences,
    Problem,
    ProviderDiary,
    RescheduleResult,
    RoomDiary,
    SeriesRequest,
    SeriesRules,
    SessionChange,
    VisitShape,
    WeeklyHours,
    weekly_hours,
)
from .weights import W_COMPLETION, W_HOURS, W_INTERVAL, W_SWITCH, W_TIME_OF_DAY, W_WEEKDAY

__all__ = [
    "REASONS",
    "BusySpans",
    "W_COMPLETION",
    "W_HOURS",
    "W_INTERVAL",
    "W_SWITCH",
    "W_TIME_OF_DAY",
    "W_WEEKDAY",
    "Interval",
    "LocationDiary",
    "Plan",
    "PlanResult",
    "PlannedVisit",
    "Preferences",
    "Problem",
    "ProviderDiary",
    "RescheduleResult",
    "RoomDiary",
    "SeriesRequest",
    "SeriesRules",
    "SessionChange",
    "VisitShape",
    "WeeklyHours",
    "SlotRows",
    "find_slot_rows",
    "find_slots",
    "plan_maintenance",
    "plan_reschedule",
    "plan_series",
    "weekly_hours",
]
