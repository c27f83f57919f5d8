"""A retried POST with the same Idempotency-Key gets the first answer, never a second booking."""

import pytest

from clinic.models import IdempotencyKey
from patients.models import Patient
from scheduling import services
from scheduling.models import Appointment, TreatmentSeries
from scheduling.planner import Preferences
from tests.builders import at, eligible_consultation

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1990-01-01", "email": "ada@example.com"}


@pytest.fixture
def held(clinic, desk_user):
    import time_machine

    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 11), tick=False):
        result = services.series_propose(
            consultation=consultation,
            location=clinic["location"],
            preferences=Preferences(provider_id=clinic["provider"].pk),
        )
        hold = services.series_hold(
            consultation=consultation, location=clinic["location"], plan=result.best, held_by=desk_user
        )
        yield hold


def test_a_retried_confirm_gets_the_first_answer_and_books_one_series(held, desk):
    url = f"/api/v1/series/holds/{held.pk}/confirm/"
    first = desk.post(url, HTTP_IDEMPOTENCY_KEY="confirm-7f3a")
    again = desk.post(url, HTTP_IDEMPOTENCY_KEY="confirm-7f3a")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert TreatmentSeries.objects.count() == 1
    assert Appointment.objects.filter(series__isnull=False).count() == len(first.json()["appointments"])


def test_a_retry_without_the_key_is_refused_not_booked_twice(held, desk):
    url = f"/api/v1/series/holds/{held.pk}/confirm/"
    assert desk.post(url).status_code == 201
    second = desk.post(url)
    assert second.status_code == 409
    assert "already confirmed" in second.json()["detail"]
    assert TreatmentSeries.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(desk):
    assert desk.post("/api/v1/patients/", NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    other = desk.post(
        "/api/v1/patients/", {**NEW_PATIENT, "first_name": "Augusta"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Patient.objects.count() == 1


def test_keys_belong_to_one_user(desk, admin):
    assert desk.post("/api/v1/patients/", NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert admin.post("/api/v1/patients/", NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Patient.objects.count() == 2


def test_a_failed_request_keeps_no_key_so_the_retry_runs(desk):
    bad = desk.post("/api/v1/patients/", {**NEW_PATIENT, "email": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.filter(key="k2").exists()
    fixed = desk.post("/api/v1/patients/", NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert fixed.status_code == 201


def test_an_unusable_key_is_a_400(desk):
    response = desk.post("/api/v1/patients/", NEW_PATIENT, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert Patient.objects.count() == 0
