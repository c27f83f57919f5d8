"""The waitlist page: which slot was offered, to whom, when and how it stands; booking it
for the patient, or taking them off the list."""

from datetime import date

import pytest
from django.urls import reverse

from clinic.models import AuditEntry
from scheduling import services
from scheduling.models import Appointment, Reminder, WaitlistEntry
from scheduling.waitlist import waitlist_entry_add
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(world, desk_user):
    """Thursday's 10:00 consultation is cancelled; Wendy, waiting for a consultation that
    week, is offered its slot."""
    wendy = factories.PatientFactory(first_name="Wendy", last_name="Waite")
    entry = waitlist_entry_add(patient=wendy, location=world["location"], kind="consultation",
                               earliest_date=date(2027, 3, 3), latest_date=date(2027, 3, 12))
    services.appointment_cancel(appointment=world["pending_visit"], reason="Patient unwell.", cancelled_by=desk_user)
    entry.refresh_from_db()
    assert entry.status == "offered"
    return entry


def test_the_waitlist_says_which_slot_was_offered_when_and_how(offered, desk):
    body = desk.get(reverse("frontdesk:waitlist")).content.decode()
    assert "Wendy Waite" in body
    assert "Offered Thu 4 Mar, 10:00" in body and "with Dr Asha Patel" in body
    offer = Reminder.objects.get(waitlist_entry=offered)
    assert f"Offer {offer.get_status_display().lower()} by" in body
    assert "Book it" in body and "Remove" in body


def test_booking_the_offered_slot_books_the_patient_and_takes_them_off_the_list(offered, desk, world):
    response = desk.post(reverse("frontdesk:waitlist-book", args=[offered.pk]), follow=True)
    assert "Booked Wendy Waite with Dr Asha Patel on Thu 04 Mar 2027 at 10:00" in response.content.decode()
    visit = Appointment.objects.get(patient=offered.patient, status="booked")
    assert visit.starts_at == world["pending_visit"].starts_at and visit.kind == "consultation"
    offered.refresh_from_db()
    assert offered.status == "booked"
    assert AuditEntry.objects.filter(action="waitlist_booked", object_id=str(offered.pk)).exists()


def test_a_slot_taken_meanwhile_is_shown_and_booking_it_is_explained(offered, desk, world):
    other = factories.PatientFactory()
    services.consultation_book(patient=other, location=world["location"], provider=world["provider"],
                               starts_at=world["pending_visit"].starts_at)
    body = desk.get(reverse("frontdesk:waitlist")).content.decode()
    assert "The slot has been taken since." in body
    response = desk.post(reverse("frontdesk:waitlist-book", args=[offered.pk]), follow=True)
    assert response.status_code == 200 and "Wendy Waite:" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == "offered"


def test_removing_an_entry_withdraws_it_cancels_its_pending_offer_and_is_audited(offered, desk):
    Reminder.objects.filter(waitlist_entry=offered).update(status="pending")
    desk.post(reverse("frontdesk:waitlist-remove", args=[offered.pk]))
    offered.refresh_from_db()
    assert offered.status == WaitlistEntry.Status.WITHDRAWN
    assert set(Reminder.objects.filter(waitlist_entry=offered).values_list("status", flat=True)) == {"cancelled"}
    assert AuditEntry.objects.filter(action="waitlist_withdrawn", object_id=str(offered.pk)).exists()
    page = desk.get(reverse("frontdesk:waitlist")).content.decode()
    assert "is off the waitlist" in page and f"entry-{offered.pk}" not in page


def test_a_provider_may_not_book_or_remove_from_the_waitlist(offered, doctor):
    assert doctor.post(reverse("frontdesk:waitlist-remove", args=[offered.pk])).status_code == 403
    assert doctor.post(reverse("frontdesk:waitlist-book", args=[offered.pk])).status_code == 403
