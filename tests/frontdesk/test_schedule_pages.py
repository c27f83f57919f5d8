"""The schedule: free times to book with a click, a closed today pointing at the next open
day, the week as one column per day."""

import pytest
import time_machine
from django.urls import reverse

from clinic.models import OpeningHours
from tests.builders import at

pytestmark = pytest.mark.django_db


def test_the_desk_sees_free_times_to_book_and_a_provider_does_not(world, desk, doctor):
    url = reverse("frontdesk:schedule")
    body = desk.get(url, {"date": "2027-03-04"}).content.decode()
    assert 'aria-label="Book a consultation at 09:00 with Dr Asha Patel"' in body
    assert "&amp;at=09:00" in body or "&at=09:00" in body
    assert 'aria-label="Book a consultation at 10:00 with Dr Asha Patel"' not in body, "10:00 is taken"
    assert "Book a consultation at" not in doctor.get(url, {"date": "2027-03-04"}).content.decode()


def test_a_free_time_carries_to_the_patient_chosen_and_preselects_the_slot(world, desk):
    patient = world["patient"]
    search = desk.get(reverse("frontdesk:patients"), {"q": patient.last_name, "location": world["location"].pk,
                                                      "provider": world["provider"].pk, "day": "2027-03-04",
                                                      "at": "09:00"}).content.decode()
    assert "Booking a consultation with Dr Asha Patel on Thursday 4 March at 09:00" in search
    book = reverse("frontdesk:consultation-new", args=[patient.pk])
    assert book in search
    page = desk.get(book, {"location": world["location"].pk, "provider": world["provider"].pk,
                           "day": "2027-03-04", "at": "09:00"}).content.decode()
    checked = [line for line in page.splitlines() if "checked" in line and 'name="slot"' in line]
    assert len(checked) == 1 and "09:00" in checked[0]


def test_a_closed_today_offers_the_next_open_day(world, desk):
    OpeningHours.objects.filter(location=world["location"], weekday=6).delete()
    with time_machine.travel(at(7, 10), tick=False):  # Sunday 7 March 2027
        body = desk.get(reverse("frontdesk:schedule")).content.decode()
    assert "is closed today" in body
    assert "date=2027-03-08" in body and "Show the next open day, Monday 8 March" in body
