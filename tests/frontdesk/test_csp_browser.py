"""The pages and the API docs work in a real browser under the Content-Security-Policy,
with no violation reported; the desk's patient page says a caution is open without
naming it, and the provider's names it. Screenshots at 1280x800 and 390x844 go to
var/screenshots/."""

import pytest
import time_machine

from patients.screening import Finding
from tests.builders import at, eligible_consultation
from tests.factories import PatientFactory
from tests.frontdesk.test_browser import SCREENSHOTS, _playwright_beside_django, browser, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"wide": (1280, 800), "phone": (390, 844)}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _watch(page) -> list[str]:
    """Console messages and page errors that report a blocked resource or script."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def _violations(seen: list[str]) -> list[str]:
    return [text for text in seen if "Content Security Policy" in text or "Refused to" in text]


def _shots(page, name: str) -> None:
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(100)
        page.screenshot(path=str(SCREENSHOTS / f"csp-{name}-{size}.png"), full_page=True)
        if size == "wide":  # the phone layout of the front-desk pages is reworked separately
            assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at {width}px"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_pages_and_api_docs_work_under_the_policy(live_server, browser, clinic, desk_user, clinic_admin_user):  # noqa: F811
    base = live_server.url
    with time_machine.travel(at(1, 8, 30), tick=True):
        consultation = eligible_consultation(
            clinic=clinic, when=at(2, 10), patient=PatientFactory(first_name="Zoë", last_name="Brontë-O'Hara"),
            findings=[Finding("blood_thinners", None)],
        )
    patient_url = f"{base}/patients/{consultation.patient_id}/"

    desk = browser("desk")
    seen = _watch(desk)
    sign_in(desk, base, "desk")
    desk.goto(patient_url)
    text = desk.inner_text("main")
    assert "A caution is open" in text and "blood thinners" not in text.lower()
    _shots(desk, "patient-desk")
    desk.goto(f"{base}/schedule/")
    desk.goto(f"{base}/dashboard/?start=9999-12-31")  # the desk is refused the dashboard
    assert _violations(seen) == []

    admin = browser("admin")
    seen = _watch(admin)
    sign_in(admin, base, "clinicadmin")
    admin.goto(f"{base}/dashboard/?start=9999-12-31")
    assert "between the years 1900 and 2200" in admin.inner_text("body")
    _shots(admin, "dashboard-bad-date")
    admin.goto(f"{base}/dashboard/")
    admin.wait_for_selector("svg")
    admin.goto(f"{base}/api/docs/")
    admin.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "Needlepoint API" in admin.inner_text(".swagger-ui .info .title")
    admin.screenshot(path=str(SCREENSHOTS / "csp-api-docs-wide.png"))
    assert _violations(seen) == []

    doctor = browser("doctor")
    seen = _watch(doctor)
    sign_in(doctor, base, "dr.patel")
    doctor.goto(patient_url)
    assert "Takes blood thinners" in doctor.inner_text("main")
    _shots(doctor, "patient-provider")
    assert _violations(seen) == []
