"""A waitlist offer: the slot and a link to claim it. Two patients, one slot: the first
claim books it, the other is told it has gone; claimed at the same moment, still one."""

import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client

from scheduling import services
from scheduling.models import Appointment, Reminder, WaitlistEntry
from scheduling.services.waitlist_offers import OfferGone, waitlist_offer_claim
from scheduling.waitlist import waitlist_entry_add
from tests.builders import at
from tests.factories import PatientFactory

from .conftest import book
from .journey import deliver_until, received

SLOT = at(4, 10)


def _waiting(clinic, count=2):
    patients = [PatientFactory(first_name=f"Waiting{n}", preferred_channel="email") for n in range(count)]
    for patient in patients:
        waitlist_entry_add(
            patient=patient,
            location=clinic["location"],
            kind="consultation",
            earliest_date=SLOT.date() - timedelta(days=2),
            latest_date=SLOT.date() + timedelta(days=2),
        )
    return patients


def _free_the_slot(clinic, desk_user):
    visit = book(clinic=clinic, patient=PatientFactory(), starts_at=SLOT)
    services.appointment_cancel(appointment=visit, reason="Moving abroad", cancelled_by=desk_user)
    return visit


@pytest.mark.django_db
def test_two_patients_one_slot_the_first_claim_books_it_and_the_second_is_told_it_has_gone(
    clinic, desk_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2, 11), tick=False) as clock:
        first, second = _waiting(clinic)
        _free_the_slot(clinic, desk_user)
        deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
        [offer_1], [offer_2] = received(first), received(second)
        assert offer_1.subject == "A slot has opened at Riverside Clinic Marylebone: Thursday 4 March 2027 at 10:00 GMT"
        links = [re.search(r"https?://[^/\s]+(/reminders/offer/[^\s]+/)", o.body).group(1) for o in (offer_1, offer_2)]
        assert Client().get(links[0]).status_code == 200
        won = Client().post(links[0])
        assert won.status_code == 200 and b"is booked" in won.content
        lost = Client().post(links[1])
        assert lost.status_code == 409 and b"someone else has just taken this slot" in lost.content
        again = Client().post(links[0])
        assert again.status_code == 409  # claiming twice books nothing more
        deliver_until(clock, at(2, 11, 10), django_capture_on_commit_callbacks)
    booked = Appointment.objects.get(starts_at=SLOT, status="booked")
    assert booked.patient == first
    assert WaitlistEntry.objects.get(patient=first).status == "booked"
    assert WaitlistEntry.objects.get(patient=second).status == "waiting"  # offered the next slot like it
    assert [r.subject.split(":")[0] for r in received(first)] == ["A slot has opened at Riverside Clinic Marylebone",
                                                                  "Your visit is booked"]
    assert len(received(second)) == 1


@pytest.mark.django_db
def test_a_slot_that_has_passed_cannot_be_claimed(clinic, desk_user):
    with time_machine.travel(at(2, 11), tick=False) as clock:
        _waiting(clinic, count=1)
        _free_the_slot(clinic, desk_user)
        offer = Reminder.objects.get(kind="waitlist_offer")
        clock.move_to(SLOT + timedelta(minutes=1))
        with pytest.raises(OfferGone):
            waitlist_offer_claim(reminder_id=offer.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_claims_at_the_same_moment_book_the_slot_once(clinic, desk_user):
    with time_machine.travel(at(2, 11), tick=True):
        _waiting(clinic)
        _free_the_slot(clinic, desk_user)
        offers = list(Reminder.objects.filter(kind="waitlist_offer").values_list("pk", flat=True))
        assert len(offers) == 2
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def claim(offer_id):
            try:
                barrier.wait()
                waitlist_offer_claim(reminder_id=offer_id)
                outcomes.append("booked")
            except OfferGone:
                outcomes.append("gone")
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(pk,)) for pk in offers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["booked", "gone"]
    assert Appointment.objects.filter(starts_at=SLOT, status="booked").count() == 1
