"""Free times: the one home of every availability question.

`availability_answer` is the entry point for a question about a range (the API and the
pages ask it); `availability_answer_kept` answers a repeated question before anything is
loaded; `availability_slot_at` checks one exact time before it is booked or moved to.

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

from clinic.errors import Conflict, InvalidRequest
from clinic.models import Location, Provider, Room
from clinic.prepared import fetch_prepared
from patients.models import Patient

from .. import loader
from ..models import Appointment, TreatmentProtocol, statuses_sql
from ..planner import PlannedVisit, SlotRows, find_slot_rows, find_slots
from ..selectors import protocol_active

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
# The statuses whose visits take time, as the hand-written query needs them.
_ACTIVE = statuses_sql(Appointment.ACTIVE_STATUSES)
# Longest range one question may ask about.
MAX_RANGE = timedelta(days=92)


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
          (SELECT count(*) FILTER (WHERE status IN {_ACTIVE}) AS live,
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
    render: Render | None = None,
    patient: Patient | None = None,
    fingerprint: tuple | None = None,
) -> bytes | list[PlannedVisit]:
    """The answer to an availability question, as `render` writes the slots (the slots
    themselves without it).

    A question with no patient about up to a week is answered from every provider's
    slots for that range, kept under the diary's fingerprint (availability_answer_kept
    finds the written answer again); a booking or a hold changes the fingerprint, so it
    shows at once. A question about a patient (their own visits are busy time too) or a
    longer range goes to the planner. `fingerprint` is the diary's, when the caller has
    just read it."""
    if patient is None and end - start <= SHARED_RANGE:
        if fingerprint is None:
            fingerprint = diary_fingerprint(location_id=location.pk, start=start, end=end)
        shared = availability_shared(
            location=location, kind=kind, start=start, end=end, areas=areas, fingerprint=fingerprint
        )
        if shared is not None:
            if provider is not None and provider.pk not in shared.provider_ids:
                raise _not_here(provider, location)
            provider_id = provider.pk if provider else None
            if render is None:
                return shared.rows.visits(provider_id=provider_id, limit=limit)
            answer = _write(shared, provider_id=provider_id, limit=limit, render=render)
            question = _question(location_id=location.pk, kind=kind, start=start, end=end, areas=areas)
            cache.set(_key("answer", question, provider_id, limit, fingerprint), answer, CACHE_SECONDS)
            return answer
    slots = availability_find(
        location=location, kind=kind, start=start, end=end, provider=provider, patient=patient,
        areas=list(areas) or None, limit=limit,
    )
    return slots if render is None else render(slots)


def _not_here(provider: Provider, location: Location) -> InvalidRequest:
    return InvalidRequest(
        f"{provider} does not work at {location}.", details={"provider": ["Does not work at this location."]}
    )


def _check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidRequest("The end of the range must be after its start.", details={"end": ["Must be after start."]})
    if end - start > MAX_RANGE:
        raise InvalidRequest(
            f"Ask for at most {MAX_RANGE.days} days of availability at once.",
            details={"end": [f"At most {MAX_RANGE.days} days after start."]},
        )


def availability_find(
    *,
    location: Location,
    kind: str,
    start: datetime,
    end: datetime,
    provider: Provider | None = None,
    patient: Patient | None = None,
    areas: list[str] | None = None,
    limit: int = 50,
    protocol: TreatmentProtocol | None = None,
) -> list[PlannedVisit]:
    """Free slots for one visit of this kind, earliest first, worked out by the planner
    (nothing kept): the pages' search for a patient, and the answer to what
    `availability_answer` does not share."""
    _check_range(start, end)
    protocol = protocol or protocol_active()
    try:
        shape = loader.visit_shape(protocol, kind, areas or ["face"])
    except ValueError as error:
        raise InvalidRequest(str(error), details={"kind": [str(error)]}) from error
    start = max(start, timezone.now())
    if end <= start:
        return []
    diary = loader.diary_load(location=location, start=start, end=end, patient=patient)
    if provider is not None and provider.pk not in {p.id for p in diary.location.providers}:
        raise _not_here(provider, location)
    return find_slots(
        diary.location, shape, start, end, patient_busy=diary.patient_busy,
        provider_id=provider.pk if provider else None, limit=limit, kind=kind,
    )


def availability_every_kind(
    *, location: Location, start: datetime, end: datetime, areas: list[str] | None = None, limit: int = 50
) -> tuple[dict[str, SlotRows], frozenset[int]]:
    """Free slots of every kind of visit with any provider, earliest first, from one
    reading of the diary, and the active providers who work at the location."""
    _check_range(start, end)
    protocol = protocol_active()
    shapes = {kind: loader.visit_shape(protocol, kind, areas or ["face"]) for kind in Appointment.Kind.values}
    start = max(start, timezone.now())
    if end <= start:
        empty = {kind: SlotRows(kind, (0, 0), (0, 0, 0), ()) for kind in shapes}
        return empty, frozenset(loader.location_provider_ids(location))
    diary = loader.diary_load(location=location, start=start, end=end)
    slots = find_slot_rows(diary.location, shapes, start, end, limit=limit)
    return slots, frozenset(p.id for p in diary.location.providers)


def availability_slot_at(
    *,
    location: Location,
    kind: str,
    starts_at: datetime,
    provider: Provider,
    room: Room | None,
    patient: Patient,
    protocol: TreatmentProtocol,
    areas: list[str] | None = None,
    ignore_ids=(),
) -> PlannedVisit:
    """The planner's view of one visit at an exact time, or a clear refusal."""
    if timezone.is_naive(starts_at):
        raise InvalidRequest("Give the time with its time zone.", details={"starts_at": ["Include a UTC offset."]})
    if starts_at < timezone.now():
        raise InvalidRequest("That time has already passed.", details={"starts_at": ["Must be in the future."]})
    shape = loader.visit_shape(protocol, kind, areas or ["face"])
    window_end = starts_at + timedelta(minutes=shape.room_minutes + 1)
    diary = loader.diary_load(
        location=location, start=starts_at, end=window_end, patient=patient, ignore_appointment_ids=ignore_ids
    )
    slots = find_slots(
        diary.location, shape, starts_at, window_end, patient_busy=diary.patient_busy,
        provider_id=provider.pk, limit=50, kind=kind,
    )
    for slot in slots:
        if slot.start == starts_at and (room is None or slot.room_id == room.pk or not shape.needs_room):
            return slot
    if room is not None and any(slot.start == starts_at for slot in slots):
        raise Conflict(f"{room.name} is not free then; another room is.")
    raise Conflict(
        f"{provider} cannot see the patient at that time: outside opening or working hours, "
        "on a closure or time off, or already taken."
    )
