"""Who reads which clinical record, as a matrix of roles x endpoints with the nested
fields included; caution labels never reach the desk; no filter is an oracle.

The clinic: Dr Patel holds the patient's consultation and leads the series, giving
sessions 1 and 3; Chidi Okafor gives session 2. Each session has notes and side effects.
The rule (scheduling.visibility.ClinicalReader): admins read every record; a provider
reads the record of the visits they give and the consultations they hold, and of any
other visit they may open only that it exists; the desk reads none."""

import pytest
import time_machine

from patients.screening import Finding
from scheduling.models import Appointment
from tests.builders import at, booked_series, eligible_consultation, signed_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

A, D, P, OK = "admin", "desk", "dr.patel", "nurse.okafor"
VISIT_CLINICAL = ("notes", "side_effects", "treated_areas")
CONSULTATION_CLINICAL = ("clinical_notes", "screening", "cautions", "contraindications", "hyperpigmentation_caution")


@pytest.fixture
def shared(world):
    """Session 2 of Dr Patel's series is given by Chidi Okafor; every session has a record."""
    visits = {v.session_number: v for v in world["series"].appointments.filter(kind="session")}
    Appointment.objects.filter(pk=visits[2].pk).update(provider=world["other_provider"])
    for number, visit in visits.items():
        Appointment.objects.filter(pk=visit.pk).update(notes=f"note of session {number}", side_effects=["redness"])
    return {**world, "visits": {n: Appointment.objects.get(pk=v.pk) for n, v in visits.items()}}


@pytest.fixture
def callers(shared, admin, desk, doctor, other_doctor):
    return {A: admin, D: desk, P: doctor, OK: other_doctor}


# Which sessions' clinical fields each caller reads; None: the visit is not theirs to open.
READS_SESSION = {A: {1, 2, 3}, D: set(), P: {1, 3}, OK: {2}}
OPENS_SESSION = {A: {1, 2, 3}, D: {1, 2, 3}, P: {1, 3}, OK: {2}}


def _visits_in(body) -> list[dict]:
    """The session visits an answer carries, wherever they are nested."""
    found = []
    if isinstance(body, dict):
        if body.get("kind") == "session" and "session_number" in body:
            found.append(body)
        for value in body.values():
            found += _visits_in(value)
    elif isinstance(body, list):
        for item in body:
            found += _visits_in(item)
    return found


def _check_visits(role, visits, sessions):
    """Each session visit either carries its whole record (when `role` reads it) or none of it."""
    for visit in visits:
        number = visit["session_number"]
        record = [name for name in VISIT_CLINICAL if name in visit]
        if number in READS_SESSION[role] and "notes" in sessions.get(visit["id"], {}):
            assert visit["notes"] == f"note of session {number}", (role, number)
            assert visit["side_effects"] == ["redness"], (role, number)
        if number not in READS_SESSION[role]:
            assert record == [], f"{role} must not read session {number}'s record: {record}"


ENDPOINTS = [
    "/api/v1/series/{series}/",
    "/api/v1/series/",
    "/api/v1/series/?patient={patient}",
    "/api/v1/patients/{patient}/",
    "/api/v1/appointments/",
    "/api/v1/appointments/?series={series}",
    "/api/v1/appointments/{session1}/",
    "/api/v1/appointments/{session2}/",
]


@pytest.mark.parametrize("role", [A, D, P, OK])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_nested_visits_carry_the_record_only_for_those_who_read_it(shared, callers, role, path):
    ids = {
        "series": shared["series"].pk,
        "patient": shared["patient"].pk,
        "session1": shared["visits"][1].pk,
        "session2": shared["visits"][2].pk,
    }
    response = callers[role].get(path.format(**ids))
    single = 1 if "{session1}" in path else 2 if "{session2}" in path else None
    if single is not None and single not in OPENS_SESSION[role]:
        assert response.status_code == 404
        return
    # Okafor gives a visit of the series, so opens it and its patient, with Dr Patel's visits bare.
    assert response.status_code == 200, (role, path, response.content[:200])
    visits = _visits_in(response.json())
    _check_visits(role, visits, {v["id"]: v for v in visits})
    numbers = {v["session_number"] for v in visits if "notes" in v}
    assert numbers <= READS_SESSION[role]
    if role in (A, P, OK) and "series" in path and path.count("/") > 4:
        assert numbers == READS_SESSION[role], f"{role} reads its own sessions on {path}"


@pytest.mark.parametrize("role,reads", [(A, True), (D, False), (P, True), (OK, None)])
def test_a_consultation_record_goes_only_to_its_provider_and_admins(shared, callers, role, reads):
    response = callers[role].get(f"/api/v1/consultations/{shared['consultation'].pk}/")
    if reads is None:
        assert response.status_code == 404
        return
    body = response.json()
    assert all((name in body) == reads for name in CONSULTATION_CLINICAL), (role, sorted(body))
    listed = callers[role].get("/api/v1/consultations/").json()["results"]
    for item in listed:
        if item["id"] == shared["consultation"].pk:
            assert ("clinical_notes" in item) == reads


@pytest.mark.parametrize(
    "role,sees_notes,sees_side_effects",
    [(A, True, True), (D, False, False), (P, True, True), (OK, False, True)],
)
def test_the_patient_page_shows_each_record_only_to_those_who_read_it(
    shared, clinic_admin_user, role, sees_notes, sees_side_effects
):
    users = {
        A: "clinicadmin",
        D: "desk",
        P: "dr.patel",
        OK: "nurse.okafor",
    }
    from django.contrib.auth.models import User

    client = signed_in(User.objects.get(username=users[role]))
    body = client.get(f"/patients/{shared['patient'].pk}/").content.decode()
    assert ("Fine lines around the eyes" in body) == sees_notes, role
    # Side effects read in words on the pages ("Redness"), never as stored codes.
    assert ("Side effects: Redness" in body) == sees_side_effects, role
    own = shared["visits"][2] if role == OK else shared["visits"][1]
    visit_page = client.get(f"/visits/{own.pk}/")
    if role == D:
        assert "note of session" not in visit_page.content.decode()
    else:
        assert f"note of session {own.session_number}" in visit_page.content.decode()
    if role == OK:
        assert client.get(f"/visits/{shared['visits'][1].pk}/").status_code == 404


@pytest.fixture
def cautioned(clinic, desk_user):
    """A patient assessed eligible with a blood-thinner caution not yet acknowledged."""
    return eligible_consultation(
        clinic=clinic, when=at(2, 10), patient=PatientFactory(), findings=[Finding("blood_thinners", None)]
    )


def test_the_desk_learns_a_caution_is_open_but_never_which(cautioned, clinic, desk, doctor, desk_user):
    with time_machine.travel(at(2, 11), tick=False):
        refused = desk.post(
            "/api/v1/series/proposals/",
            {"consultation": cautioned.pk, "location": clinic["location"].pk},
            format="json",
        )
    assert refused.status_code == 400
    assert "acknowledge a caution" in refused.json()["detail"]
    assert "blood thinners" not in refused.content.decode().lower()
    desk_view = desk.get(f"/api/v1/consultations/{cautioned.pk}/").json()
    assert desk_view["caution_pending"] is True and "cautions" not in desk_view
    assert doctor.get(f"/api/v1/consultations/{cautioned.pk}/").json()["cautions"] == ["Takes blood thinners"]

    page = signed_in(desk_user).get(f"/patients/{cautioned.patient_id}/").content.decode()
    assert "A caution is open" in page and "blood thinners" not in page.lower()
    provider_page = signed_in(clinic["provider"].user).get(f"/patients/{cautioned.patient_id}/").content.decode()
    assert "Takes blood thinners" in provider_page


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/appointments/?patient={id}",
        "/api/v1/series/?patient={id}",
        "/api/v1/consultations/?patient={id}",
        "/api/v1/availability/?location={location}&kind=consultation&patient={id}"
        "&start=2027-03-03T08:00:00Z&end=2027-03-04T08:00:00Z",
    ],
)
def test_a_filter_naming_a_patient_one_may_not_see_answers_as_for_no_patient(world, other_doctor, path):
    stranger = PatientFactory()  # exists, but Okafor has nothing to do with them
    missing = stranger.pk + 1000
    hidden = other_doctor.get(path.format(id=stranger.pk, location=world["location"].pk))
    absent = other_doctor.get(path.format(id=missing, location=world["location"].pk))
    assert hidden.status_code == absent.status_code
    assert hidden.json() == _renamed(absent.json(), missing, stranger.pk)


def _renamed(body, old: int, new: int):
    """The answer about the missing id, with the id as the hidden patient's."""
    import json

    return json.loads(json.dumps(body).replace(str(old), str(new)))


def test_a_series_filter_naming_a_series_one_may_not_see_answers_as_for_none(shared, other_doctor, clinic, desk_user):
    with time_machine.travel(at(2, 11), tick=False):
        other = eligible_consultation(clinic=clinic, when=at(2, 9), patient=PatientFactory())
    with time_machine.travel(at(2, 11), tick=False):
        hidden_series = booked_series(clinic=clinic, consultation=other, user=desk_user, earliest_start=at(20, 9))
    hidden = other_doctor.get(f"/api/v1/appointments/?series={hidden_series.pk}")
    absent = other_doctor.get(f"/api/v1/appointments/?series={hidden_series.pk + 1000}")
    assert hidden.status_code == absent.status_code == 400
    assert hidden.json() == _renamed(absent.json(), hidden_series.pk + 1000, hidden_series.pk)
