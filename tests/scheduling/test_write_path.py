"""Booking is the single write path: every visit is written, audited and given its
reminders by `visits_book`, and desks at one location take turns under a lock that a
desk waits for only so long."""

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction

from clinic.errors import Conflict, InvalidRequest
from clinic.models import AuditEntry
from scheduling import services
from scheduling.models import Appointment, Reminder
from scheduling.services.booking import VisitSpec, location_lock, visits_book
from tests.builders import at
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def spec(provider, room, start, minutes=30) -> VisitSpec:
    end = start + timedelta(minutes=minutes)
    return VisitSpec(kind="consultation", provider_id=provider.pk, room_id=room.pk, starts_at=start,
                     provider_starts_at=start, provider_ends_at=end, ends_at=end, room_ends_at=end)


@time_machine.travel(at(1, 9), tick=False)
def test_a_visit_booked_alone_is_audited_and_gets_its_confirmation(location, provider, room, patient, desk_user):
    [visit] = visits_book(location=location, patient=patient, visits=[spec(provider, room, at(3, 10))],
                          booked_by=desk_user)
    entry = AuditEntry.objects.get(object_type="appointment", object_id=str(visit.pk))
    assert (entry.action, entry.actor, entry.changes["provider"]) == ("booked", desk_user, provider.pk)
    kinds = set(Reminder.objects.filter(appointment=visit).values_list("kind", flat=True))
    assert "confirmation" in kinds


@time_machine.travel(at(1, 9), tick=False)
def test_a_series_confirmation_books_without_a_confirmation_per_visit(location, provider, room, patient):
    """The series sends one confirmation for all its visits, so the write path is told not
    to audit or remind each one."""
    visits = visits_book(location=location, patient=patient, booked_by=None, audited=False, reminders=False,
                         visits=[spec(provider, room, at(3, 10)), spec(provider, room, at(4, 10))])
    assert len(visits) == 2
    assert not AuditEntry.objects.filter(object_type="appointment").exists()
    assert not Reminder.objects.filter(appointment__in=visits).exists()


@time_machine.travel(at(1, 9), tick=False)
def test_a_clash_is_refused_in_words_and_nothing_is_written(location, provider, room, patient, other_room):
    visits_book(location=location, patient=patient, visits=[spec(provider, room, at(3, 10))])
    with pytest.raises(Conflict, match="Dr Asha Patel already has a visit at Wed 03 Mar 2027 10:00"):
        visits_book(location=location, patient=patient, visits=[spec(provider, other_room, at(3, 10, 15))])
    assert Appointment.objects.count() == 1


@contextmanager
def another_desk_booking_at(location):
    """Another desk's booking at the location, holding its lock until the block ends."""
    held, release = threading.Event(), threading.Event()

    def other_desk():
        try:
            with transaction.atomic():
                location_lock(location)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_desk)
    thread.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        thread.join()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_desk_waits_for_the_location_lock_only_so_long(location):
    """Another desk's booking at the location holds the lock; this one gives up after its
    timeout with a sentence, and can book once the other has finished."""
    with another_desk_booking_at(location):
        with pytest.raises(Conflict, match="taking longer than usual; try again"), transaction.atomic():
            location_lock(location, timeout_seconds=0.2)
    with transaction.atomic():
        location_lock(location, timeout_seconds=0.2)
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0", "the wait is bounded only while taking the lock"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_lock_is_per_location(location):
    elsewhere = LocationFactory(name="Riverside Clinic Soho")
    with another_desk_booking_at(location), transaction.atomic():
        location_lock(elsewhere, timeout_seconds=0.2)  # another location: no wait


# --- The proposal token, read the same way by the API and the pages ---------------------
@time_machine.travel(at(2, 11), tick=False)
def test_a_proposal_token_names_its_consultation_and_location(clinic, consultation):
    result = services.series_propose(consultation=consultation, location=clinic["location"], alternatives=0)
    token = services.proposal_sign(consultation=consultation, location=clinic["location"], plan=result.best)
    found, location, plan = services.proposal_read(token=token, consultation=consultation)
    assert (found, location, plan) == (consultation, clinic["location"], result.best)


@time_machine.travel(at(2, 11), tick=False)
def test_a_proposal_for_another_consultation_or_a_closed_location_is_refused(clinic, consultation, patient):
    result = services.series_propose(consultation=consultation, location=clinic["location"], alternatives=0)
    token = services.proposal_sign(consultation=consultation, location=clinic["location"], plan=result.best)
    other = type(consultation).objects.create(patient=patient)
    with pytest.raises(InvalidRequest, match="made for another consultation"):
        services.proposal_read(token=token, consultation=other)
    clinic["location"].is_active = False
    clinic["location"].save(update_fields=["is_active"])
    with pytest.raises(InvalidRequest, match="no longer matches a consultation and location"):
        services.proposal_read(token=token)
