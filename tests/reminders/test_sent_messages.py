"""The admin's "Sent messages" page: recipient, channel, kind, status and the rendered
body; and, in a real browser, a message opened from it and its link followed to the
patient's page. Screenshots of the patient pages at a desktop's and a phone's width."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connections, transaction

from patients.models import Patient
from scheduling import services
from scheduling.models import Reminder, WaitlistEntry
from scheduling.reminders.tokens import unsubscribe_url, waitlist_claim_url
from scheduling.waitlist import waitlist_entry_add
from tests.builders import at
from tests.conftest import CHROMIUM
from tests.factories import PASSWORD, PatientFactory, UserFactory
from tests.frontdesk.test_browser import ARGS, _playwright_beside_django  # noqa: F401 - the fixture

from .conftest import book
from .journey import deliver_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.django_db
def test_sent_messages_lists_recipient_channel_kind_status_and_shows_the_rendered_body(
    client, clinic, email_patient, sms_patient, sms_dir, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    with time_machine.travel(at(1, 9), tick=False) as clock:
        book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        book(clinic=clinic, patient=sms_patient, starts_at=at(10, 11))
        deliver_until(clock, at(1, 9, 5), django_capture_on_commit_callbacks)
    listing = client.get("/admin/scheduling/sentmessage/")
    assert listing.status_code == 200
    content = listing.content.decode()
    assert email_patient.email in content and str(sms_patient.phone) in content
    assert "Booking confirmation" in content and "Sent" in content
    text = Reminder.objects.get(patient=sms_patient, kind="confirmation")
    detail = client.get(f"/admin/scheduling/sentmessage/{text.pk}/change/").content.decode()
    assert "Hi Grace, you&#x27;re booked at Riverside Clinic Marylebone" in detail
    assert "Open the message as the patient sees it" in detail


def _shoot(page, name: str, *, phone_layout: bool = True) -> None:
    """Both widths; nothing may scroll sideways (the front desk's own pages are laid out
    for a desk's screen, so only there on a phone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits or (size == "phone" and not phone_layout), f"{name} scrolls sideways at {size}"
        page.screenshot(path=str(SCREENSHOTS / f"messages-{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["desktop"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_opened_from_the_sent_messages_page_and_its_link_followed(
    live_server, settings, clinic, desk_user, email_patient, django_capture_on_commit_callbacks
):
    from playwright.sync_api import sync_playwright

    settings.PUBLIC_SITE_URL = live_server.url
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    with time_machine.travel(at(1, 9), tick=True) as clock:
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        waiting = PatientFactory(first_name="Wren", preferred_channel="email")
        waitlist_entry_add(patient=waiting, location=clinic["location"], kind="consultation",
                           earliest_date=at(8, 9).date(), latest_date=at(12, 9).date())
        other = book(clinic=clinic, patient=PatientFactory(), starts_at=at(9, 15))
        with transaction.atomic():
            services.appointment_cancel(appointment=other, reason="The provider is away", cancelled_by=desk_user)
        deliver_until(clock, at(1, 9, 1) + timedelta(seconds=30), django_capture_on_commit_callbacks)
        offer = Reminder.objects.get(kind="waitlist_offer")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport=SIZES["desktop"], locale="en-GB", timezone_id="Europe/London")
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/login/?next=/admin/scheduling/sentmessage/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Select sent message to view").wait_for()
            _shoot(page, "admin-sent-list")
            page.get_by_role("row").filter(has_text=email_patient.email).get_by_role("link").first.click()
            page.get_by_text("Your visit is booked").first.wait_for()
            _shoot(page, "admin-sent-detail")
            page.get_by_role("link", name="Open the message as the patient sees it").click()
            page.get_by_role("heading", name="Your visit is booked: Wednesday 10 March 2027 at 10:00 GMT").wait_for()
            _shoot(page, "message-page")
            page.get_by_role("link", name="Confirm or cancel this visit").first.click()
            page.get_by_role("button", name="Confirm I will come").click()
            page.get_by_text("Thank you: your visit is confirmed.").wait_for()
            _shoot(page, "visit-link")
            page.goto(waitlist_claim_url(reminder_id=offer.pk))
            page.get_by_role("heading", name="A slot has opened").wait_for()
            _shoot(page, "waitlist-offer")
            page.get_by_role("button", name="Book this slot").click()
            page.get_by_text("is booked").wait_for()
            _shoot(page, "waitlist-booked")
            page.goto(unsubscribe_url(patient_id=email_patient.pk, channel="email"))
            _shoot(page, "unsubscribe")
            # The desk sees an address whose email bounced on the patient's page.
            Patient.objects.filter(pk=email_patient.pk).update(
                email_bounced_at=at(1, 9), email_bounce_reason="Bounced: 550 5.1.1 user unknown"
            )
            desk = browser.new_page(viewport=SIZES["desktop"], locale="en-GB", timezone_id="Europe/London")
            desk.goto(f"{live_server.url}/login/")
            desk.get_by_label("Username").fill("desk")
            desk.get_by_label("Password").fill(PASSWORD)
            desk.get_by_role("button", name="Sign in").click()
            desk.wait_for_url(f"{live_server.url}/schedule/")
            desk.goto(f"{live_server.url}/patients/{email_patient.pk}/")
            desk.get_by_text("Emails to this address are not arriving").wait_for()
            _shoot(desk, "desk-patient-bounced", phone_layout=False)
            browser.close()
            # The reads above ran on a connection opened while Playwright's loop ran; the
            # test database's teardown would not see it: close it while the loop runs.
            connections.close_all()
    visit.refresh_from_db()
    assert visit.status == "confirmed"
    assert WaitlistEntry.objects.get(patient=waiting).status == "booked"
