"""The clinic admin's numbers, each read in a fixed number of queries.

Definitions (the dashboard page repeats them):
- Visits today / this week: visits not cancelled, starting on the location's local day
  or in its local Monday-to-Sunday week.
- Utilisation: booked minutes over available minutes, for visits starting within the
  date range. A provider is booked during treatment (provider_starts_at..provider_ends_at)
  and available during their working hours at this location, less time off and
  closures. A room is booked from the patient's arrival until it is turned over
  (starts_at..room_ends_at) and available during opening hours, less closures.
- Series started: series at the location whose session 1 (as first booked) falls in the
  range; they are counted by where they stand now (active, paused, on hold, completed,
  cancelled = dropped).
- Completion: of those series, completed sessions over planned sessions; and for the
  completed ones, the average days from the first to the last completed session.
- No-show rate: no-shows over visits that have taken place or been missed (completed,
  checked in or no-show) in the range. Late-cancel rate: late cancellations over every
  visit that was booked to start in the range.
- Reminders: messages due in the range, by status.
- Due for maintenance: completed series with no maintenance visit booked after their
  last treatment, whose maintenance window (60-90 days after it by default) overlaps
  the range.
- Closing windows: active series whose next session is not booked and whose window
  closes within 7 days (or has closed).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Prefetch, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from clinic.models import Closure, Location, OpeningHours, Provider, Room, TimeOff, WorkingHours
from scheduling.disruptions import visits_disrupted
from scheduling.models import Appointment, Reminder, TreatmentProtocol, TreatmentSeries
from scheduling.rules import next_session

from .timeutil import day_bounds, monday_of, zone

LIVE = Appointment.ACTIVE_STATUSES
KINDS = [kind for kind, _ in Appointment.Kind.choices]
SERIES_STATUSES = [status for status, _ in TreatmentSeries.Status.choices]
REMINDER_STATUSES = [status for status, _ in Reminder.Status.choices]
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Period:
    """A location and an inclusive range of its local dates."""

    location: Location
    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return day_bounds(self.location, self.start)[0]

    @property
    def ends_at(self) -> datetime:
        return day_bounds(self.location, self.end)[1]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def period_make(*, location: Location, start: date, end: date) -> Period:
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_RANGE_DAYS:
        end = start + timedelta(days=MAX_RANGE_DAYS - 1)
    return Period(location=location, start=start, end=end)


# --- Visits today and this week -------------------------------------------------------
@dataclass
class DayCount:
    day: date
    by_kind: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def visits_per_day(*, location: Location, first: date, last: date) -> list[DayCount]:
    """Visits not cancelled per local day and kind, from `first` to `last` inclusive."""
    tz = zone(location)
    start, _ = day_bounds(location, first)
    _, end = day_bounds(location, last)
    rows = (Appointment.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
            .exclude(status=Appointment.Status.CANCELLED)
            .annotate(day=TruncDate("starts_at", tzinfo=tz)).values("day", "kind").annotate(n=Count("id")))
    counts: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    for row in rows:
        counts[row["day"]][row["kind"]] = row["n"]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [DayCount(day=day, by_kind=dict(counts[day])) for day in days]


def visits_today_and_week(*, location: Location, today: date) -> tuple[DayCount, list[DayCount]]:
    monday = monday_of(today)
    week = visits_per_day(location=location, first=monday, last=monday + timedelta(days=6))
    return next(day for day in week if day.day == today), week


# --- Utilisation ----------------------------------------------------------------------
@dataclass
class Utilisation:
    name: str
    booked_minutes: int
    available_minutes: int

    @property
    def share(self) -> float:
        return self.booked_minutes / self.available_minutes if self.available_minutes else 0.0


Span = tuple[datetime, datetime]


def _minus(spans: list[Span], cuts: list[Span]) -> list[Span]:
    """Spans with the cut-out parts removed."""
    result = spans
    for cut_start, cut_end in cuts:
        next_result = []
        for start, end in result:
            if cut_end <= start or cut_start >= end:
                next_result.append((start, end))
                continue
            if start < cut_start:
                next_result.append((start, cut_start))
            if cut_end < end:
                next_result.append((cut_end, end))
        result = next_result
    return result


def _minutes(spans: list[Span]) -> int:
    return int(sum((end - start).total_seconds() for start, end in spans) // 60)


def _weekly_spans(period: Period, hours: dict[int, list[tuple[time, time]]]) -> list[Span]:
    """Weekly local hours laid on each date of the period (wall-clock, so a day the
    clocks change keeps its local hours)."""
    tz = zone(period.location)
    spans = []
    for day in period.days:
        for opens, closes in hours.get(day.weekday(), []):
            spans.append((datetime.combine(day, opens, tz), datetime.combine(day, closes, tz)))
    return spans


def utilisation(period: Period) -> tuple[list[Utilisation], list[Utilisation]]:
    """Per provider and per room: booked minutes over available minutes. Seven queries."""
    location = period.location
    start, end = period.starts_at, period.ends_at
    closures = [(c.starts_at, c.ends_at) for c in Closure.objects.filter(
        location=location, starts_at__lt=end, ends_at__gt=start)]

    opening: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for row in OpeningHours.objects.filter(location=location):
        opening[row.weekday].append((row.opens, row.closes))
    room_available = _minutes(_minus(_weekly_spans(period, opening), closures))

    working: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for row in WorkingHours.objects.filter(location=location):
        working[row.provider_id][row.weekday].append((row.starts, row.ends))
    time_off: dict[int, list[Span]] = defaultdict(list)
    for row in TimeOff.objects.filter(provider_id__in=list(working), starts_at__lt=end, ends_at__gt=start):
        time_off[row.provider_id].append((row.starts_at, row.ends_at))

    visits = Appointment.objects.filter(location=location, status__in=LIVE, starts_at__gte=start, starts_at__lt=end)
    provider_booked = dict(
        visits.values("provider_id")
        .annotate(
            booked=Sum(ExpressionWrapper(F("provider_ends_at") - F("provider_starts_at"), output_field=DurationField()))
        )
        .values_list("provider_id", "booked")
    )
    room_booked = dict(
        visits.filter(room__isnull=False).values("room_id").annotate(
            booked=Sum(ExpressionWrapper(F("room_ends_at") - F("starts_at"), output_field=DurationField())))
        .values_list("room_id", "booked"))

    names = dict(Provider.objects.filter(pk__in=set(working) | set(provider_booked)).values_list("pk", "display_name"))
    providers = []
    for provider_id in sorted(names, key=lambda pk: names[pk]):
        spans = _minus(_weekly_spans(period, working.get(provider_id, {})), closures + time_off.get(provider_id, []))
        booked = provider_booked.get(provider_id) or timedelta()
        providers.append(Utilisation(names[provider_id], int(booked.total_seconds() // 60), _minutes(spans)))
    rooms = []
    for room in Room.objects.filter(location=location).filter(Q(is_active=True) | Q(pk__in=list(room_booked))):
        booked = room_booked.get(room.pk) or timedelta()
        rooms.append(Utilisation(room.name, int(booked.total_seconds() // 60), room_available))
    return providers, rooms


# --- Series ---------------------------------------------------------------------------
@dataclass
class SeriesFigures:
    by_status: dict[str, int]
    planned_sessions: int
    completed_sessions: int
    completed_series_days: list[int] = field(default_factory=list)

    @property
    def started(self) -> int:
        return sum(self.by_status.values())

    @property
    def completion_share(self) -> float:
        return self.completed_sessions / self.planned_sessions if self.planned_sessions else 0.0

    @property
    def average_days_first_to_last(self) -> float | None:
        days = self.completed_series_days
        return sum(days) / len(days) if days else None


def series_figures(period: Period) -> SeriesFigures:
    """Series whose session 1 falls in the range, by status now; one query."""
    tz = zone(period.location)
    Status = Appointment.Status
    # The (location, starts_at) index finds the sessions 1 in the range; only their
    # series are aggregated.
    in_range = Appointment.objects.filter(location=period.location, kind=Appointment.Kind.SESSION, session_number=1,
                                          starts_at__gte=period.starts_at, starts_at__lt=period.ends_at)
    done = Q(status=Status.COMPLETED)
    rows = (Appointment.objects.filter(series_id__in=in_range.values("series_id"), kind=Appointment.Kind.SESSION)
            .values("series_id", "series__status", "series__session_count")
            .alias(first_session=Min("starts_at", filter=Q(session_number=1)))
            .filter(first_session__gte=period.starts_at, first_session__lt=period.ends_at)
            .annotate(done=Count("id", filter=done),
                      first_done=TruncDate(Min("starts_at", filter=done), tzinfo=tz),
                      last_done=TruncDate(Max("starts_at", filter=done), tzinfo=tz))
            .values_list("series__status", "series__session_count", "done", "first_done", "last_done"))
    figures = SeriesFigures(by_status=dict.fromkeys(SERIES_STATUSES, 0), planned_sessions=0, completed_sessions=0)
    for status, count, completed, first_done, last_done in rows:
        figures.by_status[status] += 1
        figures.planned_sessions += count
        figures.completed_sessions += completed
        if status == TreatmentSeries.Status.COMPLETED and first_done and last_done:
            figures.completed_series_days.append((last_done - first_done).days)
    return figures


# --- Attendance -----------------------------------------------------------------------
@dataclass
class Attendance:
    attended: int
    no_shows: int
    booked: int
    late_cancellations: int
    cancellations: int

    @property
    def no_show_rate(self) -> float:
        seen = self.attended + self.no_shows
        return self.no_shows / seen if seen else 0.0

    @property
    def late_cancel_rate(self) -> float:
        return self.late_cancellations / self.booked if self.booked else 0.0


def attendance(period: Period) -> Attendance:
    """One query: counts by outcome for visits booked to start in the range."""
    Status = Appointment.Status
    counts = Appointment.objects.filter(
        location=period.location, starts_at__gte=period.starts_at, starts_at__lt=period.ends_at,
    ).aggregate(
        attended=Count("id", filter=Q(status__in=[Status.COMPLETED, Status.CHECKED_IN])),
        no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
        booked=Count("id"),
        late=Count("id", filter=Q(status=Status.CANCELLED, late_cancellation=True)),
        cancelled=Count("id", filter=Q(status=Status.CANCELLED)),
    )
    return Attendance(attended=counts["attended"], no_shows=counts["no_shows"], booked=counts["booked"],
                      late_cancellations=counts["late"], cancellations=counts["cancelled"])


# --- Reminders ------------------------------------------------------------------------
def reminder_counts(period: Period) -> dict[str, int]:
    """Messages about this location's visits and series due in the range, by status."""
    rows = (Reminder.objects.filter(due_at__gte=period.starts_at, due_at__lt=period.ends_at)
            .filter(Q(appointment__location=period.location)
                    | Q(appointment__isnull=True, series__location=period.location)
                    | Q(appointment__isnull=True, series__isnull=True, waitlist_entry__location=period.location))
            .values("status").annotate(n=Count("id")))
    counts = dict.fromkeys(REMINDER_STATUSES, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


# --- Who needs a call -----------------------------------------------------------------
@dataclass
class MaintenanceDue:
    series_id: int
    patient_id: int
    patient_name: str
    provider_name: str
    last_treatment: date
    due_from: date
    due_by: date


def _protocol_days(*fields: str) -> dict[str, int]:
    """The smallest and largest of some protocol day counts, to narrow a search in SQL
    before the exact per-series check."""
    spans = {}
    for name in fields:
        spans[f"{name}__min"] = Min(name)
        spans[f"{name}__max"] = Max(name)
    found = TreatmentProtocol.objects.aggregate(**spans)
    return {key: value or 0 for key, value in found.items()}


def maintenance_due(period: Period) -> list[MaintenanceDue]:
    """Completed series with no maintenance visit booked after their last treatment,
    whose maintenance window (the protocol's days after that treatment) overlaps the
    range. Two queries; rows are plain values, so thousands stay cheap."""
    tz = zone(period.location)
    days = _protocol_days("maintenance_min_days", "maintenance_max_days")
    # Coarse bounds in SQL (a day of slack either side for the local calendar), exact below.
    earliest = period.starts_at - timedelta(days=days["maintenance_max_days__max"] + 1)
    latest = period.ends_at - timedelta(days=days["maintenance_min_days__min"] - 1)
    treatments = Q(appointments__kind__in=["session", "maintenance"], appointments__status=Appointment.Status.COMPLETED)
    upcoming = Q(appointments__kind="maintenance", appointments__status__in=[
        Appointment.Status.BOOKED, Appointment.Status.CONFIRMED, Appointment.Status.CHECKED_IN])
    treated_then = Appointment.objects.filter(
        location=period.location, kind__in=["session", "maintenance"], status=Appointment.Status.COMPLETED,
        starts_at__gte=earliest, starts_at__lt=latest)
    rows = (TreatmentSeries.objects.filter(pk__in=treated_then.values("series_id"),
                                           status=TreatmentSeries.Status.COMPLETED)
            .values("pk")
            .annotate(last_treatment=Max("appointments__starts_at", filter=treatments),
                      next_booked=Max("appointments__starts_at", filter=upcoming))
            .filter(last_treatment__gte=earliest, last_treatment__lt=latest)
            .filter(Q(next_booked__isnull=True) | Q(next_booked__lte=F("last_treatment")))
            .annotate(last_day=TruncDate("last_treatment", tzinfo=tz))
            .values_list("pk", "last_day", "patient_id", "patient__first_name", "patient__last_name",
                         "provider__display_name", "protocol__maintenance_min_days", "protocol__maintenance_max_days"))
    due = []
    for pk, treated, patient_id, first, last_name, provider, min_days, max_days in rows:
        due_from, due_by = treated + timedelta(days=min_days), treated + timedelta(days=max_days)
        if due_from <= period.end and due_by >= period.start:
            due.append(MaintenanceDue(series_id=pk, patient_id=patient_id, patient_name=f"{first} {last_name}",
                                      provider_name=provider or "", last_treatment=treated, due_from=due_from,
                                      due_by=due_by))
    return sorted(due, key=lambda row: (row.due_from, row.patient_name, row.series_id))


@dataclass
class ClosingWindow:
    series: TreatmentSeries
    next_session_number: int
    previous_session_at: datetime
    window_closes_at: datetime


def windows_closing(*, location: Location, now: datetime | None = None, within_days: int = 7) -> list[ClosingWindow]:
    """Active series at the location whose next session is unbooked and whose window
    (the protocol's max interval after the previous session, in local wall-clock time)
    closes within `within_days` or has closed. SQL keeps only series with a session
    missing and a first session old enough for a window to close; the exact rule runs
    on those few. Four queries."""
    now = now or timezone.now()
    horizon = now + timedelta(days=within_days)
    tz = zone(location)
    days = _protocol_days("max_interval_days")
    live = Q(appointments__kind=Appointment.Kind.SESSION, appointments__status__in=LIVE)
    candidates = (TreatmentSeries.objects.filter(location=location, status=TreatmentSeries.Status.ACTIVE)
                  .values("pk")
                  .annotate(live_count=Count("appointments", filter=live),
                            first_live=Min("appointments__starts_at", filter=live))
                  .filter(live_count__gte=1, live_count__lt=F("session_count"),
                          first_live__lte=horizon - timedelta(days=days["max_interval_days__min"] - 1))
                  .values("pk"))
    live_sessions = (Appointment.objects.filter(kind=Appointment.Kind.SESSION, status__in=LIVE)
                     .only("id", "series_id", "session_number", "starts_at").order_by("session_number"))
    rows = (TreatmentSeries.objects.filter(pk__in=candidates)
            .select_related("patient", "protocol", "provider")
            .prefetch_related(Prefetch("appointments", queryset=live_sessions, to_attr="live_sessions")))
    found = []
    for series in rows:
        due = next_session(series, series.live_sessions, zone=tz)
        if due is not None and due.window_closes_at <= horizon:
            found.append(ClosingWindow(series=series, next_session_number=due.number,
                                       previous_session_at=due.previous.starts_at,
                                       window_closes_at=due.window_closes_at))
    return sorted(found, key=lambda row: row.window_closes_at)


# --- Everything for the page ----------------------------------------------------------
class Dashboard:
    """The figures of one location and range, each read when first asked for: the page
    reads them all, a CSV export only its own table."""

    def __init__(self, period: Period, *, now: datetime | None = None) -> None:
        self.period = period
        self.now = now or timezone.now()
        self.today_date = self.now.astimezone(zone(period.location)).date()

    @cached_property
    def _visits(self) -> tuple[DayCount, list[DayCount]]:
        return visits_today_and_week(location=self.period.location, today=self.today_date)

    @property
    def today(self) -> DayCount:
        return self._visits[0]

    @property
    def week(self) -> list[DayCount]:
        return self._visits[1]

    @cached_property
    def _utilisation(self) -> tuple[list[Utilisation], list[Utilisation]]:
        return utilisation(self.period)

    @property
    def providers(self) -> list[Utilisation]:
        return self._utilisation[0]

    @property
    def rooms(self) -> list[Utilisation]:
        return self._utilisation[1]

    @cached_property
    def series(self) -> SeriesFigures:
        return series_figures(self.period)

    @cached_property
    def attendance(self) -> Attendance:
        return attendance(self.period)

    @cached_property
    def reminders(self) -> dict[str, int]:
        return reminder_counts(self.period)

    @cached_property
    def maintenance(self) -> list[MaintenanceDue]:
        return maintenance_due(self.period)

    @cached_property
    def disrupted(self) -> int:
        """Booked visits now inside a closure, time off, outside working or opening hours,
        or in a room out of service: what the re-planning board lists."""
        return len(visits_disrupted(location_ids=[self.period.location.pk]))

    @cached_property
    def closing(self) -> list[ClosingWindow]:
        return windows_closing(location=self.period.location, now=self.now)


def dashboard_build(period: Period, *, now: datetime | None = None) -> Dashboard:
    return Dashboard(period, now=now)
