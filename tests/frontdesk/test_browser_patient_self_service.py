"""The patient's other pages in a real browser at 390x844 and 1280x800: "send me my link"
(the same answer whether or not the details match), a link that no longer works, the
maintenance booking page, and the desk seeing what the patient did online."""

from datetime import date

import pytest
import time_machine
from django.core.cache import cache

from scheduling.models import Appointment, TreatmentSeries
from scheduling.patient_home_links import patient_home_url
from scheduling.reminders.maintenance_prompts import reminders_series_completed
from tests.builders import at
from tests.factories import PatientFactory

from .browsing import DESKTOP, PHONE, browser_session, check, sign_in

BUTTON = "Send me my link"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    cache.clear()


@pytest.fixture
def browser():
    yield from browser_session()


def test_send_me_my_link_and_a_retired_link(live_server, browser, clinic):
    patient = PatientFactory(email="ada@example.com", date_of_birth=date(1990, 5, 17), consent_email=True)
    old = f"{live_server.url}{patient_home_url(patient)}"
    for viewport in (PHONE, DESKTOP):
        page = browser(f"asker-{viewport['width']}", viewport)
        page.goto(f"{live_server.url}/my-link/")
        check(page, "patient-my-link")
        page.get_by_label("Email address or phone number").fill("nobody@example.com")
        page.get_by_label("Date of birth").fill("1990-05-17")
        page.get_by_role("button", name=BUTTON).first.click()
        assert page.get_by_text("If we have your details, we have sent you a link").is_visible()
        check(page, "patient-my-link-sent")
    page = browser("ada", PHONE)
    page.goto(f"{live_server.url}/my-link/")
    page.get_by_label("Email address or phone number").fill("ada@example.com")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_role("button", name=BUTTON).first.click()
    assert page.get_by_text("If we have your details, we have sent you a link").is_visible()
    page.goto(old)
    assert page.get_by_text("a newer one has been sent").is_visible()
    assert "Ada" not in page.content()
    check(page, "patient-link-retired")


def test_booking_maintenance_and_the_desk_sees_it(live_server, browser, series):
    for visit in series.appointments.exclude(status="cancelled"):
        Appointment.objects.filter(pk=visit.pk).update(status="completed", completed_at=visit.ends_at)
    TreatmentSeries.objects.filter(pk=series.pk).update(status="completed")
    series.refresh_from_db()
    reminders_series_completed(series=series)
    with time_machine.travel(at(1, 10, month=5), tick=True):
        page = browser("patient", PHONE)
        page.goto(f"{live_server.url}{patient_home_url(series.patient)}")
        check(page, "patient-home-maintenance-due")
        page.get_by_role("link", name="Book your next maintenance visit").click()
        check(page, "patient-maintenance-times")
        page.get_by_role("button", name="Book this time").first.click()
        assert page.get_by_text("Booked").first.is_visible()
        check(page, "patient-maintenance-booked")
        desk = browser("desk", DESKTOP)
        sign_in(desk, live_server.url, "desk")
        desk.goto(f"{live_server.url}/patients/{series.patient.pk}/")
        assert desk.get_by_text("Booked a maintenance visit online").is_visible()
        check(desk, "desk-patient-online-actions")
    assert Appointment.objects.filter(patient=series.patient, kind="maintenance", status="booked").exists()
