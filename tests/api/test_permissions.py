"""Who may call what: each role on each endpoint, and what each role may see."""

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from clinic.roles import user_roles
from scheduling.models import Appointment
from tests.builders import at, staff

from .conftest import login

pytestmark = pytest.mark.django_db

A, D, P = "admin", "desk", "provider"
EVERYONE = {A, D, P}
DESK = {A, D}


def _session(w):
    return w["series"].appointments.filter(kind="session", session_number=1).get()


def _hold_id(w, client):
    from scheduling import services
    from scheduling.planner import Preferences

    w["series"].status = "cancelled"  # free the consultation for a second series
    w["series"].save(update_fields=["status"])
    result = services.series_propose(
        consultation=w["consultation"], location=w["location"], preferences=Preferences(provider_id=w["provider"].pk)
    )
    if result.best is None:
        return "00000000-0000-0000-0000-000000000000"
    hold = services.series_hold(consultation=w["consultation"], location=w["location"], plan=result.best)
    return hold.pk


# (name, method, path template, body, roles allowed)
ENDPOINTS = [
    ("me", "get", "/api/v1/me/", None, EVERYONE),
    ("locations", "get", "/api/v1/locations/", None, EVERYONE),
    ("providers", "get", "/api/v1/providers/", None, EVERYONE),
    ("audit", "get", "/api/v1/audit/", None, {A}),
    ("patient list", "get", "/api/v1/patients/", None, EVERYONE),
    (
        "patient create",
        "post",
        "/api/v1/patients/",
        {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1990-01-01", "email": "ada@example.com"},
        DESK,
    ),
    ("patient detail", "get", "/api/v1/patients/{patient}/", None, EVERYONE),
    ("patient update", "patch", "/api/v1/patients/{patient}/", {"first_name": "Amelie"}, DESK),
    ("patient delete", "delete", "/api/v1/patients/{patient}/", None, DESK),
    ("patient feed", "get", "/api/v1/patients/{patient}/calendar-feed/", None, DESK),
    ("patient feed rotate", "post", "/api/v1/patients/{patient}/calendar-feed/rotate/", None, DESK),
    ("provider feed", "get", "/api/v1/providers/{provider}/calendar-feed/", None, {A, P}),
    ("provider feed rotate", "post", "/api/v1/providers/{provider}/calendar-feed/rotate/", None, {A, P}),
    ("consultation list", "get", "/api/v1/consultations/", None, EVERYONE),
    (
        "consultation book",
        "post",
        "/api/v1/consultations/",
        {
            "patient": "{patient}",
            "location": "{location}",
            "provider": "{provider}",
            "starts_at": "2027-03-05T10:00:00Z",
        },
        DESK,
    ),
    ("consultation detail", "get", "/api/v1/consultations/{consultation}/", None, EVERYONE),
    ("assessment", "post", "/api/v1/consultations/{pending_consultation}/assessment/", {}, {P}),
    ("acknowledge caution", "post", "/api/v1/consultations/{consultation}/acknowledge-caution/", None, {P}),
    ("screening rules", "get", "/api/v1/screening-rules/", None, EVERYONE),
    (
        "screening rule add",
        "post",
        "/api/v1/screening-rules/",
        {
            "condition": "retinoids",
            "label": "Topical retinoids this week",
            "effect": "block",
            "block_outcome": "deferred",
            "defer_days": 7,
        },
        {A},
    ),
    ("screening rule", "get", "/api/v1/screening-rules/{rule}/", None, EVERYONE),
    ("screening rule change", "patch", "/api/v1/screening-rules/{rule}/", {"defer_days": 60}, {A}),
    ("screening rule remove", "delete", "/api/v1/screening-rules/{rule}/", None, {A}),
    (
        "availability",
        "get",
        "/api/v1/availability/?location={location}&kind=consultation"
        "&start=2027-03-03T08:00:00Z&end=2027-03-04T08:00:00Z",
        None,
        EVERYONE,
    ),
    ("series list", "get", "/api/v1/series/", None, EVERYONE),
    (
        "series proposal",
        "post",
        "/api/v1/series/proposals/",
        {"consultation": "{consultation}", "location": "{location}"},
        DESK,
    ),
    ("hold", "post", "/api/v1/series/holds/", {"proposal": "not-a-proposal"}, DESK),
    ("hold detail", "get", "/api/v1/series/holds/{hold}/", None, DESK),
    ("hold release", "delete", "/api/v1/series/holds/{hold}/", None, DESK),
    ("hold confirm", "post", "/api/v1/series/holds/{hold}/confirm/", None, DESK),
    ("series detail", "get", "/api/v1/series/{series}/", None, EVERYONE),
    ("series pause", "post", "/api/v1/series/{series}/pause/", {"reason": "Travelling"}, DESK),
    ("series resume", "post", "/api/v1/series/{series}/resume/", {}, DESK),
    ("series cancel rest", "post", "/api/v1/series/{series}/cancel-remainder/", {"reason": "Moved away"}, DESK),
    ("maintenance proposal", "post", "/api/v1/series/{series}/maintenance/proposals/", {"count": 1}, DESK),
    ("maintenance book", "post", "/api/v1/series/{series}/maintenance/", {"proposal": "x"}, DESK),
    ("appointment list", "get", "/api/v1/appointments/", None, EVERYONE),
    ("appointment detail", "get", "/api/v1/appointments/{session}/", None, EVERYONE),
    (
        "reschedule preview",
        "post",
        "/api/v1/appointments/{session}/reschedule/preview/",
        {"starts_at": "2027-03-09T10:00:00Z"},
        DESK,
    ),
    ("reschedule", "post", "/api/v1/appointments/{session}/reschedule/", {"starts_at": "2027-03-09T10:00:00Z"}, DESK),
    ("cancel", "post", "/api/v1/appointments/{session}/cancel/", {"reason": "Unwell"}, DESK),
    ("check in", "post", "/api/v1/appointments/{session}/check-in/", None, EVERYONE),
    ("complete", "post", "/api/v1/appointments/{session}/complete/", {"areas": {"face": "1.0"}, "device": "pen"}, {P}),
    ("no-show", "post", "/api/v1/appointments/{session}/no-show/", None, EVERYONE),
]


def _fill(value, ids):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _ids(w, client) -> dict:
    from patients.models import ScreeningRule

    ids = {
        "patient": w["patient"].pk,
        "location": w["location"].pk,
        "provider": w["provider"].pk,
        "consultation": w["consultation"].pk,
        "pending_consultation": w["pending_visit"].consultation_id,
        "series": w["series"].pk,
        "session": _session(w).pk,
        "rule": ScreeningRule.objects.get(condition="eczema").pk,
    }
    return ids


@pytest.fixture
def callers(world, clinic_admin_user, desk_user):
    return {A: login(clinic_admin_user), D: login(desk_user), P: login(world["provider"].user)}


@pytest.mark.parametrize("role", [A, D, P])
@pytest.mark.parametrize("name,method,path,body,allowed", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_each_role_on_each_endpoint(world, callers, role, name, method, path, body, allowed):
    client = callers[role]
    ids = _ids(world, client)
    if "{hold}" in path:
        ids["hold"] = _hold_id(world, client)
    response = getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")
    if role in allowed:
        assert response.status_code not in (401, 403), (role, name, response.status_code, response.content[:300])
        assert response.status_code < 500
    else:
        assert response.status_code == 403, (role, name, response.status_code, response.content[:300])


@pytest.mark.parametrize("name,method,path,body,allowed", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_a_login_without_a_role_and_an_anonymous_caller_are_refused(world, name, method, path, body, allowed):
    ids = _ids(world, None)
    ids["hold"] = "00000000-0000-0000-0000-000000000000"
    nobody = login(User.objects.create_user("norole", password="x-very-long-password"))
    assert getattr(nobody, method)(_fill(path, ids), _fill(body, ids), format="json").status_code == 403
    assert getattr(APIClient(), method)(_fill(path, ids), _fill(body, ids), format="json").status_code == 401


def test_the_front_desk_never_receives_clinical_notes(world, desk, doctor):
    consultation = world["consultation"]
    session = _session(world)
    Appointment.objects.filter(pk=session.pk).update(notes="Mild erythema", side_effects=["redness"])

    desk_view = desk.get(f"/api/v1/consultations/{consultation.pk}/").json()
    assert "clinical_notes" not in desk_view and "screening" not in desk_view and "contraindications" not in desk_view
    assert desk_view["outcome"] == "eligible"
    provider_view = doctor.get(f"/api/v1/consultations/{consultation.pk}/").json()
    assert provider_view["clinical_notes"] == "Fine lines around the eyes."

    for path in (f"/api/v1/appointments/{session.pk}/", "/api/v1/appointments/"):
        body = desk.get(path).json()
        visit = body["results"][0] if "results" in body else body
        assert "notes" not in visit and "side_effects" not in visit
    seen = doctor.get(f"/api/v1/appointments/{session.pk}/").json()
    assert seen["notes"] == "Mild erythema" and seen["side_effects"] == ["redness"]
    assert "email" in desk.get(f"/api/v1/patients/{world['patient'].pk}/").json(), "the desk sees contact details"


def test_a_provider_sees_only_their_own_patients_and_visits(world, other_doctor, doctor, desk):
    patient, session = world["patient"], _session(world)
    assert other_doctor.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert other_doctor.get(f"/api/v1/appointments/{session.pk}/").status_code == 404
    assert other_doctor.get(f"/api/v1/series/{world['series'].pk}/").status_code == 404
    assert (
        other_doctor.post(
            f"/api/v1/appointments/{session.pk}/complete/", {"areas": {"face": "1.0"}, "device": "pen"}, format="json"
        ).status_code
        == 404
    )
    assert other_doctor.get("/api/v1/patients/").json()["count"] == 0
    assert other_doctor.get("/api/v1/appointments/").json()["count"] == 0

    mine = doctor.get("/api/v1/appointments/").json()
    assert mine["count"] == Appointment.objects.filter(provider=world["provider"]).count() > 0
    assert {p["id"] for p in doctor.get("/api/v1/patients/").json()["results"]} >= {patient.pk}
    assert desk.get("/api/v1/appointments/").json()["count"] == Appointment.objects.count()


def test_a_series_on_hold_is_released_by_a_provider_not_the_desk(world, desk, doctor):
    series = world["series"]
    series.status = "on_hold"
    series.save(update_fields=["status"])
    assert desk.post(f"/api/v1/series/{series.pk}/resume/", {}, format="json").status_code == 403
    response = doctor.post(f"/api/v1/series/{series.pk}/resume/", {"note": "Reviewed: settled."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_a_provider_reads_only_their_own_calendar_address(world, other_doctor, doctor):
    mine = f"/api/v1/providers/{world['provider'].pk}/calendar-feed/"
    assert doctor.get(mine).status_code == 200
    assert other_doctor.get(mine).status_code == 403


def test_a_provider_login_not_linked_to_a_provider_is_refused_and_told_why(world):
    unlinked = login(staff("Provider", username="unlinked"))
    response = unlinked.get("/api/v1/patients/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your login is not linked to a provider; ask a clinic admin."


def test_roles_are_groups_made_by_a_migration(db):
    user = staff("Front desk", username="fd2")
    assert user_roles(user) == frozenset({"Front desk"})
    assert at(1, 9).tzinfo is not None
