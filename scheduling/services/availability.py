"""Availability answers shared between callers for a short while.

Every provider's free slots for a range are found once and kept for up to 30 seconds under
a fingerprint of the diary they depend on, so a booking or a hold shows at once and an
edit to hours, closures or time off within 30 seconds. Booking always re-checks
everything, so a stale answer can only offer a slot that then turns out to be taken."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from clinic.models import Location, WorkingHours

from ..planner import PlannedVisit
from .planning import availability_find

CACHE_SECONDS = 30
SHARED_RANGE = timedelta(days=7)
SHARED_LIMIT = 3000


@dataclass(frozen=True)
class SharedSlots:
    slots: tuple[PlannedVisit, ...]
    provider_ids: frozenset[int]


def diary_fingerprint(*, location: Location, start: datetime, end: datetime) -> tuple:
    """What availability at this location between start and end depends on that changes
    minute to minute: live visits of its providers and rooms (count, last change, last id)
    and the holds not yet expired. Any booking, move, cancellation or hold changes it.
    One query, on the indexes by provider, location and start."""
    staff = "SELECT provider_id FROM clinic_workinghours WHERE location_id = %s"
    sql = f"""
        SELECT visits.live, visits.changed, visits.last, holds.n, holds.last FROM
          (SELECT count(*) FILTER (WHERE status IN ('booked', 'confirmed', 'checked_in', 'completed')) AS live,
                  max(updated_at) AS changed, max(id) AS last
             FROM scheduling_appointment
            WHERE (location_id = %s OR provider_id IN ({staff})) AND starts_at < %s AND room_ends_at > %s) AS visits,
          (SELECT count(*) AS n, max(h.created_at) AS last
             FROM scheduling_heldvisit v JOIN scheduling_serieshold h ON h.id = v.hold_id
            WHERE (h.location_id = %s OR v.provider_id IN ({staff})) AND h.status = 'held' AND h.expires_at > %s
              AND v.starts_at < %s AND v.room_ends_at > %s) AS holds
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [location.pk, location.pk, end, start, location.pk, location.pk, timezone.now(), end, start]
        )
        return tuple(str(value) for value in cursor.fetchone())


def availability_shared(
    *, location: Location, kind: str, start: datetime, end: datetime, areas: list[str]
) -> SharedSlots | None:
    """Every provider's free slots in a range of up to a week (cached), or None when the
    range is longer or holds too many slots to keep whole: then ask availability_find."""
    if end - start > SHARED_RANGE:
        return None
    now = timezone.now()
    # A range that has begun is cut at "now", so the answer also depends on the minute.
    minute = int(now.timestamp() // 60) if start < now + timedelta(minutes=5) else 0
    question = (location.pk, kind, start.timestamp(), end.timestamp(), tuple(sorted(areas)), minute)
    fingerprint = diary_fingerprint(location=location, start=start, end=end)
    key = "availability:" + hashlib.sha1(repr((question, fingerprint)).encode()).hexdigest()
    shared = cache.get(key)
    if shared is None:
        slots = availability_find(
            location=location, kind=kind, start=start, end=end, areas=sorted(areas) or None, limit=SHARED_LIMIT
        )
        providers = frozenset(WorkingHours.objects.filter(location=location).values_list("provider_id", flat=True))
        # Too many to keep whole: remember that (False), so the next caller asks the planner.
        shared = SharedSlots(slots=tuple(slots), provider_ids=providers) if len(slots) < SHARED_LIMIT else False
        cache.set(key, shared, CACHE_SECONDS)
    return shared or None
