"""The patient's own page in a real browser at 390x844 (and 1280x800): moving session 2
inside its window with session 3 following, and two patients claiming one waitlist slot
from their pages, one winning. Each page is checked (labels, no sideways scrolling, no
serious axe finding) and left as a screenshot in var/screenshots/."""

from datetime import timedelta

import pytest
import time_machine

from scheduling import services
from scheduling.models import Appointment, Reminder
from scheduling.patient_home_links import patient_home_url
from scheduling.waitlist import waitlist_entry_add
from tests.builders import at, sessions
from tests.factories import PatientFactory

from .browsing import DESKTOP, PHONE, browser_session, check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


def test_the_patient_moves_session_two_and_sees_session_three_follow(live_server, browser, series):
    two, three = sessions(series)[1:]
    old_three = three.starts_at
    with time_machine.travel(at(2, 11), tick=True):
        home = f"{live_server.url}{patient_home_url(series.patient)}"
        page = browser("patient", PHONE)
        page.goto(home)
        assert page.get_by_role("heading", name=f"Hello {series.patient.first_name}").is_visible()
        assert "inside the clinic's notice period" in page.content().replace("&#x27;", "'")  # session 1 is tomorrow
        check(page, "patient-home")
        page.get_by_role("link", name="Move this visit").first.click()
        assert page.get_by_role("heading", name="Move your treatment session 2 of 3").is_visible()
        check(page, "patient-move-times")
        page.get_by_role("button", name="Choose this time").last.click()
        follows = page.locator("#follows").inner_text()
        assert "Treatment session 3" in follows, "the later session is shown before anything is saved"
        check(page, "patient-move-preview")
        three.refresh_from_db()
        assert three.starts_at == old_three
        page.get_by_role("button", name="Confirm the move").click()
        assert page.get_by_text("Your visit has moved").is_visible()
        check(page, "patient-home-moved")
        desktop = browser("patient-desktop", DESKTOP)
        desktop.goto(home)
        check(desktop, "patient-home")
    two.refresh_from_db()
    three.refresh_from_db()
    assert two.starts_at > at(31, 9) - timedelta(days=1)
    assert three.starts_at > old_three, "session 3 followed session 2"
    assert timedelta(days=28) <= three.starts_at - two.starts_at <= timedelta(days=42)


def test_two_patients_claim_one_slot_and_one_wins(live_server, browser, clinic, desk_user):
    slot = at(4, 10)
    with time_machine.travel(at(2, 11), tick=True):
        waiting = [PatientFactory(first_name=name, consent_email=True) for name in ("Amara", "Beth")]
        for patient in waiting:
            waitlist_entry_add(patient=patient, location=clinic["location"], kind="consultation",
                               earliest_date=slot.date() - timedelta(days=1), latest_date=slot.date())
        freed = services.consultation_book(patient=PatientFactory(), location=clinic["location"],
                                           provider=clinic["provider"], starts_at=slot)
        services.appointment_cancel(appointment=freed, reason="Moving abroad", cancelled_by=desk_user)
        Reminder.objects.filter(kind="waitlist_offer").update(status="sent", sent_at=at(2, 11))
        pages = []
        for patient in waiting:
            page = browser(patient.first_name, PHONE)
            page.goto(f"{live_server.url}{patient_home_url(patient)}")
            assert page.get_by_text("Thursday 4 March 2027 at 10:00 GMT", exact=True).is_visible()
            pages.append(page)
        check(pages[0], "patient-home-offer")
        pages[0].get_by_role("button", name="Book this slot").click()
        assert pages[0].get_by_text("Booked: Thursday 4 March 2027 at 10:00 GMT").is_visible()
        pages[1].get_by_role("button", name="Book this slot").click()
        assert pages[1].get_by_text("someone else has just taken this slot").is_visible()
        check(pages[1], "patient-home-offer-gone")
    booked = Appointment.objects.get(starts_at=slot, status="booked")
    assert booked.patient == waiting[0]
