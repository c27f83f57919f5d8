"""The booking service keeps the overlap rules on every database, with readable reasons."""

from datetime import timedelta

import pytest

from clinic.errors import Conflict, InvalidRequest
from scheduling.models import Appointment
from scheduling.services.booking import VisitSpec, appointments_book
from tests.conftest import london
from tests.factories import PatientFactory, ProviderFactory, RoomFactory

pytestmark = pytest.mark.django_db

TEN = london(2027, 3, 2, 10)


def spec(provider, room, start=TEN, minutes=30, kind="consultation", prep=0, turnover=0) -> VisitSpec:
    provider_start = start + timedelta(minutes=prep)
    end = provider_start + timedelta(minutes=minutes)
    return VisitSpec(kind=kind, provider_id=provider.pk, room_id=room.pk if room else None, starts_at=start,
                     provider_starts_at=provider_start, provider_ends_at=end, ends_at=end,
                     room_ends_at=end + timedelta(minutes=turnover))


def test_books_a_visit(location, provider, room, patient):
    [visit] = appointments_book(location=location, patient=patient, visits=[spec(provider, room)])
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_refuses_the_providers_taken_time_and_says_who(location, provider, room, patient):
    appointments_book(location=location, patient=patient, visits=[spec(provider, room)])
    with pytest.raises(Conflict, match=f"{provider.display_name} already has a visit at Tue 02 Mar 2027 10:00"):
        appointments_book(location=location, patient=PatientFactory(),
                          visits=[spec(provider, RoomFactory(location=location), TEN + timedelta(minutes=10))])


def test_refuses_a_room_in_turnover(location, provider, room, patient):
    appointments_book(location=location, patient=patient, visits=[spec(provider, room, turnover=10)])
    with pytest.raises(Conflict, match=f"{room.name} is already in use"):
        appointments_book(location=location, patient=PatientFactory(),
                          visits=[spec(ProviderFactory(), room, TEN + timedelta(minutes=35))])


def test_refuses_the_patient_twice_at_once(location, provider, room, patient):
    appointments_book(location=location, patient=patient, visits=[spec(provider, room)])
    with pytest.raises(Conflict, match="The patient already has a visit"):
        appointments_book(location=location, patient=patient,
                          visits=[spec(ProviderFactory(), RoomFactory(location=location))])


def test_books_all_or_nothing(location, provider, room, patient):
    appointments_book(
        location=location, patient=PatientFactory(), visits=[spec(provider, room, TEN + timedelta(days=28))]
    )
    series_like = [spec(provider, room), spec(provider, room, TEN + timedelta(days=28))]
    with pytest.raises(Conflict):
        appointments_book(location=location, patient=patient, visits=series_like)
    assert not Appointment.objects.filter(patient=patient).exists()


def test_refuses_visits_that_clash_with_each_other(location, provider, room, patient):
    with pytest.raises(Conflict, match="same provider"):
        appointments_book(
            location=location,
            patient=patient,
            visits=[spec(provider, room), spec(provider, RoomFactory(location=location), TEN + timedelta(minutes=15))],
        )


def test_back_to_back_and_cancelled_do_not_clash(location, provider, room, patient):
    [first] = appointments_book(location=location, patient=patient, visits=[spec(provider, room)])
    appointments_book(location=location, patient=patient, visits=[spec(provider, room, first.room_ends_at)])
    first.status, first.cancel_reason = "cancelled", "Unwell"
    first.save()
    appointments_book(location=location, patient=PatientFactory(), visits=[spec(provider, room)])
    assert Appointment.objects.filter(status="booked").count() == 2


def test_rejects_an_invalid_visit_with_field_messages(location, provider, room, patient):
    bad = spec(provider, room)
    bad = VisitSpec(**{**bad.__dict__, "kind": "massage"})
    with pytest.raises(InvalidRequest) as caught:
        appointments_book(location=location, patient=patient, visits=[bad])
    assert "kind" in caught.value.details


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_desks_booking_the_same_slot_at_once_book_it_once(location, provider, room):
    """On PostgreSQL the exclusion constraints decide; on SQLite the immediate transaction."""
    import threading

    from django.db import connection

    patients = [PatientFactory(), PatientFactory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(patient):
        try:
            barrier.wait()
            appointments_book(location=location, patient=patient, visits=[spec(provider, room)])
            outcomes.append("booked")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(patient,)) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "conflict"]
    assert Appointment.objects.filter(provider=provider).count() == 1
