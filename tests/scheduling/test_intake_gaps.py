"""Health questions and consent given characters no database text can hold: an answer in
words, never a server error, and nothing kept."""

import pytest

from patients.models import Intake
from scheduling.models import ConsentDocument, ConsentSignature
from scheduling.task_links import consent_url, intake_url

pytestmark = pytest.mark.django_db

ALL_NO = {"blood_thinners": "no", "retinoids": "no", "numbing_allergy": "no", "pregnancy": "no", "cold_sores": "no",
          "keloid": "no", "dark_marks": "no", "acne": "no", "eczema": "no", "rosacea": "no", "infection": "no",
          "sun": "Little or none"}


def test_a_nul_character_in_an_answer_is_refused_in_words(world, client):
    visit = world["pending_visit"]
    response = client.post(intake_url(visit), {**ALL_NO, "anything_else": "Penicillin\x00 allergy"})
    assert response.status_code == 400
    assert "character" in response.content.decode()
    assert not Intake.objects.filter(consultation_id=visit.consultation_id).exists()


def test_a_nul_character_in_the_typed_name_is_refused_in_words(world, client, protocol):
    patient = world["patient"]
    document = ConsentDocument.objects.get(protocol=protocol)
    version = document.versions.order_by("-number").first()
    before = ConsentSignature.objects.filter(patient=patient).count()
    response = client.post(consent_url(patient=patient, document=document), {
        "section": [s["title"] for s in version.sections], "version": version.number,
        "signed_name": f"{patient.first_name}\x00 {patient.last_name}"})
    assert response.status_code == 400 and "character" in response.content.decode()
    assert ConsentSignature.objects.filter(patient=patient).count() == before


def test_an_answered_question_keeps_its_answer_type_and_the_pages_stay_up(world, doctor, clinic_admin_user):
    from clinic.errors import InvalidRequest
    from patients.intake_setup import intake_question_update
    from patients.models import IntakeQuestion
    from scheduling.services.intake import intake_save

    visit = world["pending_visit"]
    intake_save(visit=visit, answers={**ALL_NO, "retinoids": "yes"})
    question = IntakeQuestion.objects.get(key="retinoids")
    question.suggestions.all().delete()
    with pytest.raises(InvalidRequest, match="answer type"):
        intake_question_update(question=question, updated_by=clinic_admin_user, answer_type="date")
    assert IntakeQuestion.objects.get(key="retinoids").answer_type == "yes_no"
    # A question nobody answered yet may still change its type.
    fresh = IntakeQuestion.objects.create(key="new_medicine", text="Any new medicine?", answer_type="text", order=99)
    intake_question_update(question=fresh, updated_by=clinic_admin_user, answer_type="yes_no")
