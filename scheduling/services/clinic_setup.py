"""The clinic's resources as its admins set them up: locations and their opening hours,
closures, providers' working hours and time off, rooms.

These live beside the booking services, not in the clinic app, because a change here
changes where visits may go: each write takes the same per-location lock as a booking
(`location_lock`), so a closure and a booking made at the same moment take turns and the
booking sees the closure. Every change is audited with its old and new values."""

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.audit import audit_changes, audit_record
from clinic.errors import InvalidRequest
from clinic.models import (
    Closure,
    Location,
    OpeningHours,
    Provider,
    Room,
    RoomOutOfService,
    TimeOff,
    Weekday,
    WorkingHours,
)

from .booking import location_lock

Spans = Mapping[int, Iterable[tuple[time, time]]]

# Words for the database's own checks, so no constraint name ever reaches a person.
CONSTRAINT_WORDS = {
    "location_slot_minutes_5_to_60": "The slot grid must be between 5 and 60 minutes.",
    "closure_starts_before_end": "A closure must end after it starts.",
    "time_off_starts_before_end": "Time off must end after it starts.",
    "room_unique_name_per_location": "Another room at this location already has that name.",
    "room_out_of_service_starts_before_end": "A room's time out of service must end after it starts.",
}


def _clean(obj, *, what: str) -> None:
    """full_clean, with every message in words: a constraint's name is replaced by its sentence."""
    try:
        obj.full_clean()
    except ValidationError as error:
        details = {}
        for field, messages in error.message_dict.items():
            words = []
            for message in messages:
                named = next((text for name, text in CONSTRAINT_WORDS.items() if name in message), None)
                words.append(named or message)
            details["__all__" if field == "__all__" else field] = words
        first = next(iter(details.values()))[0]
        raise InvalidRequest(f"The {what} was not saved: {first}", details=details) from error


def _spans_text(spans: Iterable[tuple[int, time, time]]) -> list[str]:
    return [f"{Weekday(day).label} {opens:%H:%M}-{closes:%H:%M}" for day, opens, closes in sorted(spans)]


def _check_spans(spans: Spans, *, what: str) -> list[tuple[int, time, time]]:
    """Each span starts before it ends and no two spans of a day overlap."""
    rows = []
    for day, day_spans in spans.items():
        ordered = sorted(day_spans)
        for start, end in ordered:
            if start >= end:
                raise InvalidRequest(
                    f"{Weekday(day).label}: {what} from {start:%H:%M} to {end:%H:%M} ends before it starts.",
                    details={"weekday": day},
                )
        for (_, first_end), (second_start, _) in zip(ordered, ordered[1:], strict=False):
            if second_start < first_end:
                raise InvalidRequest(
                    f"{Weekday(day).label}: two spans overlap ({first_end:%H:%M} is after {second_start:%H:%M}); "
                    "make one end before the next starts.",
                    details={"weekday": day},
                )
        rows.extend((day, start, end) for start, end in ordered)
    return rows


# --- Locations --------------------------------------------------------------------------
LOCATION_FIELDS = ("name", "slug", "time_zone", "address", "phone", "email", "logo_url",
                   "late_cancel_notice_hours", "slot_minutes", "is_active")


@transaction.atomic
def location_create(*, created_by, **fields) -> Location:
    location = Location(**fields)
    _clean(location, what="location")
    location.save()
    audit_record(actor=created_by, action="created", obj=location,
                 changes={name: [None, getattr(location, name)] for name in LOCATION_FIELDS})
    return location


@transaction.atomic
def location_update(*, location: Location, updated_by, **changes) -> Location:
    location_lock(location)
    location = Location.objects.select_for_update().get(pk=location.pk)
    before = {name: getattr(location, name) for name in changes}
    for name, value in changes.items():
        setattr(location, name, value)
    _clean(location, what="location")
    location.save()
    diff = audit_changes(before, {name: getattr(location, name) for name in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=location, changes=diff)
    return location


@transaction.atomic
def opening_hours_set(*, location: Location, spans: Spans, set_by) -> list[OpeningHours]:
    """The location's whole week at once: the rows are replaced, the change audited as
    the week before and after."""
    rows = _check_spans(spans, what="opening hours")
    location_lock(location)
    current = list(OpeningHours.objects.filter(location=location))
    before = _spans_text((row.weekday, row.opens, row.closes) for row in current)
    after = _spans_text(rows)
    if before == after:
        return current
    OpeningHours.objects.filter(location=location).delete()
    created = OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=day, opens=start, closes=end) for day, start, end in rows
    )
    audit_record(actor=set_by, action="opening_hours_set", obj=location, changes={"opening_hours": [before, after]})
    return created


# --- Closures ---------------------------------------------------------------------------
def _closure_sound(closure: Closure) -> None:
    """A yearly closure a year long or more would overlap its own repeat and close the
    location for good; the same span saved twice is a double click, not a second closure."""
    if closure.repeats_yearly and closure.ends_at - closure.starts_at >= timedelta(days=365):
        raise InvalidRequest("A closure that repeats every year must be shorter than a year; "
                             "untick “every year” for a long closure.", details={"field": "repeats_yearly"})
    same = Closure.objects.filter(location_id=closure.location_id, starts_at=closure.starts_at,
                                  ends_at=closure.ends_at).exclude(pk=closure.pk).first()
    if same is not None:
        raise InvalidRequest(f"This closure is already saved (“{same.reason}”, the same times).")


def _closure_words(closure: Closure) -> dict:
    return {"starts_at": closure.starts_at, "ends_at": closure.ends_at, "reason": closure.reason,
            "repeats_yearly": closure.repeats_yearly}


@transaction.atomic
def closure_create(*, location: Location, starts_at: datetime, ends_at: datetime, reason: str,
                   created_by, repeats_yearly: bool = False) -> Closure:
    """A closure from `starts_at` to `ends_at` (UTC, converted from the location's wall time
    by the caller); visits it now covers are left for the re-plan board, never moved here."""
    location_lock(location)
    closure = Closure(location=location, starts_at=starts_at, ends_at=ends_at, reason=reason,
                      repeats_yearly=repeats_yearly)
    _clean(closure, what="closure")
    _closure_sound(closure)
    closure.save()
    audit_record(actor=created_by, action="created", obj=closure, changes={
        name: [None, value] for name, value in _closure_words(closure).items()})
    return closure


@transaction.atomic
def closure_update(*, closure: Closure, updated_by, **changes) -> Closure:
    """Change a closure's times, reason or yearly repeat; audited as old and new values."""
    location_lock(closure.location)
    closure = Closure.objects.select_for_update().select_related("location").get(pk=closure.pk)
    before = _closure_words(closure)
    for name, value in changes.items():
        setattr(closure, name, value)
    _clean(closure, what="closure")
    _closure_sound(closure)
    closure.save()
    diff = audit_changes(before, _closure_words(closure))
    if diff:
        audit_record(actor=updated_by, action="updated", obj=closure, changes=diff)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, deleted_by) -> None:
    location_lock(closure.location)
    audit_record(actor=deleted_by, action="deleted", obj=closure, changes={
        name: [value, None] for name, value in _closure_words(closure).items()})
    closure.delete()


# --- Providers --------------------------------------------------------------------------
def _lock_provider_locations(provider: Provider, *also: Location) -> None:
    """A provider's hours and time off change where they may be booked at every location
    they work at: take those locations' locks, in one order so two admins never deadlock."""
    ids = set(WorkingHours.objects.filter(provider=provider).values_list("location_id", flat=True))
    ids.update(location.pk for location in also)
    for location in Location.objects.filter(pk__in=ids).order_by("pk"):
        location_lock(location)


@transaction.atomic
def working_hours_set(*, provider: Provider, location: Location, spans: Spans, set_by) -> list[WorkingHours]:
    """The provider's week at one location, replaced as a whole and audited before and after.
    A span that overlaps the provider's hours at another location on the same weekday is
    refused: they cannot be in two places."""
    rows = _check_spans(spans, what="working hours")
    _lock_provider_locations(provider, location)
    elsewhere = WorkingHours.objects.filter(provider=provider).exclude(location=location).select_related("location")
    for other in elsewhere:
        for day, start, end in rows:
            if day == other.weekday and start < other.ends and other.starts < end:
                raise InvalidRequest(
                    f"{Weekday(day).label}: {provider} already works at {other.location} from "
                    f"{other.starts:%H:%M} to {other.ends:%H:%M}; a provider cannot work at two locations at once.",
                    details={"weekday": day},
                )
    current = list(WorkingHours.objects.filter(provider=provider, location=location))
    before = _spans_text((row.weekday, row.starts, row.ends) for row in current)
    after = _spans_text(rows)
    if before == after:
        return current
    WorkingHours.objects.filter(provider=provider, location=location).delete()
    try:
        with transaction.atomic():
            created = WorkingHours.objects.bulk_create(
                WorkingHours(provider=provider, location=location, weekday=day, starts=start, ends=end)
                for day, start, end in rows
            )
    except IntegrityError as error:
        raise InvalidRequest(
            f"{provider} already has hours starting at the same time on one of these days at another location."
        ) from error
    audit_record(actor=set_by, action="working_hours_set", obj=provider,
                 changes={"location": location.name, "working_hours": [before, after]})
    return created


@transaction.atomic
def time_off_create(*, provider: Provider, starts_at: datetime, ends_at: datetime, reason: str,
                    created_by) -> TimeOff:
    _lock_provider_locations(provider)
    time_off = TimeOff(provider=provider, starts_at=starts_at, ends_at=ends_at, reason=reason)
    _clean(time_off, what="time off")
    if TimeOff.objects.filter(provider=provider, starts_at=starts_at, ends_at=ends_at).exists():
        raise InvalidRequest(f"This time off is already saved for {provider.display_name} (the same times).")
    time_off.save()
    audit_record(actor=created_by, action="created", obj=time_off, changes={
        "provider": [None, provider.display_name], "starts_at": [None, starts_at], "ends_at": [None, ends_at],
        "reason": [None, reason]})
    return time_off


def _time_off_words(time_off: TimeOff) -> dict:
    return {"starts_at": time_off.starts_at, "ends_at": time_off.ends_at, "reason": time_off.reason}


@transaction.atomic
def time_off_update(*, time_off: TimeOff, updated_by, starts_at: datetime, ends_at: datetime,
                    reason: str) -> TimeOff:
    """Move or shorten a provider's time off; audited as old and new values. Visits it
    now covers are left for the re-plan board, as when it is added."""
    _lock_provider_locations(time_off.provider)
    time_off = TimeOff.objects.select_for_update().select_related("provider").get(pk=time_off.pk)
    before = _time_off_words(time_off)
    time_off.starts_at, time_off.ends_at, time_off.reason = starts_at, ends_at, reason
    _clean(time_off, what="time off")
    if TimeOff.objects.filter(provider_id=time_off.provider_id, starts_at=starts_at,
                              ends_at=ends_at).exclude(pk=time_off.pk).exists():
        raise InvalidRequest(f"This time off is already saved for {time_off.provider.display_name} (the same times).")
    time_off.save()
    diff = audit_changes(before, _time_off_words(time_off))
    if diff:
        audit_record(actor=updated_by, action="updated", obj=time_off, changes=diff)
    return time_off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, deleted_by) -> None:
    _lock_provider_locations(time_off.provider)
    audit_record(actor=deleted_by, action="deleted", obj=time_off, changes={
        "provider": [time_off.provider.display_name, None], "starts_at": [time_off.starts_at, None],
        "ends_at": [time_off.ends_at, None], "reason": [time_off.reason, None]})
    time_off.delete()


# --- Rooms ------------------------------------------------------------------------------
def _room_name_free(room: Room) -> None:
    """Names are unique per location (the database holds it too); asked under the lock."""
    if Room.objects.filter(location_id=room.location_id, name__iexact=room.name).exclude(pk=room.pk).exists():
        raise InvalidRequest(f"Another room at this location is already called {room.name}; choose another name.",
                             details={"name": ["Another room at this location already has that name."]})


@transaction.atomic
def room_create(*, location: Location, name: str, created_by) -> Room:
    location_lock(location)
    room = Room(location=location, name=name.strip())
    _room_name_free(room)
    _clean(room, what="room")
    room.save()
    audit_record(actor=created_by, action="created", obj=room, changes={"name": [None, room.name],
                                                                         "location": [None, location.name]})
    return room


@transaction.atomic
def room_update(*, room: Room, updated_by, **changes) -> Room:
    """Rename a room, or take it out of use (is_active=False): booked visits keep it until
    they are moved; no new visit is planned into it."""
    location_lock(room.location)
    room = Room.objects.select_for_update().get(pk=room.pk)
    before = {name: getattr(room, name) for name in changes}
    for name, value in changes.items():
        setattr(room, name, value.strip() if isinstance(value, str) else value)
    _room_name_free(room)
    _clean(room, what="room")
    room.save()
    diff = audit_changes(before, {name: getattr(room, name) for name in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=room, changes=diff)
    return room


@transaction.atomic
def room_out_of_service_create(*, room: Room, starts_at: datetime, ends_at: datetime, reason: str,
                               created_by) -> RoomOutOfService:
    """The room may not be used from `starts_at` to `ends_at` (repairs, a deep clean)."""
    location_lock(room.location)
    spell = RoomOutOfService(room=room, starts_at=starts_at, ends_at=ends_at, reason=reason)
    _clean(spell, what="room's time out of service")
    if RoomOutOfService.objects.filter(room=room, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise InvalidRequest(f"{room.name} is already out of service then; remove that spell first or "
                             "choose other times.")
    spell.save()
    audit_record(actor=created_by, action="created", obj=spell, changes={
        "room": [None, room.name], "starts_at": [None, starts_at], "ends_at": [None, ends_at],
        "reason": [None, reason]})
    return spell


@transaction.atomic
def room_out_of_service_update(*, spell: RoomOutOfService, updated_by, starts_at: datetime, ends_at: datetime,
                               reason: str) -> RoomOutOfService:
    """Move or shorten a room's time out of service; audited as old and new values."""
    location_lock(spell.room.location)
    spell = RoomOutOfService.objects.select_for_update().select_related("room").get(pk=spell.pk)
    before = {"starts_at": spell.starts_at, "ends_at": spell.ends_at, "reason": spell.reason}
    spell.starts_at, spell.ends_at, spell.reason = starts_at, ends_at, reason
    _clean(spell, what="room's time out of service")
    if RoomOutOfService.objects.filter(room_id=spell.room_id, starts_at__lt=ends_at,
                                       ends_at__gt=starts_at).exclude(pk=spell.pk).exists():
        raise InvalidRequest(f"{spell.room.name} is already out of service then; remove that spell first or "
                             "choose other times.")
    spell.save()
    diff = audit_changes(before, {"starts_at": starts_at, "ends_at": ends_at, "reason": reason})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=spell, changes=diff)
    return spell


@transaction.atomic
def room_out_of_service_delete(*, spell: RoomOutOfService, deleted_by) -> None:
    location_lock(spell.room.location)
    audit_record(actor=deleted_by, action="deleted", obj=spell, changes={
        "room": [spell.room.name, None], "starts_at": [spell.starts_at, None], "ends_at": [spell.ends_at, None],
        "reason": [spell.reason, None]})
    spell.delete()
