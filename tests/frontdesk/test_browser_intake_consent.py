"""Health questions and consent in a real browser at 390x844 (a phone, and the clinic's
tablet held upright): a patient answers the health questions from their link and the
provider finds the findings they suggest pre-ticked; a patient who has not signed the
consent cannot be checked in, signs on the desk's tablet, and then can."""

import re
from datetime import timedelta

import pytest
import time_machine

from patients.models import Intake
from scheduling.models import Appointment, ConsentSignature
from scheduling.task_links import consent_url, intake_url
from tests import factories
from tests.builders import at, booked_series, consultation_visit, eligible_consultation, sessions

from .browsing import DESKTOP, PHONE, browser_session, check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


def test_the_patient_answers_the_health_questions_and_the_provider_sees_them_pre_ticked(
    live_server, browser, clinic, desk_user
):
    base = live_server.url
    with time_machine.travel(at(2, 11), tick=True) as clock:
        patient = factories.PatientFactory(first_name="Priya", last_name="Shah")
        visit = consultation_visit(clinic=clinic, when=at(4, 10), patient=patient, desk_user=desk_user)
        phone = browser("patient", PHONE)
        phone.goto(base + intake_url(visit))
        assert phone.get_by_role("heading", name="Health questions before your consultation").is_visible()
        assert "Thursday 4 March 2027 at 10:00 GMT" in phone.inner_text("main")
        check(phone, "intake-questions")
        phone.get_by_role("button", name="Send my answers").click()
        assert phone.get_by_text("Some answers need another look").is_visible()
        assert phone.locator(".field-error").count() == 11, "each unanswered yes-or-no question says so"
        check(phone, "intake-errors")
        for fieldset in phone.locator("fieldset").all():
            if fieldset.get_by_label("No", exact=True).count():
                fieldset.get_by_label("No", exact=True).check()
        phone.get_by_role("group", name=re.compile("retinoid creams")).get_by_label("Yes").check()
        phone.get_by_label(re.compile("isotretinoin")).fill("2026-12-15")
        phone.get_by_label("Some, without burning").check()
        phone.get_by_role("button", name="Send my answers").click()
        assert phone.get_by_text("your answers are with the clinic").is_visible()
        check(phone, "intake-sent")
        answers = Intake.objects.get(consultation=visit.consultation).answers
        assert answers.get(question__key="retinoids").answer == "yes"

        # At the consultation the provider opens the assessment on a phone-sized screen.
        clock.move_to(at(4, 10, 5))
        doctor = browser("doctor", PHONE)
        sign_in(doctor, base, "dr.patel")
        doctor.goto(f"{base}/consultations/{visit.consultation_id}/assess/")
        shown = doctor.locator(".intake-answers").inner_text()
        assert "Uses retinoid creams" in shown and "Isotretinoin" in shown
        assert doctor.get_by_label("Uses retinoid creams (stop a few days before each session)").is_checked()
        assert doctor.get_by_label("Isotretinoin in the last 6 months", exact=True).is_checked()
        assert doctor.get_by_label("Isotretinoin in the last 6 months: last present on").input_value() == "2026-12-15"
        assert not doctor.get_by_label("Cold sores now").is_checked()
        check(doctor, "intake-assessment-prefilled")


def test_check_in_is_refused_until_the_patient_signs_the_consent_on_the_tablet(
    live_server, browser, clinic, desk_user
):
    base = live_server.url
    patient = factories.PatientFactory(first_name="Maya", last_name="Okafor")
    consultation = eligible_consultation(clinic=clinic, when=at(2, 14), patient=patient)
    with time_machine.travel(at(2, 15), tick=False):
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9),
                               consented=False)
    first = sessions(series)[0]
    with time_machine.travel(first.starts_at - timedelta(minutes=10), tick=True):
        # The patient's own link, as a message would carry it: read at 390 px.
        own = browser("patient", PHONE)
        own.goto(base + consent_url(patient=patient, document=series.protocol.consent_document))
        check(own, "consent-patient-link")

        desk = browser("desk", PHONE)
        sign_in(desk, base, "desk")
        desk.goto(f"{base}/visits/{first.pk}/")
        desk.get_by_role("button", name="Check in").click()
        assert desk.locator(".messages").get_by_text("Consent not signed").is_visible()
        check(desk, "consent-check-in-refused")
        assert Appointment.objects.get(pk=first.pk).status == "booked"

        desk.get_by_role("link", name="Open the signing page").click()
        assert desk.get_by_text("You are signing on the clinic's tablet.").is_visible()
        desk.get_by_role("button", name="Sign the consent").click()
        assert desk.get_by_text("Tick each section").first.is_visible()
        for box in desk.locator('input[name="section"]').all():
            box.check()
        desk.get_by_label("Type your full name to sign").fill("maya okafor")
        check(desk, "consent-tablet-signing")
        desk.get_by_role("button", name="Sign the consent").click()
        assert desk.get_by_text("Please hand the tablet back").is_visible()
        check(desk, "consent-tablet-signed")
        assert ConsentSignature.objects.get(patient=patient).witnessed_by.username == "desk"

        # The patient still holds the tablet: no way into the staff site without a password.
        assert desk.get_by_role("link").filter(has_text="visit").count() == 0
        desk.goto(f"{base}/patients/{patient.pk}/")
        assert desk.get_by_text("Please hand the tablet back").is_visible()
        desk.get_by_label("Staff password, to return to the front-desk site").fill("wrong password")
        desk.get_by_role("button", name="Return to the front desk").click()
        assert desk.get_by_text("That password is not right").is_visible()
        check(desk, "consent-tablet-locked")
        desk.get_by_label("Staff password, to return to the front-desk site").fill(factories.PASSWORD)
        desk.get_by_role("button", name="Return to the front desk").click()
        assert desk.get_by_text("Consent: signed").is_visible()
        desk.get_by_role("button", name="Check in").click()
        assert desk.get_by_text("Maya Okafor is checked in.").is_visible()
        assert Appointment.objects.get(pk=first.pk).status == "checked_in"

        signature = ConsentSignature.objects.get(patient=patient)
        desk.goto(f"{base}/consents/{signature.pk}/print/")
        assert signature.text_sha256 in desk.inner_text("main")
        check(desk, "consent-printed")


def test_a_clinic_admin_edits_the_consent_and_the_desk_sees_it_needs_signing_again(
    live_server, browser, world, clinic_admin_user
):
    base = live_server.url
    with time_machine.travel(at(2, 11, 30), tick=True):
        admin = browser("admin", PHONE)
        sign_in(admin, base, "clinicadmin")
        admin.get_by_role("link", name="Set-up").click()
        admin.get_by_role("link", name="Consent documents").click()
        check(admin, "consent-documents")
        admin.get_by_role("link", name="Edit").click()
        admin.get_by_label("Section 7: heading").fill("Numbing cream")
        admin.get_by_label("Section 7: text").fill("A lidocaine cream is applied for about 30 minutes first.")
        check(admin, "consent-document-edit")
        admin.get_by_role("button", name="Save and publish").click()
        assert admin.get_by_text("Version 2 published").is_visible()

        desk = browser("desk", PHONE)
        sign_in(desk, base, "desk")
        desk.goto(f"{base}/patients/{world['patient'].pk}/")
        consent = desk.locator("section[aria-labelledby=consent-h]")
        assert "signed an earlier version" in consent.inner_text()
        assert consent.get_by_role("link", name="Open the signing page").is_visible()
        check(desk, "consent-patient-page")


def test_the_desks_tablet_at_desktop_width_keeps_the_patient_on_the_signing_page(
    live_server, browser, clinic, desk_user
):
    """A tablet held sideways (1280 px): the signing page, then any staff address typed
    leads back to it, until the desk types its password."""
    base = live_server.url
    patient = factories.PatientFactory(first_name="Ines", last_name="Duarte")
    consultation = eligible_consultation(clinic=clinic, when=at(2, 14), patient=patient)
    with time_machine.travel(at(2, 15), tick=False):
        series = booked_series(clinic=clinic, consultation=consultation, user=desk_user, earliest_start=at(3, 9),
                               consented=False)
    first = sessions(series)[0]
    with time_machine.travel(first.starts_at - timedelta(minutes=10), tick=True):
        desk = browser("desk", DESKTOP)
        sign_in(desk, base, "desk")
        desk.goto(f"{base}/visits/{first.pk}/")
        check(desk, "consent-visit-unsigned")
        desk.get_by_role("link", name="Open the signing page").click()
        signing = desk.url
        check(desk, "consent-tablet-signing")
        desk.goto(f"{base}/patients/{patient.pk}/")
        assert desk.url == signing
        desk.goto(f"{base}/admin/")
        assert desk.url == signing and "Ines" in desk.inner_text("main")
        desk.get_by_label("Staff password, to return to the front-desk site").fill(factories.PASSWORD)
        desk.get_by_role("button", name="Return to the front desk").click()
        assert desk.url == f"{base}/visits/{first.pk}/"
        assert desk.get_by_text("Consent not signed").first.is_visible()
