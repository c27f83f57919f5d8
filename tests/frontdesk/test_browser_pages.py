"""Every page of the demo clinic in a real browser at 1280x800 and 390x844: nothing
scrolls sideways, every control is labelled, axe-core finds nothing serious or critical,
and a screenshot of each is left in var/screenshots/.

The demo is seeded around Monday 8 March 2027 and the clock set to 10:00 that day."""

from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from patients.models import Consultation, Patient
from scheduling.models import Appointment, TreatmentSeries
from tests.builders import LONDON

from .browsing import DESKTOP, PHONE, browser_session, check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MONDAY = "2027-03-08"
EXPECTED_STATUS = {"forbidden": 403, "not-found": 404}


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database synchronously between browser steps, which is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


@pytest.fixture
def demo():
    with time_machine.travel(datetime(2027, 3, 8, 10, 0, tzinfo=LONDON), tick=True) as traveller:
        call_command("seed_demo", date=MONDAY, verbosity=0)
        yield traveller


def _pages() -> dict[str, dict[str, str]]:
    """The address of every page, by who opens it."""
    series = TreatmentSeries.objects.filter(status="active").order_by("pk").first()
    session = series.appointments.filter(kind="session", status="booked").order_by("starts_at").first()
    patel = {"provider__display_name": "Dr Asha Patel"}
    done = Appointment.objects.filter(kind="session", status="completed", **patel).order_by("-starts_at").first()
    eligible = Consultation.objects.filter(outcome="eligible", series__isnull=True).order_by("pk").first()
    pending = Consultation.objects.filter(outcome="pending", visit__status="booked",
                                          visit__provider__display_name="Dr Asha Patel").order_by("pk").first()
    patient = Patient.objects.get(pk=series.patient_id)
    completed = TreatmentSeries.objects.filter(status="completed").order_by("pk").first()
    desk = {
        "schedule-day": f"/schedule/?date={MONDAY}",
        "schedule-week": f"/schedule/?date={MONDAY}&view=week",
        "schedule-rooms": f"/schedule/?date={MONDAY}&by=room",
        "patients": "/patients/?q=sm",
        "patient-new": "/patients/new/",
        "patient-edit": f"/patients/{patient.pk}/edit/",
        "schedule-closed-sunday": "/schedule/?date=2027-03-14",
        "book-from-empty-slot": f"/patients/?q=sm&provider={session.provider_id}&day=2027-03-09&at=16:00",
        "series-maintenance": f"/series/{completed.pk}/maintenance/",
        "patient": f"/patients/{patient.pk}/",
        "consultation-book": f"/patients/{patient.pk}/consultations/new/?day=2027-03-09",
        "plan": f"/consultations/{eligible.pk}/plan/",
        "plan-proposal": (f"/consultations/{eligible.pk}/plan/?location={series.location_id}&provider="
                          f"&session_count=3&target_interval_days=28"),
        "visit": f"/visits/{session.pk}/",
        "reschedule": f"/visits/{session.pk}/reschedule/",
        "waitlist": "/waitlist/",
        "waitlist-new": f"/patients/{patient.pk}/waitlist/new/",
        "forbidden": "/dashboard/",
        "not-found": "/no-such-page/",
    }
    provider = {
        "assess": f"/consultations/{pending.pk}/assess/",
        "visit-record": f"/visits/{done.pk}/",
    }
    admin = {"dashboard": "/dashboard/"}
    return {"frontdesk": desk, "dr.patel": provider, "admin": admin}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_page_reads_at_this_size_with_no_serious_accessibility_finding(live_server, browser, demo, viewport):
    base = live_server.url
    passwords = {"frontdesk": "needlepoint-desk", "dr.patel": "needlepoint-provider", "admin": "needlepoint-admin"}
    login = browser("login", viewport)
    login.goto(f"{base}/login/")
    check(login, "login")
    for username, pages in _pages().items():
        page = browser(username, viewport)
        sign_in(page, base, username, passwords[username])
        for name, url in pages.items():
            response = page.goto(base + url)
            assert response.status == EXPECTED_STATUS.get(name, 200), name
            check(page, name)
