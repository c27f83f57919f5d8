"""Health questions before a consultation: answers read and checked, saved whole, open
until the consultation starts; the link is single-purpose, moves and cancellations retire
it; the provider sees the suggestions pre-ticked and decides; the desk sees only whether
they are done; nothing reaches the API."""

import re
from datetime import date, timedelta

import pytest
from django.core import signing
from django.urls import reverse

from clinic.errors import Conflict, InvalidRequest
from clinic.models import AuditEntry
from patients.intake import intake_answer_read, intake_suggested_findings
from patients.models import Intake, IntakeQuestion, ScreeningRule
from scheduling import services
from scheduling.models import Reminder
from scheduling.patient_home_links import patient_home_url
from scheduling.patient_links import LinkExpired, LinkInvalid, patient_link_token
from scheduling.patient_tasks import patient_tasks
from scheduling.reminders.rendering import reminder_context
from scheduling.services.intake import intake_answers, intake_save
from scheduling.task_links import consent_token, intake_link_read, intake_token, intake_url
from tests.api.conftest import login
from tests.builders import at

pytestmark = pytest.mark.django_db

ALL_NO = {"blood_thinners": "no", "retinoids": "no", "numbing_allergy": "no", "pregnancy": "no", "cold_sores": "no",
          "keloid": "no", "dark_marks": "no", "acne": "no", "eczema": "no", "rosacea": "no", "infection": "no"}


@pytest.fixture
def visit(world):
    """Another patient's consultation, Thursday 4 March at 10:00; the clock at Tuesday 11:00."""
    return world["pending_visit"]


def _answers(**changes) -> dict[str, str]:
    return {**ALL_NO, "sun": "Little or none", **changes}


def test_answers_are_read_by_their_type():
    today = date(2027, 3, 2)
    yes_no = IntakeQuestion(key="q", answer_type="yes_no")
    choice = IntakeQuestion(key="c", answer_type="choice", choices=["A", "B"])
    when = IntakeQuestion(key="d", answer_type="date")
    assert intake_answer_read(yes_no, " yes ", today=today) == "yes"
    assert intake_answer_read(when, "2026-12-01", today=today) == "2026-12-01"
    assert intake_answer_read(when, "", today=today) == ""
    for question, raw, words in ((yes_no, "maybe", "yes or no"), (choice, "C", "one of the answers"),
                                 (when, "01/12/2026", "day, month and year"), (when, "2027-03-03", "future")):
        with pytest.raises(ValueError, match=words):
            intake_answer_read(question, raw, today=today)


def test_answers_suggest_the_rules_they_map_to(visit):
    intake = intake_save(visit=visit, answers=_answers(retinoids="yes", isotretinoin="2026-12-01",
                                                       sun="I am sunburnt now"))
    found = {f.condition: f for f in intake_suggested_findings(intake_answers(intake))}
    assert set(found) == {"retinoids", "isotretinoin", "sunburn"}
    assert found["isotretinoin"].last_present_on == date(2026, 12, 1)
    assert "Roaccutane" in found["isotretinoin"].because
    ScreeningRule.objects.filter(condition="retinoids").update(is_active=False)
    assert "retinoids" not in {f.condition for f in intake_suggested_findings(intake_answers(intake))}


def test_a_wrong_answer_refuses_the_whole_form_and_keeps_nothing(visit):
    with pytest.raises(InvalidRequest) as error:
        intake_save(visit=visit, answers=_answers(retinoids="", isotretinoin="2030-01-01"))
    assert set(error.value.details) == {"retinoids", "isotretinoin"}
    assert not Intake.objects.exists()


def test_answers_can_change_until_the_consultation_starts_and_the_audit_holds_no_answer(visit, world):
    intake_save(visit=visit, answers=_answers())
    intake = intake_save(visit=visit, answers=_answers(pregnancy="yes"))
    assert intake.answers.get(question__key="pregnancy").answer == "yes"
    changed = AuditEntry.objects.get(action="intake_changed")
    assert changed.changes["questions"] == ["pregnancy"] and "yes" not in str(changed.changes)
    world["clock"].move_to(visit.starts_at)
    with pytest.raises(Conflict, match="has started"):
        intake_save(visit=visit, answers=_answers())


def test_the_link_is_retired_when_the_consultation_moves_or_is_cancelled(visit, desk_user):
    token = intake_token(visit)
    assert intake_link_read(token).editable
    services.appointment_reschedule(appointment=visit, new_start=at(4, 14), changed_by=desk_user)
    with pytest.raises(LinkExpired, match="moved"):
        intake_link_read(token)
    visit.refresh_from_db()
    fresh = intake_token(visit)
    assert intake_link_read(fresh).editable
    services.appointment_cancel(appointment=visit, reason="Unwell", cancelled_by=desk_user)
    with pytest.raises(LinkExpired, match="cancelled"):
        intake_link_read(fresh)


def test_links_are_single_purpose_and_cannot_be_altered(visit, world):
    with pytest.raises(LinkInvalid):
        intake_link_read(intake_token(visit)[:-2] + "xx")
    with pytest.raises(LinkInvalid):  # another purpose's token for the same visit
        intake_link_read(patient_link_token(visit))
    document = world["series"].protocol.consent_document
    with pytest.raises(LinkInvalid):
        intake_link_read(consent_token(patient=visit.patient, document=document))
    forged = signing.dumps({"c": world["consultation"].pk, "s": 0}, salt="another")
    with pytest.raises(LinkInvalid):
        intake_link_read(forged)


def test_the_page_saves_answers_then_turns_read_only_then_expires(visit, world, client):
    url = intake_url(visit)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "Roaccutane" in body and visit.patient.first_name in body
    assert "GMT" in body, "the time names its zone"
    refused = client.post(url, _answers(retinoids="perhaps"))
    assert refused.status_code == 400 and "Choose yes or no." in refused.content.decode()
    saved = client.post(url, _answers(retinoids="yes"))
    assert saved.status_code == 200 and "your answers are with the clinic" in saved.content.decode()
    world["clock"].move_to(visit.starts_at + timedelta(minutes=1))
    late = client.post(url, _answers())
    assert late.status_code == 409 and "can no longer be changed" in late.content.decode()
    assert Intake.objects.get().answers.get(question__key="retinoids").answer == "yes"
    world["clock"].move_to(visit.starts_at + timedelta(days=2))
    gone = client.get(url)
    assert gone.status_code == 410 and "expired" in gone.content.decode()
    assert client.get("/intake/not-a-token/").status_code == 403


def test_the_desk_sees_only_done_and_the_provider_sees_the_suggestions_pre_ticked(visit, world, desk, doctor):
    patient_url = reverse("frontdesk:patient", args=[visit.patient_id])
    assert "Health questions: not yet" in desk.get(patient_url).content.decode()
    intake_save(visit=visit, answers=_answers(retinoids="yes", pregnancy="yes"))
    desk_body = desk.get(patient_url).content.decode()
    assert "Health questions: done" in desk_body
    for secret in ("retinoid", "Pregnant", "pregnant"):
        assert secret not in desk_body, "the desk never reads the answers"
    assert desk.get(reverse("frontdesk:assess", args=[visit.consultation_id])).status_code in (302, 403)
    assess = doctor.get(reverse("frontdesk:assess", args=[visit.consultation_id])).content.decode()
    assert "Uses retinoid creams" in assess and "Pregnant or breastfeeding" in assess
    assert re.search(r'<input[^>]*name="finding_retinoids"[^>]*checked', assess)
    assert not re.search(r'<input[^>]*name="finding_cold_sores"[^>]*checked', assess)
    # At the consultation the provider decides: pregnancy confirmed, retinoids unticked.
    world["clock"].move_to(visit.starts_at + timedelta(minutes=20))
    response = doctor.post(reverse("frontdesk:assess", args=[visit.consultation_id]), {
        "fitzpatrick_type": "2", "finding_pregnancy_or_breastfeeding": "on", "recommended_sessions": "",
        "clinical_notes": ""})
    errors = re.findall(r'(?:role="alert">\s*<p>|class="error">)([^<]+)', response.content.decode())
    assert response.status_code == 302, errors
    visit.consultation.refresh_from_db()
    assert [m["condition"] for m in visit.consultation.screening] == ["pregnancy_or_breastfeeding"]


def test_no_api_answer_carries_the_health_questions(visit, world, desk_user, clinic_admin_user):
    intake_save(visit=visit, answers=_answers(retinoids="yes"))
    for user in (desk_user, clinic_admin_user):
        api = login(user)
        for url in (f"/api/v1/consultations/{visit.consultation_id}/", f"/api/v1/patients/{visit.patient_id}/",
                    "/api/v1/consultations/"):
            text = api.get(url).content.decode()
            assert "retinoid" not in text.lower() and "intake" not in text.lower()


def test_the_consultations_confirmation_carries_the_health_questions_link(visit):
    reminder = Reminder.objects.filter(appointment=visit, kind="confirmation").first()
    assert reminder is not None
    context = reminder_context(reminder)
    assert context["intake_url"].endswith(intake_url(visit))
    treatment = Reminder.objects.filter(kind="confirmation").exclude(appointment__kind="consultation").first()
    if treatment is not None:
        assert reminder_context(treatment)["intake_url"] == ""


def test_patient_tasks_list_the_health_questions_and_the_consent(visit, world):
    tasks = patient_tasks(visit.patient)
    assert [t.done for t in tasks] == [False]
    assert tasks[0].label == "Fill in your health questions before Thursday 4 March"
    assert tasks[0].url == intake_url(visit)
    intake_save(visit=visit, answers=_answers())
    assert patient_tasks(visit.patient)[0].done
    # The series' patient signed with the booking (the fixture chain); the task is ticked.
    consent = [t for t in patient_tasks(world["patient"]) if "onsent" in t.label]
    assert len(consent) == 1 and consent[0].done and consent[0].url.startswith("/consent/")
    assert not IntakeQuestion.objects.filter(key="anything_else", suggestions__isnull=False).exists()


def test_a_moved_consultations_message_carries_the_new_link(visit, desk_user):
    old = intake_url(visit)
    services.appointment_reschedule(appointment=visit, new_start=at(4, 14), changed_by=desk_user)
    visit.refresh_from_db()
    pending = Reminder.objects.filter(appointment=visit, kind="confirmation", status="pending")
    links = {reminder_context(reminder)["intake_url"] for reminder in pending}
    assert links and all(link.endswith(intake_url(visit)) and not link.endswith(old) for link in links)


def test_the_patients_own_page_lists_the_health_questions_and_its_link_opens_them(visit, client):
    page = client.get(patient_home_url(visit.patient)).content.decode()
    assert "Fill in your health questions before Thursday 4 March" in page
    link = re.search(r'href="(/intake/[^"]+)"', page).group(1)
    assert link == intake_url(visit)
    assert client.get(link).status_code == 200
    intake_save(visit=visit, answers=_answers())
    page = client.get(patient_home_url(visit.patient)).content.decode()
    assert "Health questions answered" in page and "(done)" in page
