"""The consent pages: the patient's link, the desk's tablet page, the printed record and
the clinic admin's editor; links that are altered, expired or for another patient."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from scheduling.models import Appointment, ConsentDocument, ConsentSignature
from scheduling.task_links import consent_token, consent_url
from tests import factories
from tests.builders import at, booked_series, eligible_consultation, sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(protocol) -> ConsentDocument:
    return ConsentDocument.objects.get(protocol=protocol)


@pytest.fixture
def unsigned(world, desk_user):
    patient = factories.PatientFactory(first_name="Maya", last_name="Okafor")
    consultation = eligible_consultation(clinic=world, when=at(2, 14), patient=patient)
    with time_machine.travel(at(2, 15), tick=False):
        return booked_series(clinic=world, consultation=consultation, user=desk_user, earliest_start=at(3, 9),
                             consented=False)


def _titles(body: str) -> list[str]:
    return re.findall(r'name="section" value="([^"]+)"', body)


def _sign_form(body: str, name: str) -> dict:
    import html

    version = re.search(r'name="version" value="(\d+)"', body).group(1)
    return {"section": [html.unescape(t) for t in _titles(body)], "signed_name": name, "version": version}


def test_the_patient_reads_and_signs_from_their_link(unsigned, document, client):
    patient = unsigned.patient
    url = consent_url(patient=patient, document=document)
    body = client.get(url).content.decode()
    assert "Risks and side effects" in body and "Maya" in body and len(_titles(body)) == 6
    partial = client.post(url, {**_sign_form(body, "Maya Okafor"), "section": _titles(body)[:2]})
    assert partial.status_code == 400 and "Tick each section" in partial.content.decode()
    wrong = client.post(url, _sign_form(body, "Maya"), HTTP_USER_AGENT="Phone")
    assert wrong.status_code == 400 and "first and last name" in wrong.content.decode()
    assert not ConsentSignature.objects.filter(patient=patient).exists()
    done = client.post(url, _sign_form(body, "maya okafor"), HTTP_USER_AGENT="Phone", REMOTE_ADDR="203.0.113.9")
    assert done.status_code == 200 and "your consent is signed" in done.content.decode()
    signature = ConsentSignature.objects.get(patient=patient)
    assert (signature.user_agent, signature.address, signature.at_desk) == ("Phone", "203.0.113.9", False)
    again = client.get(url).content.decode()
    assert "you signed this document on" in again and "Sign the consent" not in again


def test_consent_links_that_are_altered_expired_or_from_another_purpose_show_words(unsigned, document, client):
    token = consent_token(patient=unsigned.patient, document=document)
    altered = client.get(f"/consent/{token[:-3]}abc/")
    assert altered.status_code == 403 and "not valid" in altered.content.decode()
    other_salt = signing.dumps({"p": unsigned.patient.pk, "d": document.pk}, salt="scheduling.intake")
    assert client.get(f"/consent/{other_salt}/").status_code == 403
    with time_machine.travel(timedelta(days=31)):
        expired = client.get(f"/consent/{token}/")
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_a_link_names_one_patient_and_shows_no_other(unsigned, document, world, client):
    """Typing another patient's id anywhere changes nothing: the id is inside the signature."""
    mine = consent_url(patient=unsigned.patient, document=document)
    body = client.get(mine).content.decode()
    assert "Maya" in body and world["patient"].first_name not in body
    other = client.post(consent_url(patient=unsigned.patient, document=document),
                        _sign_form(body, world["patient"].full_name))
    assert other.status_code == 400, "another patient's name does not sign Maya's consent"
    assert not ConsentSignature.objects.filter(patient=unsigned.patient).exists()


def test_the_desk_sees_why_check_in_is_refused_opens_the_signing_page_and_then_checks_in(unsigned, desk, document):
    first = sessions(unsigned)[0]
    with time_machine.travel(first.starts_at - timedelta(minutes=5), tick=False):
        page = desk.get(reverse("frontdesk:visit", args=[first.pk])).content.decode()
        assert "Consent not signed" in page and "Open the signing page" in page
        refused = desk.post(reverse("frontdesk:check-in", args=[first.pk]), follow=True).content.decode()
        assert "Consent not signed" in refused
        sign_url = reverse("frontdesk:consent-sign", args=[unsigned.patient.pk, document.pk]) + f"?visit={first.pk}"
        body = desk.get(sign_url).content.decode()
        assert "clinic&#x27;s tablet" in body or "clinic's tablet" in body
        signed = desk.post(sign_url, _sign_form(body, "Maya Okafor")).content.decode()
        assert "hand the tablet back" in signed
        assert ConsentSignature.objects.get(patient=unsigned.patient).witnessed_by is not None
        back = desk.post(reverse("frontdesk:consent-kiosk-return"), {"password": factories.PASSWORD})
        assert back.url == reverse("frontdesk:visit", args=[first.pk])
        desk.post(reverse("frontdesk:check-in", args=[first.pk]))
    assert Appointment.objects.get(pk=first.pk).status == "checked_in"


def test_signed_consents_list_on_the_patient_page_and_print_cleanly(world, desk, other_doctor):
    patient = world["patient"]
    body = desk.get(reverse("frontdesk:patient", args=[patient.pk])).content.decode()
    signature = ConsentSignature.objects.get(patient=patient)
    assert "Consent to facial microneedling (version 1)" in body and "online" in body
    printed = desk.get(reverse("frontdesk:consent-print", args=[signature.pk])).content.decode()
    assert signature.text_sha256 in printed and patient.full_name in printed
    assert "GMT" in printed and "Europe/London" in printed
    assert "Aftercare" in printed and "no-print" in printed
    # A provider who never saw this patient cannot open their signed consent.
    assert other_doctor.get(reverse("frontdesk:consent-print", args=[signature.pk])).status_code == 404


def test_a_provider_cannot_open_the_signing_page_of_a_patient_they_do_not_see(unsigned, other_doctor, document):
    url = reverse("frontdesk:consent-sign", args=[unsigned.patient.pk, document.pk])
    assert other_doctor.get(url).status_code == 404


def test_a_clinic_admin_publishes_a_new_version_and_the_desk_cannot(world, admin, desk, document):
    url = reverse("frontdesk:consent-document", args=[document.pk])
    assert desk.get(url).status_code in (302, 403)
    assert desk.get(reverse("frontdesk:consent-documents")).status_code in (302, 403)
    form = admin.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    same = admin.post(url, data)
    assert same.status_code == 302 and document.versions.count() == 1
    data["text_1"] = data["text_1"] + " Bruising can last a week."
    assert admin.post(url, data).status_code == 302
    assert document.versions.count() == 2
    listing = admin.get(reverse("frontdesk:consent-documents")).content.decode()
    assert "version 2" in listing
    patient = world["patient"].full_name
    body = desk.get(reverse("frontdesk:patient", args=[world["patient"].pk])).content.decode()
    assert "signed an earlier version" in body and patient in body
    data["heading_0"] = ""
    broken = admin.post(url, data)
    assert broken.status_code == 200 and "heading and its text" in broken.content.decode()
