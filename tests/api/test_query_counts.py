"""Lists and details read in a fixed number of queries, however many rows they show."""

import pytest

from tests.builders import at, booked_series, eligible_consultation

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_clinic(world):
    """Three more patients with series, so a per-row query would show up as growth."""
    for hour in (12, 13, 14):
        consultation = eligible_consultation(clinic=world, when=at(2, hour))
        world["clock"].move_to(at(2, hour, 30))
        booked_series(clinic=world, consultation=consultation, earliest_start=at(3, 9))
    return world


@pytest.mark.parametrize(
    "path,most",
    [
        ("/api/v1/appointments/", 6),
        ("/api/v1/series/", 7),
        ("/api/v1/patients/", 5),
        ("/api/v1/consultations/", 6),
    ],
)
def test_lists_use_a_fixed_number_of_queries(busy_clinic, desk, django_assert_max_num_queries, path, most):
    with django_assert_max_num_queries(most):
        response = desk.get(path)
    assert response.status_code == 200 and response.json()["count"] >= 4


def test_a_patient_with_their_history_is_one_read(world, doctor, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        body = doctor.get(f"/api/v1/patients/{world['patient'].pk}/").json()
    assert body["series"] and body["appointments"] and body["consultations"]
