"""Logins: session for pages, tokens for integrations, lockout after repeated failures."""

import pytest
from rest_framework.test import APIClient

from .conftest import staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def desk_login(db):
    return staff("Front desk", username="frontdesk")


def _token(client, password):
    return client.post("/api/v1/auth/token/", {"username": "frontdesk", "password": password}, format="json")


def test_a_token_opens_the_api_and_revoking_it_closes_it(desk_login):
    client = APIClient(REMOTE_ADDR="10.0.0.1")
    response = _token(client, PASSWORD)
    assert response.status_code == 200 and response.json()["roles"] == ["Front desk"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/").json()["username"] == "frontdesk"
    assert client.delete("/api/v1/auth/token/revoke/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_repeated_wrong_passwords_lock_the_login_out(desk_login, settings):
    client = APIClient(REMOTE_ADDR="10.0.0.2")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _token(client, "wrong").status_code in (400, 429)
    locked = _token(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.json()["detail"]


def test_the_admin_login_page_is_locked_out_too(desk_login, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "frontdesk", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "frontdesk", "password": PASSWORD}).status_code == 429


def test_a_session_login_works_for_the_docs_and_the_api(desk_login, client):
    client.force_login(desk_login)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/v1/me/").json()["roles"] == ["Front desk"]
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"openapi: 3" in schema.content


def test_the_docs_page_loads_its_scripts_from_our_own_static_files(desk_login, client):
    client.force_login(desk_login)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page
