"""Availability answers shared between callers for a short while.

Every provider's free slots for a range, of every kind of visit, are found from one reading
of the diary and kept for up to 30 seconds under a fingerprint of the diary they depend on,
and so is each finished answer, so a booking or a hold shows at once and an edit to hours,
closures or time off within 30 seconds. Booking always re-checks everything, so a stale
answer can only offer a slot that then turns out to be taken."""

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.utils import timezone

from clinic.errors import InvalidRequest
from clinic.models import Location, Provider
from clinic.prepared import fetch_prepared

from ..planner import PlannedVisit, SlotRows
from .planning import availability_every_kind

CACHE_SECONDS = 30
# How long a caller waits for another to finish the same question, and how often it looks.
FILL_WAIT_SECONDS = 2
FILL_POLL_SECONDS = 0.005
SHARED_RANGE = timedelta(days=7)
SHARED_LIMIT = 3000
# A visit lasts less than a day (a check constraint on appointments), so only visits that
# start after this much before a range can reach into it.
LONGEST_VISIT = timedelta(days=1)


Render = Callable[[list[PlannedVisit]], bytes]


@dataclass(frozen=True)
class SharedSlots:
    """Every provider's free slots for one range, and the active providers who work at
    the location."""

    rows: SlotRows
    provider_ids: frozenset[int]


def diary_fingerprint(*, location_id: int, start: datetime, end: datetime) -> tuple:
    """What availability at this location between start and end depends on that changes
    minute to minute: live visits of its providers and rooms (count, last change, last id)
    and the holds not yet expired. Any booking, move, cancellation or hold changes it.
    One prepared query, on the indexes by location or provider and start."""
    staff = "SELECT provider_id FROM clinic_workinghours WHERE location_id = %s"
    sql = f"""
        SELECT visits.live, visits.changed, visits.last, holds.n, holds.last FROM
          (SELECT count(*) FILTER (WHERE status IN ('booked', 'confirmed', 'checked_in', 'completed')) AS live,
                  max(updated_at) AS changed, max(id) AS last
             FROM scheduling_appointment
            WHERE (location_id = %s OR provider_id IN ({staff}))
              AND starts_at < %s AND starts_at > %s AND room_ends_at > %s) AS visits,
          (SELECT count(*) AS n, max(h.created_at) AS last
             FROM scheduling_heldvisit v JOIN scheduling_serieshold h ON h.id = v.hold_id
            WHERE (h.location_id = %s OR v.provider_id IN ({staff})) AND h.status = 'held' AND h.expires_at > %s
              AND v.starts_at < %s AND v.room_ends_at > %s) AS holds
    """
    params = [location_id, location_id, end, start - LONGEST_VISIT, start]
    params += [location_id, location_id, timezone.now(), end, start]
    [row] = fetch_prepared(sql, params)
    return tuple(str(value) for value in row)


def _question(*, location_id: int, kind: str, start: datetime, end: datetime, areas: Sequence[str]) -> tuple:
    now = timezone.now()
    # A range that has begun is cut at "now", so the answer also depends on the minute.
    minute = int(now.timestamp() // 60) if start < now + timedelta(minutes=5) else 0
    return (location_id, kind, start.timestamp(), end.timestamp(), tuple(sorted(areas)), minute)


def _key(kind: str, *parts) -> str:
    return f"availability:{kind}:" + hashlib.sha1(repr(parts).encode()).hexdigest()


def _slots_key(*, location_id: int, kind: str, start: datetime, end: datetime, areas: Sequence[str],
               fingerprint: tuple) -> str:
    question = _question(location_id=location_id, kind=kind, start=start, end=end, areas=areas)
    return _key("slots", question, fingerprint)


def availability_shared(
    *,
    location: Location,
    kind: str,
    start: datetime,
    end: datetime,
    areas: Sequence[str],
    fingerprint: tuple | None = None,
) -> SharedSlots | None:
    """Every provider's free slots in a range of up to a week (cached), or None when the
    range is longer or holds too many slots to keep whole: then ask availability_find."""
    if end - start > SHARED_RANGE:
        return None
    if fingerprint is None:
        fingerprint = diary_fingerprint(location_id=location.pk, start=start, end=end)
    key = _slots_key(location_id=location.pk, kind=kind, start=start, end=end, areas=areas, fingerprint=fingerprint)
    shared = cache.get(key)
    if shared is None:
        shared = _worked_out_once(key, lambda: _everyones_slots(location=location, kind=kind, start=start, end=end,
                                                                areas=areas, fingerprint=fingerprint))
    return shared or None


def _everyones_slots(
    *, location: Location, kind: str, start: datetime, end: datetime, areas: Sequence[str], fingerprint: tuple
) -> SharedSlots | bool:
    """Every provider's slots of this kind. Those of the other kinds of visit are kept
    too: they come from the same reading of the diary for a fraction of its cost, and a
    desk that looked at a day for one kind of visit often asks for another next."""
    found, providers = availability_every_kind(
        location=location, start=start, end=end, areas=sorted(areas) or None, limit=SHARED_LIMIT
    )
    if kind not in found:
        raise InvalidRequest(f"Unknown kind of visit: {kind}.", details={"kind": ["Not a kind of visit."]})
    # Too many to keep whole: remember that (False), so the next caller asks the planner.
    kept = {
        other: SharedSlots(slots, providers) if len(slots.rows) < SHARED_LIMIT else False
        for other, slots in found.items()
    }
    cache.set_many(
        {
            _slots_key(location_id=location.pk, kind=other, start=start, end=end, areas=areas,
                       fingerprint=fingerprint): value
            for other, value in kept.items()
            if other != kind
        },
        CACHE_SECONDS,
    )
    return kept[kind]


def _worked_out_once(key: str, work_out: Callable[[], object]) -> object:
    """The value kept under `key`, worked out by one caller at a time: when several desks
    ask the same new question at once (the first minutes of the day, or just after a
    booking), the others wait for the first answer instead of each asking the planner,
    which would only lengthen the queue for everyone. A waiter that sees no answer within
    FILL_WAIT_SECONDS (the first caller failed or stalled) works it out itself."""
    marker = key + ":working"
    if cache.add(marker, 1, FILL_WAIT_SECONDS):
        try:
            value = work_out()
            cache.set(key, value, CACHE_SECONDS)
            return value
        finally:
            cache.delete(marker)
    deadline = time.monotonic() + FILL_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(FILL_POLL_SECONDS)
        value = cache.get(key)
        if value is not None:
            return value
    value = work_out()
    cache.set(key, value, CACHE_SECONDS)
    return value


def _write(shared: SharedSlots, *, provider_id: int | None, limit: int, render: Render) -> bytes:
    return render(shared.rows.visits(provider_id=provider_id, limit=limit))


class KeptAnswer(NamedTuple):
    answer: bytes | None  # None: not kept, ask availability_answer
    fingerprint: tuple | None  # the diary's, to hand on to availability_answer


def availability_answer_kept(
    *,
    location_id: int,
    kind: str,
    start: datetime,
    end: datetime,
    areas: Sequence[str],
    provider_id: int | None,
    limit: int,
    render: Render,
) -> KeptAnswer:
    """The answer to a question asked since the diary last changed, if there is one.

    Nothing is looked up: the written answer is kept, or written from the slots kept for
    its range when the provider is one of those who work at the location (both were
    kept only after a question for that location passed every check). So a location or
    provider switched off can still be answered for up to CACHE_SECONDS, like any other
    edit to the clinic. One query (the fingerprint) and one or two cache reads."""
    if end - start > SHARED_RANGE:
        return KeptAnswer(None, None)
    fingerprint = diary_fingerprint(location_id=location_id, start=start, end=end)
    question = _question(location_id=location_id, kind=kind, start=start, end=end, areas=areas)
    key = _key("answer", question, provider_id, limit, fingerprint)
    answer = cache.get(key)
    if answer is None:
        shared = cache.get(_key("slots", question, fingerprint))
        if not shared or (provider_id is not None and provider_id not in shared.provider_ids):
            return KeptAnswer(None, fingerprint)
        answer = _write(shared, provider_id=provider_id, limit=limit, render=render)
        cache.set(key, answer, CACHE_SECONDS)
    return KeptAnswer(answer, fingerprint)


def availability_answer(
    *,
    location: Location,
    kind: str,
    start: datetime,
    end: datetime,
    areas: Sequence[str],
    provider: Provider | None,
    limit: int,
    render: Render,
    fingerprint: tuple | None = None,
) -> bytes | None:
    """The answer to an availability question with no patient, as `render` writes the
    slots, or None when the range is too long to share (then ask availability_find).

    Most questions are asked again and again between two bookings, so the written answer
    is kept under the question and the diary's fingerprint (availability_answer_kept
    finds it again); a booking or a hold changes the fingerprint, so it shows at once.
    `fingerprint` is the diary's, when the caller has just read it."""
    if end - start > SHARED_RANGE:
        return None
    if fingerprint is None:
        fingerprint = diary_fingerprint(location_id=location.pk, start=start, end=end)
    shared = availability_shared(
        location=location, kind=kind, start=start, end=end, areas=areas, fingerprint=fingerprint
    )
    if shared is None:
        return None
    if provider is not None and provider.pk not in shared.provider_ids:
        raise InvalidRequest(
            f"{provider} does not work at {location}.", details={"provider": ["Does not work at this location."]}
        )
    provider_id = provider.pk if provider else None
    answer = _write(shared, provider_id=provider_id, limit=limit, render=render)
    question = _question(location_id=location.pk, kind=kind, start=start, end=end, areas=areas)
    cache.set(_key("answer", question, provider_id, limit, fingerprint), answer, CACHE_SECONDS)
    return answer
