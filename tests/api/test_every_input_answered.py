"""Every input is answered in words: deep JSON, NUL bytes, dates at year 1 or 9999,
oversized bodies, invisible characters in names, and edits to a patient whose other
stored fields predate today's validation. Never a 500."""

import io
import json

import pytest
from django.test import Client, override_settings

from clinic.api.parsers import BodyTooLarge, BoundedJSONParser
from patients.models import Patient
from tests.builders import signed_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"first_name": "Ada", "last_name": "Byron", "date_of_birth": "1990-01-01", "email": "ada@example.com"}


def _nested(depth: int) -> str:
    return '{"first_name": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_a_400(world, desk, depth):
    response = desk.post("/api/v1/patients/", _nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/?q=ab%00cd",
        "/api/v1/appointments/?status=booked%00",
        "/api/v1/patient-links/1/abc%00def/",
        "/calendar/patient/abc%00.ics",
        "/visit/1/abc%00def/",
        "/patients/?q=%00",
        "/patients/search.json?q=a%00b",
        "/schedule/?date=2027-03-02%00",
    ],
)
def test_a_nul_byte_in_the_path_or_query_is_a_400(world, desk, desk_user, path):
    client = desk if path.startswith("/api/") else signed_in(desk_user)
    response = client.get(path)
    assert response.status_code == 400, (path, response.status_code)
    assert b"NUL" in response.content


@pytest.mark.parametrize("year", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("table", [None, "week", "closing", "maintenance"])
def test_dashboard_and_its_csvs_answer_bad_dates_with_a_400(world, clinic_admin_user, year, table):
    client = signed_in(clinic_admin_user)
    path = "/dashboard/" if table is None else f"/dashboard/{table}.csv"
    for query in (f"start={year}", f"end={year}", f"start={year}&end={year}", "start=not-a-date"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query, response.status_code)
        text = response.content.decode()
        assert "between the years 1900 and 2200" in text or "valid date" in text


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_pages_and_api_filters_refuse_years_1_and_9999(world, desk, desk_user, year):
    page = signed_in(desk_user)
    assert page.get(f"/schedule/?date={year}-12-31").status_code == 200  # read as today
    patient = world["patient"].pk
    answer = page.post(
        f"/patients/{patient}/waitlist/new/",
        {"location": world["location"].pk, "kind": "consultation", "earliest_date": f"{year}-01-01",
         "latest_date": f"{year}-12-31", "preferred_times": "", "notes": ""},
    )
    assert answer.status_code in (200, 400) and b"between the years 1900 and 2200" in answer.content
    slots = page.get(f"/patients/{patient}/consultations/new/?location={world['location'].pk}&day={year}-12-31")
    assert slots.status_code == 200 and b"between the years 1900 and 2200" in slots.content
    for path in (
        f"/api/v1/appointments/?starts_after={year}-01-01T00:00:00Z",
        f"/api/v1/patients/?date_of_birth={year}-01-01",
        f"/api/v1/availability/?location={world['location'].pk}&kind=consultation"
        f"&start={year}-01-01T00:00:00Z&end={year}-01-02T00:00:00Z",
    ):
        response = desk.get(path)
        assert response.status_code == 400, path
        assert "between the years 1900 and 2200" in json.dumps(response.json())


def test_an_oversized_body_is_a_413_for_the_api_and_the_pages(world, desk, desk_user):
    big = json.dumps({**NEW_PATIENT, "first_name": "x" * 3_000_000})
    response = desk.post("/api/v1/patients/", big, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and "2.5 MB" in response.json()["detail"]
    page = signed_in(desk_user).post("/patients/new/", {"first_name": "x" * 3_000_000})
    assert page.status_code == 413


def test_the_json_parser_reads_one_byte_past_the_limit_and_no_more():
    """A body whose Content-Length understates it is still cut off at the limit."""
    with override_settings(API_MAX_BODY_BYTES=1000):
        stream = io.BytesIO(b"[" + b"1," * 10_000 + b"1]")
        with pytest.raises(BodyTooLarge):
            BoundedJSONParser().parse(stream)
        assert stream.tell() == 1001
        assert BoundedJSONParser().parse(io.BytesIO(b'{"a": [1, 2]}')) == {"a": [1, 2]}


@pytest.mark.parametrize(
    "name",
    ["Ann\u202eeb", "Zo\u200be", "Ma\u2066ry\u2069", "Tab\tName", "Nul\x07Bell", "Jo\u200dhn", "Li\u00adne"],
)
def test_names_with_invisible_or_direction_changing_characters_are_refused(world, desk, desk_user, name):
    response = desk.post("/api/v1/patients/", {**NEW_PATIENT, "first_name": name}, format="json")
    assert response.status_code == 400
    message = response.json()["fields"]["first_name"][0]
    assert "invisible or direction-changing" in message and "U+" in message
    page = signed_in(desk_user).post(
        "/patients/new/", {**NEW_PATIENT, "first_name": name, "preferred_channel": "email", "consent_email": "on"}
    )
    assert "invisible or direction-changing" in page.content.decode()
    assert not Patient.objects.filter(last_name="Byron").exists()


@pytest.mark.parametrize(
    "first,last",
    [("Zoë", "Brontë-O'Hara"), ("José", "D'Angelo"), ("Анна", "Иванова"), ("陈", "伟"), ("محمد", "علي"),
     ("Siân", "Ní Bhriain")],
)
def test_accents_apostrophes_hyphens_and_other_scripts_are_kept(world, desk, first, last):
    response = desk.post("/api/v1/patients/", {**NEW_PATIENT, "first_name": first, "last_name": last}, format="json")
    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).full_name == f"{first} {last}"


def test_editing_one_field_does_not_fail_on_a_phone_stored_before_todays_validation(world, desk):
    patient = PatientFactory(email="old@example.com", preferred_channel="email")
    Patient.objects.filter(pk=patient.pk).update(phone="+44123")  # not a possible number
    response = desk.patch(f"/api/v1/patients/{patient.pk}/", {"email": "new@example.com"}, format="json")
    assert response.status_code == 200, response.content
    assert Patient.objects.get(pk=patient.pk).email == "new@example.com"
    refused = desk.patch(f"/api/v1/patients/{patient.pk}/", {"phone": "+44123"}, format="json")
    assert refused.status_code == 400 and "phone" in refused.json()["fields"], "a phone given now is checked"


def test_a_request_to_a_page_without_login_with_a_nul_byte_is_still_a_400(db):
    assert Client().get("/patients/?q=%00").status_code == 400


@pytest.mark.parametrize("header", ["HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE"])
def test_a_nul_byte_in_a_request_header_is_a_400_at_sign_in_too(world, desk_user, header):
    """django-axes writes the user agent and Accept header of every sign-in, good or bad,
    to PostgreSQL, which refuses a NUL byte in text (a 500)."""
    value = {header: "Mozilla\x00evil"}
    page = Client(**value).post("/login/", {"username": desk_user.username, "password": "wrong"})
    assert page.status_code == 400 and b"NUL" in page.content
    api = Client(**value).post("/api/v1/auth/token/", {"username": desk_user.username, "password": "wrong"},
                               content_type="application/json")
    assert api.status_code == 400 and "NUL" in api.json()["detail"]
