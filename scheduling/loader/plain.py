"""The loader's plain path: the same rows through the ORM, one query each, with busy
time merged here from every live visit in the planning windows. It serves a database
with no busy-week table, and it is the plain answer the tests hold the busy-week paths
of PostgreSQL and SQLite to (tests/scheduling/test_busy_weeks*.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from clinic.models import Closure, Location, OpeningHours, Room, RoomOutOfService, TimeOff, WorkingHours
from patients.models import Patient

from ..models import Appointment, HeldVisit, SeriesHold
from .busy import LONGEST_VISIT, Busy, Spans, seconds
from .rows import DiaryRows

ACTIVE = tuple(Appointment.ACTIVE_STATUSES)


def rows_orm(*, location: Location, start: datetime, end: datetime, windows, patient: Patient | None,
             ignore_ids: list[int], ignore_hold_ids: list, now: datetime) -> DiaryRows:
    """What rows_postgres and rows_sqlite read, through the ORM, busy time merged here."""
    staff = WorkingHours.objects.filter(location=location, provider__is_active=True)
    hours = list(staff.values_list("provider_id", "provider__display_name", "weekday", "starts", "ends"))
    rooms = list(Room.objects.filter(location=location, is_active=True).order_by("id").values_list("id", "name"))
    provider_busy, room_busy = busy_merged_here(
        provider_ids=sorted({row[0] for row in hours}), room_ids=[room_id for room_id, _ in rooms], windows=windows,
        ignore_ids=ignore_ids)
    patient_rows = []
    if patient is not None:
        patient_rows = list(
            Appointment.objects.filter(patient=patient, status__in=ACTIVE, starts_at__gte=start - LONGEST_VISIT,
                                       starts_at__lt=end, ends_at__gt=start)
            .exclude(id__in=ignore_ids)
            .values_list("starts_at", "ends_at"))
    return DiaryRows(
        opening=list(OpeningHours.objects.filter(location=location).values_list("weekday", "opens", "closes")),
        closures=list(Closure.objects.filter(Q(ends_at__gt=start) | Q(repeats_yearly=True), location=location,
                                             starts_at__lt=end)
                      .values_list("starts_at", "ends_at", "repeats_yearly")),
        staff=hours,
        time_off=list(TimeOff.objects.filter(provider_id__in=staff.values("provider_id"), starts_at__lt=end,
                                             ends_at__gt=start).values_list("provider_id", "starts_at", "ends_at")),
        rooms=rooms,
        out_of_service=list(RoomOutOfService.objects.filter(room_id__in=[room_id for room_id, _ in rooms],
                                                            starts_at__lt=end, ends_at__gt=start)
                            .values_list("room_id", "starts_at", "ends_at")),
        held=list(HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now,
                                           starts_at__lt=end, room_ends_at__gt=start)
                  .exclude(hold_id__in=ignore_hold_ids)
                  .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at",
                               "room_ends_at")),
        patient=patient_rows,
        provider_busy=provider_busy,
        room_busy=room_busy,
    )


def busy_merged_here(
    *, provider_ids: list[int], room_ids: list[int], windows: list[tuple[datetime, datetime]], ignore_ids: list[int]
) -> tuple[dict[int, Busy], dict[int, Busy]]:
    """Live visits' time per provider and per room within the windows, merged here."""
    providers: dict[int, Busy] = defaultdict(Busy)
    rooms: dict[int, Busy] = defaultdict(Busy)
    if not windows or not (provider_ids or room_ids):
        return providers, rooms
    touching = Q()
    for lo, hi in windows:
        touching |= Q(starts_at__gte=lo - LONGEST_VISIT, starts_at__lt=hi, room_ends_at__gt=lo)
    provider_spans: dict[int, Spans] = defaultdict(list)
    room_spans: dict[int, Spans] = defaultdict(list)
    for provider_id, room_id, a, b, c, d in (
        Appointment.objects.filter(touching, Q(provider_id__in=provider_ids) | Q(room_id__in=room_ids),
                                   status__in=ACTIVE)
        .exclude(id__in=ignore_ids)
        .values_list("provider_id", "room_id", "provider_starts_at", "provider_ends_at", "starts_at", "room_ends_at")
    ):
        if provider_id in provider_ids:
            provider_spans[provider_id].append(seconds(a, b))
        if room_id in room_ids:
            room_spans[room_id].append(seconds(c, d))
    providers.update((key, Busy.from_spans(spans)) for key, spans in provider_spans.items())
    rooms.update((key, Busy.from_spans(spans)) for key, spans in room_spans.items())
    return providers, rooms
