"""Bad input is a 400 naming the field and what to do; missing is 404; taken is 409;
nothing half-saved."""

import pytest

from scheduling.models import Appointment, TreatmentSeries
from tests.builders import at

pytestmark = pytest.mark.django_db


def _fields(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] and body["code"] == "invalid"
    return body["fields"]


def test_an_interval_outside_4_to_6_weeks(world, desk):
    world["series"].status = "cancelled"
    world["series"].save(update_fields=["status"])
    fields = _fields(
        desk.post(
            "/api/v1/series/proposals/",
            {"consultation": world["consultation"].pk, "location": world["location"].pk, "target_interval_days": 14},
            format="json",
        )
    )
    assert "28 to 42 days apart" in fields["target_interval_days"][0]


def test_seven_sessions(world, desk):
    fields = _fields(
        desk.post(
            "/api/v1/series/proposals/",
            {"consultation": world["consultation"].pk, "location": world["location"].pk, "session_count": 7},
            format="json",
        )
    )
    assert "3 to 6 sessions" in fields["session_count"][0]


def test_an_end_before_a_start(world, desk):
    fields = _fields(
        desk.get(
            "/api/v1/availability/",
            {
                "location": world["location"].pk,
                "kind": "consultation",
                "start": "2027-03-05T10:00:00Z",
                "end": "2027-03-04T10:00:00Z",
            },
        )
    )
    assert fields["end"] == ["Must be after start."]


def test_a_naive_datetime(world, desk):
    fields = _fields(
        desk.post(
            "/api/v1/consultations/",
            {
                "patient": world["patient"].pk,
                "location": world["location"].pk,
                "provider": world["provider"].pk,
                "starts_at": "2027-03-05T10:00:00",
            },
            format="json",
        )
    )
    assert "UTC offset" in fields["starts_at"][0]


def test_an_unknown_provider(world, desk):
    fields = _fields(
        desk.post(
            "/api/v1/consultations/",
            {
                "patient": world["patient"].pk,
                "location": world["location"].pk,
                "provider": 999999,
                "starts_at": "2027-03-05T10:00:00Z",
            },
            format="json",
        )
    )
    assert fields["provider"] == ["No provider with id 999999."]


def test_a_needle_depth_out_of_range_and_an_unknown_area(world, doctor):
    session = world["series"].appointments.get(kind="session", session_number=1)
    fields = _fields(
        doctor.post(
            f"/api/v1/appointments/{session.pk}/complete/",
            {"areas": {"face": "3.5", "ears": "1.0"}, "device": "pen"},
            format="json",
        )
    )
    assert "areas" in fields


def test_a_missing_object_is_404_and_a_second_cancel_is_409(world, desk):
    assert desk.get("/api/v1/appointments/987654/").status_code == 404
    assert desk.get("/api/v1/patients/99999999999999999999/").status_code == 404
    assert desk.get("/api/v1/nothing-here/").json()["code"] == "not_found"
    session = world["series"].appointments.get(kind="session", session_number=2)
    assert desk.post(f"/api/v1/appointments/{session.pk}/cancel/", {"reason": "Ill"}, format="json").status_code == 200
    second = desk.post(f"/api/v1/appointments/{session.pk}/cancel/", {"reason": "Ill"}, format="json")
    assert second.status_code == 409
    assert "cancelled" in second.json()["detail"]


def test_a_taken_time_is_409_and_nothing_is_saved(world, desk):
    taken = world["pending_visit"]
    before = Appointment.objects.count()
    response = desk.post(
        "/api/v1/consultations/",
        {
            "patient": world["patient"].pk,
            "location": world["location"].pk,
            "provider": world["provider"].pk,
            "starts_at": taken.starts_at.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert Appointment.objects.count() == before
    from patients.models import Consultation

    assert Consultation.objects.count() == 2, "no consultation record left without its visit"


def test_a_stale_proposal_cannot_be_held(world, desk):
    response = desk.post("/api/v1/series/holds/", {"proposal": "made-up"}, format="json")
    assert response.status_code == 400
    assert TreatmentSeries.objects.count() == 1


def test_malformed_json_is_a_400(desk):
    response = desk.post("/api/v1/patients/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error" and "JSON" in response.json()["detail"]


def test_a_list_filter_with_a_bad_value(desk, world):
    fields = _fields(desk.get("/api/v1/appointments/", {"status": "lost", "starts_after": "yesterday"}))
    assert set(fields) == {"status", "starts_after"}
    assert at(1, 9)
