"""Reads about reminders: what failed, which series need their next session, and the
visits a series confirmation lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from ..models import Appointment, Reminder, TreatmentSeries
from ..rules import next_session


def reminders_failed(*, since: datetime | None = None) -> QuerySet[Reminder]:
    """Messages that will not go out without a person acting, newest first, with the error."""
    rows = Reminder.objects.filter(status=Reminder.Status.FAILED).select_related("patient", "appointment__location")
    if since is not None:
        rows = rows.filter(failed_at__gte=since)
    return rows.order_by("-failed_at")


def series_visits_upcoming(*, series_id: int) -> list[Appointment]:
    """The series' visits still open (booked or confirmed), soonest first: what its booking
    confirmation lists and carries in its calendar file."""
    return list(
        Appointment.objects.filter(series_id=series_id, status__in=Appointment.OPEN_STATUSES)
        .select_related("location", "provider", "series__protocol")
        .order_by("starts_at")
    )


def message_visits(reminder: Reminder) -> list[Appointment] | None:
    """The visits a message about several of them lists: a series confirmation's open
    visits; a reschedule's moved, added and dropped ones. None for other kinds."""
    if reminder.kind == Reminder.Kind.SERIES_CONFIRMATION:
        return series_visits_upcoming(series_id=reminder.series_id)
    if reminder.kind == Reminder.Kind.RESCHEDULE:
        ids = [int(pk) for pk in reminder.payload.get("visits", {})]
        ids += [item["appointment"] for item in reminder.payload.get("cancelled", [])]
        ids += [item["appointment"] for item in reminder.payload.get("moves", [])]
        return list(
            Appointment.objects.filter(pk__in=ids)
            .select_related("location", "provider", "series__protocol")
            .order_by("starts_at")
        )
    return None


def message_visits_location(reminder: Reminder):
    """The location of the first visit a message about several visits names: a
    reschedule of visits outside a series has no series to say where."""
    ids = [int(pk) for pk in reminder.payload.get("visits", {})]
    ids += [item["appointment"] for item in reminder.payload.get("moves", [])]
    ids += [item["appointment"] for item in reminder.payload.get("cancelled", [])]
    if not ids:
        return None
    visit = Appointment.objects.select_related("location").filter(pk__in=ids).order_by("starts_at").first()
    return visit.location if visit else None


@dataclass(frozen=True)
class SeriesGap:
    """A series whose next session is not booked, and when its window closes."""

    series: TreatmentSeries
    next_session_number: int
    previous_session: Appointment
    window_closes_at: datetime


def series_needing_next_session(*, now: datetime | None = None, within_days: int = 7) -> list[SeriesGap]:
    """Active series whose next session is unbooked and whose window closes within
    `within_days` (or has closed already): the front desk's call list, soonest first.

    The window is the protocol's max interval after the previous session, counted in the
    location's local calendar (6 weeks after Tuesday 10:00 is Tuesday 10:00 local, across
    a change of summer time)."""
    now = now or timezone.now()
    horizon = now + timedelta(days=within_days)
    live_sessions = Appointment.objects.filter(
        kind=Appointment.Kind.SESSION, status__in=Appointment.ACTIVE_STATUSES
    ).order_by("session_number")
    series_list = (
        TreatmentSeries.objects.filter(status=TreatmentSeries.Status.ACTIVE)
        .select_related("patient", "protocol", "location")
        .prefetch_related(Prefetch("appointments", queryset=live_sessions, to_attr="live_sessions"))
    )
    gaps: list[SeriesGap] = []
    for series in series_list:
        due = next_session(series, series.live_sessions, zone=ZoneInfo(series.location.time_zone))
        if due is not None and due.window_closes_at <= horizon:
            closes = due.window_closes_at.astimezone(ZoneInfo("UTC"))
            gaps.append(
                SeriesGap(series=series, next_session_number=due.number, previous_session=due.previous,
                          window_closes_at=closes)
            )
    return sorted(gaps, key=lambda gap: gap.window_closes_at)
