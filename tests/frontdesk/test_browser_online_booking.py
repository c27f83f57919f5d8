"""A new patient books a consultation on the clinic's public page in a real browser, from
the link on the sign-in page to the booked page, with the code or the link the outbox
holds: at 390x844 (the link) and 1280x800 (the code). Every page is checked (labels, no
sideways scrolling, axe-core) and left as a screenshot in var/screenshots/."""

import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail

from patients.models import Patient
from scheduling.models import Appointment
from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from tests.builders import LONDON

from .browsing import DESKTOP, PHONE, browser_session, check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database synchronously between browser steps, which is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


def code_message_sent():
    """The code's email as the dispatcher sends it: the outbox row itself holds no code."""
    tokens: list[str] = []
    reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    [message] = mail.outbox
    return message


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_a_new_patient_books_a_consultation_online(live_server, browser, clinic, viewport):
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=LONDON), tick=True):
        page = browser("patient", viewport)
        page.goto(f"{live_server.url}/login/")
        page.get_by_role("link", name="Book a consultation online").click()
        page.get_by_role("heading", name="Book a free consultation").wait_for()
        assert "London time (GMT)" in page.content()
        check(page, "online-booking-times")

        page.get_by_role("link", name="Tuesday 2 March at 10:00 GMT").click()
        page.get_by_label("First name").fill("Nia")
        page.get_by_label("Last name").fill("Okafor")
        page.get_by_label("Date of birth").fill("1990-04-12")
        page.get_by_label("Email address").fill("nia@example.com")
        page.get_by_label("Mobile number").fill("07911 123456")
        page.get_by_label("Email me reminders about my visits").check()
        check(page, "online-booking-details")
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_role("heading", name="Enter your code").wait_for()
        assert "Tuesday 2 March 2027 at 10:00 GMT" in page.content()
        assert not Patient.objects.filter(email="nia@example.com").exists()
        check(page, "online-booking-code")

        sent = code_message_sent()
        if viewport is PHONE:
            link = urlsplit(re.search(r"https?://\S+/book/\S+", sent.body).group(0))
            page.goto(f"{live_server.url}{link.path}")
            page.get_by_role("heading", name="Confirm your consultation").wait_for()
            check(page, "online-booking-link")
            page.get_by_role("button", name="Confirm my consultation").click()
        else:
            page.get_by_label("Your code").fill(re.search(r"\b\d{6}\b", sent.subject).group(0))
            page.get_by_role("button", name="Confirm my consultation").click()
        page.get_by_role("heading", name="Your consultation is booked").wait_for()
        check(page, "online-booking-booked")

        visit = Appointment.objects.get(kind="consultation")
        assert visit.patient.email == "nia@example.com" and visit.status == "booked"
        assert visit.starts_at == datetime(2027, 3, 2, 10, 0, tzinfo=LONDON)


def test_a_time_taken_meanwhile_and_a_wrong_code_are_explained_in_words_at_390(live_server, browser, clinic):
    from scheduling.services.consultations import consultation_book
    from tests.factories import PatientFactory

    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=LONDON), tick=True):
        page = browser("patient", PHONE)
        page.goto(f"{live_server.url}/book/{clinic['location'].slug}/")
        page.get_by_role("link", name="Tuesday 2 March at 10:00 GMT").click()
        page.get_by_label("First name").fill("Nia")
        page.get_by_label("Last name").fill("Okafor")
        page.get_by_label("Date of birth").fill("1990-04-12")
        page.get_by_label("Email address").fill("nia@example.com")
        for provider in (clinic["provider"], clinic["other_provider"]):  # the desk books that time meanwhile
            consultation_book(patient=PatientFactory(), location=clinic["location"], provider=provider,
                              starts_at=datetime(2027, 3, 2, 10, 0, tzinfo=LONDON))
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_text("Sorry, that time has just been taken. Here are the next free times.").wait_for()
        check(page, "online-booking-taken")

        page.locator("ul.times a").first.click()  # the first of the next free times offered
        page.get_by_label("First name").fill("Nia")
        page.get_by_label("Last name").fill("Okafor")
        page.get_by_label("Date of birth").fill("1990-04-12")
        page.get_by_label("Email address").fill("nia@example.com")
        page.get_by_role("button", name="Send me a code").click()
        page.get_by_label("Your code").fill("12345")
        page.get_by_role("button", name="Confirm my consultation").click()
        page.get_by_text("Enter the 6-digit code from the message we sent you.").wait_for()
        check(page, "online-booking-wrong-code")
