"""Sign-in and sessions: the client's address behind trusted proxies, API tokens that
expire and are revoked, idle staff sessions, the Content-Security-Policy, and API docs
that need a login."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from clinic import roles
from clinic.audit import client_address
from clinic.models import AuditEntry
from tests.builders import at, staff
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _token_login(*, username, password, client_ip=None, remote=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    elif client_ip is not None:
        headers["HTTP_X_FORWARDED_FOR"] = client_ip
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json",
                            **headers)


# --- The client's address -----------------------------------------------------------------
@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, "203.0.113.7", PROXY),  # no proxy trusted: the header is the client's own word
        (1, "203.0.113.7", "203.0.113.7"),  # one reverse proxy appended the client's address
        (1, "198.51.100.9, 203.0.113.7", "203.0.113.7"),  # what the client wrote to the left is ignored
        (2, "198.51.100.9, 203.0.113.7", "198.51.100.9"),  # the compose stack behind a load balancer
        (1, "not-an-address", PROXY),
        (1, None, PROXY),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(proxies, forwarded, expected):
    meta = {"REMOTE_ADDR": PROXY, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    with override_settings(NUM_PROXIES=proxies):
        assert client_address(RequestFactory().get("/", **meta)) == expected


def test_drf_and_axes_read_the_same_setting(settings):
    assert api_settings.NUM_PROXIES == settings.NUM_PROXIES
    assert settings.AXES_CLIENT_IP_CALLABLE == "clinic.audit.client_address"


@override_settings(NUM_PROXIES=1, AXES_FAILURE_LIMIT=3)
def test_behind_one_proxy_a_lockout_keys_on_the_real_client_not_the_proxy(db):
    user = staff(roles.FRONT_DESK, username="kim")
    for _ in range(3):
        assert _token_login(username="kim", password="wrong", client_ip="203.0.113.7").status_code in (400, 429)
    assert _token_login(username="kim", password=PASSWORD, client_ip="203.0.113.7").status_code == 429
    answer = _token_login(username="kim", password=PASSWORD, client_ip="203.0.113.8")
    assert answer.status_code == 200, "another client behind the same proxy is not locked out"
    assert answer.json()["username"] == user.username


@override_settings(NUM_PROXIES=0, AXES_FAILURE_LIMIT=3)
def test_without_a_trusted_proxy_a_forged_header_does_not_escape_a_lockout(db):
    staff(roles.FRONT_DESK, username="kim")
    for n in range(3):
        _token_login(username="kim", password="wrong", remote="198.51.100.20", forwarded=f"203.0.113.{n}")
    locked = _token_login(username="kim", password=PASSWORD, remote="198.51.100.20", forwarded="203.0.113.99")
    assert locked.status_code == 429


# --- API tokens -----------------------------------------------------------------------------
def _token_for(username):
    return _token_login(username=username, password=PASSWORD).json()["token"]


def _me(token):
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_expires_after_the_configured_days_and_signing_in_again_renews_it(db, settings):
    settings.API_TOKEN_MAX_AGE_DAYS = 30
    staff(roles.FRONT_DESK, username="kim")
    with time_machine.travel(at(1, 9), tick=False) as clock:
        first = _token_for("kim")
        clock.move_to(at(1, 9) + timedelta(days=29))
        assert _me(first).status_code == 200
        assert _token_for("kim") == first, "a login does not need a new token each time"
        clock.move_to(at(1, 9) + timedelta(days=31))  # 30 days and 23 hours: the clocks went forward
        expired = _me(first)
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
        renewed = _token_for("kim")
        assert renewed != first and _me(renewed).status_code == 200


def test_a_password_change_revokes_the_token(db):
    user = staff(roles.FRONT_DESK, username="kim")
    token = _token_for("kim")
    user.set_password("a-brand-new-long-password")
    user.save()
    assert _me(token).status_code == 401
    assert not Token.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="token_revoked", object_id=str(user.pk),
                                     changes__reason="password changed").exists()


def test_saving_a_login_without_a_new_password_keeps_the_token(db):
    user = staff(roles.FRONT_DESK, username="kim")
    token = _token_for("kim")
    user.first_name = "Kim"
    user.save()
    assert _me(token).status_code == 200


@pytest.mark.parametrize("side", ["user", "group", "clear"])
def test_removing_a_role_revokes_the_token(db, side):
    user = staff(roles.FRONT_DESK, username="kim")
    token = _token_for("kim")
    group = Group.objects.get(name=roles.FRONT_DESK)
    if side == "user":
        user.groups.remove(group)
    elif side == "group":
        group.user_set.remove(user)
    else:
        user.groups.clear()
    assert not Token.objects.filter(key=token).exists()
    assert AuditEntry.objects.filter(action="token_revoked", changes__reason="role removed").count() == 1


def test_switching_a_login_off_revokes_the_token(db):
    user = staff(roles.FRONT_DESK, username="kim")
    _token_for("kim")
    user.is_active = False
    user.save()
    assert not Token.objects.filter(user=user).exists()


# --- Staff sessions -------------------------------------------------------------------------
@override_settings(SESSION_COOKIE_AGE=30 * 60)
def test_a_staff_session_ends_after_thirty_idle_minutes_and_each_request_restarts_the_count(db):
    user = staff(roles.FRONT_DESK, username="kim")
    with time_machine.travel(at(2, 9), tick=False) as clock:
        client = Client()
        client.force_login(user)
        for minutes in (20, 45, 70):  # 20, 25 and 25 minutes apart: never idle for 30
            clock.move_to(at(2, 9) + timedelta(minutes=minutes))
            assert client.get("/patients/").status_code == 200, minutes
        clock.move_to(at(2, 9) + timedelta(minutes=70 + 31))
        response = client.get("/patients/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_idle_time_and_browser_close_are_configurable(db):
    user = staff(roles.FRONT_DESK, username="kim")
    with override_settings(SESSION_EXPIRE_AT_BROWSER_CLOSE=True):
        signed_in = Client().post("/login/", {"username": user.username, "password": PASSWORD})
        assert signed_in.status_code == 302
        cookie = signed_in.cookies["sessionid"]
        assert cookie["max-age"] == "" and cookie["expires"] == "", "a cookie for this browser session only"
    with override_settings(SESSION_COOKIE_AGE=10 * 60):
        signed_in = Client().post("/login/", {"username": user.username, "password": PASSWORD})
        assert signed_in.cookies["sessionid"]["max-age"] == 600


# --- Content-Security-Policy and the API docs -------------------------------------------------
def test_pages_and_the_api_carry_a_content_security_policy(world, desk_user, admin):
    page = Client()
    page.force_login(desk_user)
    for response in (page.get("/patients/"), page.get("/login/"), admin.get("/api/docs/")):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_the_docs_page_has_no_inline_script_or_style(admin):
    body = admin.get("/api/docs/").content.decode()
    assert "<style" not in body
    assert all("src=" in tag for tag in body.split("<script")[1:])
    assert admin.get("/api/docs/?script=").status_code == 200


def test_the_schema_and_docs_need_a_login_unless_opened(world, desk, settings):
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 401
    assert anonymous.get("/api/docs/").status_code == 401
    assert desk.get("/api/schema/").status_code == 200
    settings.API_DOCS_PUBLIC = True
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200
