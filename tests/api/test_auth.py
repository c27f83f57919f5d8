"""Logins: session for pages, tokens for integrations, lockout after repeated failures."""

import pytest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from clinic.api.authentication import ClinicTokenAuthentication
from tests.builders import staff

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


def _token_client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.mark.postgres  # the one-query login is PostgreSQL's prepared statement; elsewhere DRF's own runs
def test_a_token_login_reads_the_user_and_all_their_roles_in_one_query(db, django_assert_num_queries):
    from django.contrib.auth.models import Group

    both = staff("Front desk", username="deskandadmin")
    both.groups.add(Group.objects.get(name="Clinic admin"), Group.objects.create(name="Newsletter"))
    client = _token_client(both)
    with django_assert_num_queries(2):  # the login with its roles, then "am I a provider?"
        body = client.get("/api/v1/me/").json()
    assert body["username"] == "deskandadmin" and body["roles"] == ["Clinic admin", "Front desk"]


def test_a_token_of_a_superuser_without_groups_is_a_clinic_admin(db):
    from tests import factories

    boss = factories.UserFactory(username="owner", is_superuser=True)
    assert _token_client(boss).get("/api/v1/me/").json()["roles"] == ["Clinic admin"]


def test_a_token_of_a_login_without_a_role_is_refused(db):
    from tests import factories

    assert _token_client(factories.UserFactory(username="visitor")).get("/api/v1/me/").status_code == 403


def test_a_token_of_a_deactivated_login_or_an_unknown_token_is_a_401(desk_login):
    client = _token_client(desk_login)
    desk_login.is_active = False
    desk_login.save(update_fields=["is_active"])
    assert client.get("/api/v1/me/").status_code == 401
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert stranger.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("key", ["ab\x00cd", "\x00", "x" * 5000, "not-hex-at-all"])
def test_a_malformed_token_is_refused_in_words_never_a_500(db, key):
    """A NUL byte in the Authorization header reached PostgreSQL, which refuses it in a
    query (a 500). The header is now refused whole (400, clinic.middleware), and a key
    that cannot be a token is refused by the token login before any query (401)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/me/")
    if "\x00" in key:
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
    else:
        assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        ClinicTokenAuthentication().authenticate_credentials(key)
