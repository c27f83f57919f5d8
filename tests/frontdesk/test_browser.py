"""The front desk's day in a real browser (Debian's Chromium driven by Playwright):
a desk logs in, registers and finds a new patient, books a consultation; the provider
records an eligible assessment; the desk plans and confirms a four-session series and
moves session 2, accepting the cascade; the admin's dashboard follows each step.

Screenshots of every page go to var/screenshots/. The clock is fixed to March 2027
(and ticks), so the consultation can be assessed once it has started."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connections
from django.db.models import DurationField, ExpressionWrapper, F, Sum

from scheduling.models import Appointment, TreatmentSeries
from tests.builders import LONDON, at
from tests.conftest import CHROMIUM
from tests.factories import PASSWORD

from .browsing import check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=en-GB"]
DASHBOARD_RANGE = "start=2027-03-01&end=2027-08-31"


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database synchronously between browser steps, which is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profiles:
        opened = []

        def open_as(name: str):
            context = playwright.chromium.launch_persistent_context(
                os.path.join(profiles, name), executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/London")
            context.set_default_timeout(15_000)
            opened.append(context)
            return context.pages[0] if context.pages else context.new_page()

        yield open_as
        for context in opened:
            context.close()
        # The test's own reads between browser steps ran on a connection kept for the
        # time Playwright's event loop runs, which the test database's teardown never
        # sees: close it while that loop still runs.
        connections.close_all()


def shot(page, name: str) -> None:
    """Labels, no sideways scrolling and axe-core first (browsing.check), then the screenshot."""
    check(page, name)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/schedule/")


def figures(page, base: str, location_id: int) -> dict:
    page.goto(f"{base}/dashboard/?location={location_id}&{DASHBOARD_RANGE}")
    booked = page.locator('#table-providers tr[data-name="Dr Asha Patel"] td.booked').inner_text()
    return {
        "series_started": int(page.inner_text("#fig-series-started")),
        "visits_booked": int(page.inner_text("#fig-visits-booked")),
        "patel_minutes": int(booked.split()[0]),
    }


def patel_minutes() -> int:
    """Dr Patel's treatment minutes in the dashboard's range, straight from the table."""
    total = Appointment.objects.filter(
        provider__display_name="Dr Asha Patel",
        status__in=Appointment.ACTIVE_STATUSES,
        starts_at__gte=datetime(2027, 3, 1, tzinfo=LONDON),
        starts_at__lt=datetime(2027, 9, 1, tzinfo=LONDON),
    ).aggregate(
        m=Sum(ExpressionWrapper(F("provider_ends_at") - F("provider_starts_at"), output_field=DurationField()))
    )["m"]
    return int(total.total_seconds() // 60) if total else 0


@contextmanager
def clock(moment: datetime):
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


def test_front_desk_journey_in_the_browser(live_server, browser, clinic, desk_user, clinic_admin_user):
    base = live_server.url
    location = clinic["location"]
    with clock(at(1, 8, 30)) as now:
        # --- The desk signs in and sees the day.
        desk = browser("desk")
        desk.goto(f"{base}/login/")
        shot(desk, "01-login")
        sign_in(desk, base, "desk")
        assert desk.get_by_role("heading", name="Schedule").is_visible()
        shot(desk, "02-schedule-day")

        # --- The admin's dashboard before anything is booked.
        admin = browser("admin")
        sign_in(admin, base, "clinicadmin")
        before = figures(admin, base, location.pk)
        assert before == {"series_started": 0, "visits_booked": 0, "patel_minutes": 0}
        shot(admin, "03-dashboard-before")

        # --- A new patient: registered, then found by typing part of her name.
        desk.get_by_role("link", name="Patients").click()
        desk.get_by_role("link", name="Register a new patient").click()
        desk.get_by_label("First name").fill("Amelia")
        desk.get_by_label("Last name").fill("Hart")
        desk.get_by_label("Date of birth").fill("1988-04-12")
        desk.get_by_label("Email", exact=True).fill("amelia.hart@example.com")
        desk.get_by_label("Phone", exact=True).fill("07911 123456")
        desk.get_by_label("Preferred channel for reminders").select_option("sms")
        desk.get_by_label("Consents to SMS reminders").check()
        desk.get_by_label("Acne scars").check()
        shot(desk, "04-patient-register")
        desk.get_by_role("button", name="Register").click()
        desk.get_by_text("Amelia Hart is registered.").wait_for()

        desk.get_by_role("link", name="Patients").click()
        desk.get_by_label("Find a patient by name, phone or email").press_sequentially("har", delay=40)
        result = desk.locator("#patient-results li a", has_text="Amelia Hart")
        result.wait_for()
        shot(desk, "05-patient-search")
        result.click()
        desk.get_by_role("heading", name="Amelia Hart").wait_for()

        # --- Her consultation: tomorrow at 10:00 with Dr Patel.
        desk.get_by_role("link", name="Book a consultation").click()
        desk.get_by_label("Provider", exact=True).select_option(label="Dr Asha Patel")
        desk.get_by_label("From", exact=True).fill("2027-03-02")
        desk.get_by_role("button", name="Show free times").click()
        desk.locator("label.slot", has_text="10:00").first.click()
        shot(desk, "06-consultation-book")
        desk.get_by_role("button", name="Book this consultation").click()
        desk.get_by_text("Consultation booked with Dr Asha Patel on Tue 02 Mar 2027 at 10:00.").wait_for()
        patient_url = desk.url
        shot(desk, "07-patient-booked")

        # --- At the consultation, Dr Patel records her eligible for four sessions.
        now.move_to(at(2, 10, 10))
        doctor = browser("doctor")
        sign_in(doctor, base, "dr.patel")
        doctor.goto(patient_url)
        doctor.get_by_role("link", name="Record the assessment").click()
        doctor.get_by_label("Fitzpatrick skin type").select_option("2")
        doctor.get_by_label("Recommended sessions").select_option("4")
        doctor.get_by_label("Face: needle depth (mm)").fill("1.5")
        doctor.get_by_label("Clinical notes").fill("Rolling acne scars on both cheeks.")
        shot(doctor, "08-assessment")
        doctor.get_by_role("button", name="Record the assessment").click()
        doctor.get_by_text("Assessment recorded: eligible.").wait_for()
        assert doctor.get_by_text("Rolling acne scars on both cheeks.").is_visible()

        # --- The desk plans four sessions with Dr Patel, looks at an alternative, confirms.
        desk.goto(patient_url)
        assert desk.get_by_text("Rolling acne scars").count() == 0, "the desk never sees clinical notes"
        desk.get_by_role("link", name="Plan a series").click()
        desk.get_by_label("Provider", exact=True).select_option(label="Dr Asha Patel")
        assert desk.get_by_label("Sessions", exact=True).input_value() == "4"
        desk.get_by_role("button", name="Propose a series").click()
        desk.locator(".tabpanel:not([hidden]) table.month").first.wait_for()
        shot(desk, "09-plan-proposal")
        tabs = desk.get_by_role("tab")
        assert tabs.count() > 1, "alternatives are offered"
        tabs.nth(1).click()
        assert desk.locator("#option-2").is_visible() and not desk.locator("#option-1").is_visible()
        shot(desk, "10-plan-alternative")
        desk.keyboard.press("ArrowLeft")  # back to the best plan from the keyboard
        assert desk.locator("#option-1").is_visible() and not desk.locator("#option-2").is_visible()
        desk.locator("#option-1").get_by_role("button", name="Hold these times").click()
        desk.get_by_role("heading", name="Confirm the series for Amelia Hart").wait_for()
        shot(desk, "11-hold")
        desk.get_by_role("button", name="Confirm the series").click()
        desk.get_by_text("Series of 4 sessions booked for Amelia Hart.").wait_for()
        shot(desk, "12-patient-series")

        series = TreatmentSeries.objects.get(patient__last_name="Hart")
        sessions = {a.session_number: a for a in series.appointments.filter(kind="session")}
        assert sorted(sessions) == [1, 2, 3, 4] and series.provider.display_name == "Dr Asha Patel"
        booked = figures(admin, base, location.pk)
        # One series; a consultation plus 4 sessions, 4 healing checks and a review (10 visits);
        # Dr Patel's minutes: consultation 30 + sessions 4 x 30 + checks 4 x 15 + review 20 = 230.
        assert booked["series_started"] == before["series_started"] + 1
        assert booked["visits_booked"] == before["visits_booked"] + 10
        assert booked["patel_minutes"] == before["patel_minutes"] + 230 == patel_minutes()

        # --- Session 2 moves a week later; sessions 3 and 4 follow to stay 4-6 weeks apart.
        old = {n: a.starts_at for n, a in sessions.items()}
        new_two = (old[2] + timedelta(days=7)).astimezone(LONDON)
        desk.locator("ol.timeline").get_by_role("link", name="Session 2", exact=True).click()
        desk.get_by_role("link", name="Reschedule").click()
        desk.get_by_label("New date").fill(new_two.date().isoformat())
        desk.get_by_label("New time").fill(new_two.strftime("%H:%M"))
        desk.get_by_role("button", name="Show what would change").click()
        cascade = desk.locator(".cascade table")
        cascade.wait_for()
        assert (
            cascade.get_by_text("Session 3", exact=True).count() == 1
            and cascade.get_by_text("Session 4", exact=True).count() == 1
        )
        shot(desk, "13-reschedule-preview")
        desk.get_by_role("button", name="Confirm the move").click()
        desk.get_by_text("Moved to").wait_for()
        shot(desk, "14-visit-moved")

        moved = {a.session_number: a.starts_at for a in series.appointments.filter(kind="session")
                 .exclude(status="cancelled")}
        assert moved[2] == new_two
        assert moved[3] != old[3] and moved[4] != old[4]
        for number in (2, 3, 4):
            assert timedelta(days=28) <= moved[number] - moved[number - 1] <= timedelta(days=42)

        after = figures(admin, base, location.pk)
        assert after["series_started"] == booked["series_started"]
        assert after["patel_minutes"] == patel_minutes() == booked["patel_minutes"], "a move keeps the minutes"
        shot(admin, "15-dashboard-after")

        # --- The other pages, for the record.
        desk.goto(f"{base}/schedule/?date=2027-03-02&view=week")
        shot(desk, "16-schedule-week")
        desk.goto(f"{base}/schedule/?date=2027-03-02&by=room")
        shot(desk, "17-schedule-rooms")
        desk.goto(f"{base}/waitlist/")
        shot(desk, "18-waitlist")
        first = sessions[1]
        doctor.goto(f"{base}/visits/{first.pk}/")
        shot(doctor, "19-visit-provider")
