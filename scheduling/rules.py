"""The clinic's rules about time that the services, the pages and the reminders all ask:
when a series' next session is due, and what a visit allows at a given moment. Pure
functions of rows already read: no queries."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .models import Appointment, TreatmentProtocol, TreatmentSeries


# --- A series' next session -----------------------------------------------------------
def session_window(
    previous_start: datetime, *, protocol: TreatmentProtocol, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """When the session after one that starts at `previous_start` may take place: the
    protocol's minimum to maximum interval, counted in the location's wall-clock time
    (six weeks after Tuesday 10:00 is Tuesday 10:00 local, across a change of summer
    time)."""
    local = previous_start.astimezone(zone)
    opens = local + relativedelta(days=protocol.min_interval_days)
    return opens, local + relativedelta(days=protocol.max_interval_days)


@dataclass(frozen=True)
class NextSession:
    number: int
    previous: Appointment
    window_opens_at: datetime
    window_closes_at: datetime


def next_session(
    series: TreatmentSeries, live_sessions: Iterable[Appointment], *, zone: ZoneInfo
) -> NextSession | None:
    """The first session of the series not booked, when the one before it is: None when
    every session is booked or the first is not (nothing to count a window from)."""
    by_number = {visit.session_number: visit for visit in live_sessions}
    missing = [n for n in range(1, series.session_count + 1) if n not in by_number]
    if not missing or missing[0] == 1:
        return None
    previous = by_number[missing[0] - 1]
    opens, closes = session_window(previous.starts_at, protocol=series.protocol, zone=zone)
    return NextSession(number=missing[0], previous=previous, window_opens_at=opens, window_closes_at=closes)


# --- What a visit allows now ----------------------------------------------------------
def cancellation_is_late(appointment: Appointment, now: datetime) -> bool:
    """Inside the location's notice period (48 hours unless the clinic says otherwise)."""
    return appointment.starts_at - now < timedelta(hours=appointment.location.late_cancel_notice_hours)


@dataclass(frozen=True)
class VisitAllows:
    confirm: bool  # the patient can say they will come
    change: bool  # it can still be moved or cancelled
    late_if_cancelled: bool


def visit_allows(appointment: Appointment, now: datetime) -> VisitAllows:
    """Which of confirm, move and cancel a visit allows now; the services enforce the same."""
    upcoming = appointment.starts_at > now
    return VisitAllows(
        confirm=upcoming and appointment.status == Appointment.Status.BOOKED,
        change=upcoming and appointment.status in Appointment.OPEN_STATUSES,
        late_if_cancelled=cancellation_is_late(appointment, now),
    )


# --- How a visit takes place ----------------------------------------------------------
def visit_by_phone(appointment: Appointment) -> bool:
    """A healing check with no room is a phone call from the clinic (the protocol's
    `healing_check_by_phone`): the patient does not come in."""
    return appointment.kind == Appointment.Kind.HEALING_CHECK and appointment.room_id is None
